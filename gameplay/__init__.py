"""The game: challenges, missions, scoring rules, points ledger, badges, leaderboards."""
