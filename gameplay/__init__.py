"""The game: challenges, missions, scoring rules, points ledger, badges, leaderboards."""

from gameplay.core import models  # noqa: F401  (registers the game tables on the shared Base)
