"""Scoring: sales facts in, points out. Rules with their caps and gaps, missions, the points
ledger, badges, levels, streaks, and the engine that applies a delivery of sales events to the
open challenges."""
