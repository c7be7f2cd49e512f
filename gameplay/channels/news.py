"""What counts as news for every channel: a win closed lately, not one back-dated by an import."""

from __future__ import annotations

from datetime import datetime, timedelta

from kpi_engine.sales.folds import FoldedDeal

FRESH_WIN = timedelta(days=1)


def fresh_win(deal: FoldedDeal, now: datetime) -> bool:
    """Whether a won deal is news now (a deal without a close instant is, by its arrival)."""
    return deal.closed_at is None or deal.closed_at >= now - FRESH_WIN
