"""The organisation: teams, users, who manages which team, and whose sales data a caller
may write (reach)."""
