"""What the fault tests read back from the database after the fault; the live suite's org and
server fixtures."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select

from gameplay.core.models import LedgerEntry, Participant
from kpi_engine.sales.models import RawEvent
from tests.live.conftest import org, server  # noqa: F401  (fixtures shared with tests/live)
from web.extensions import db


@dataclass(frozen=True)
class Stored:
    raw_events: int
    ledger_per_event: dict[str, int]
    points: dict[int, int]


def stored(app: Flask) -> Stored:
    """Raw events, ledger entries per delivery key, and each participant's standing points."""
    with app.app_context():
        s = db.session()
        raw = s.scalar(select(func.count()).select_from(RawEvent)) or 0
        per_key = s.execute(
            select(RawEvent.idempotency_key, func.count(LedgerEntry.id))
            .join(LedgerEntry, LedgerEntry.raw_event_id == RawEvent.id)
            .group_by(RawEvent.idempotency_key)
        ).all()
        points = s.execute(select(Participant.user_id, Participant.points)).all()
        db.session.remove()
        db.engine.dispose()
    return Stored(raw, dict(per_key), dict(points))
