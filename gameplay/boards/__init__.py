"""Leaderboards: reading the standings (top N, around me, teams, leagues, most improved) and
the formats that decide winners from them."""
