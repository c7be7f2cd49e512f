"""The game: challenges, missions, scoring rules, points ledger, badges, leaderboards."""

from gameplay import models  # noqa: E402,F401  (registers the game tables on the shared Base)
