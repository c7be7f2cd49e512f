"""What one sales event earned a rep, challenge by challenge, read back from the ledger."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, LedgerEntry
from kpi_engine.sales.models import RawEvent


@dataclass(frozen=True)
class Earning:
    challenge_id: int
    challenge_name: str
    points: int


def earned_by_event(session: Session, idempotency_key: str, user_id: int) -> list[Earning]:
    """Net points the scoring rules gave this rep for an event (by its idempotency key), per
    challenge; challenges where it earned nothing are left out. (A mission the event
    completes is announced by its own notification.)"""
    query = (
        select(Challenge.id, Challenge.name, func.sum(LedgerEntry.points))
        .join(LedgerEntry, LedgerEntry.challenge_id == Challenge.id)
        .join(RawEvent, RawEvent.id == LedgerEntry.raw_event_id)
        .where(RawEvent.idempotency_key == idempotency_key, LedgerEntry.user_id == user_id)
        .group_by(Challenge.id, Challenge.name)
        .order_by(Challenge.name)
    )
    rows = session.execute(query)
    return [Earning(cid, name, int(total)) for cid, name, total in rows if total]
