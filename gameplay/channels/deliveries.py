"""The bookkeeping every outbox shares (team-channel posts, phone pushes): a row written in the
transaction that made the news, which a sender finds when due, claims for a while, and marks
sent, due again later, or failed for good.

Rows are only ever claimed and recorded here, so the retry rules are the same for every
outbox: a sender that dies mid-delivery leaves its row due again when the claim runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kpi_engine.db import Choices, UTCDateTime


class DeliveryStatus(Choices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Delivery:
    """The columns of an outbox row (a mixin: each outbox is its own table)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Pending: when the sender may next try it (a claim pushes it later, as a lease).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


D = TypeVar("D", bound=Delivery)


def due_ids(
    session: Session, model: type[Delivery], *, now: datetime, limit: int = 20
) -> list[int]:
    """Pending rows whose time has come, oldest first."""
    query = (
        select(model.id)
        .where(model.status == "pending", model.next_attempt_at <= now)
        .order_by(model.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(
    session: Session, model: type[D], row_id: int, *, now: datetime, lease: timedelta
) -> D | None:
    """Take a due row for `lease` (another sender skips it meanwhile; a sender that dies
    mid-delivery leaves it due again after the lease). None when someone else took it."""
    claimed = session.execute(
        update(model)
        .where(model.id == row_id, model.status == "pending", model.next_attempt_at <= now)
        .values(next_attempt_at=now + lease, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return session.get(model, row_id, populate_existing=True)


def record_delivery(
    session: Session,
    row: Delivery,
    *,
    error: str | None,
    retry_in: timedelta | None,
    now: datetime,
) -> None:
    """Mark a delivery: sent (no error), due again in `retry_in`, or failed for good."""
    row.last_error = error[:300] if error else None
    if error is None:
        row.status, row.sent_at = "sent", now
    elif retry_in is None:
        row.status = "failed"
    else:
        row.next_attempt_at = now + retry_in
    session.flush()


def retry_delay(attempts: int, *, base: float, longest: float = 600.0) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … after each failed attempt, capped."""
    return timedelta(seconds=min(longest, base * 2 ** max(attempts - 1, 0)))
