"""The sales data mirrored from the CRM: deals, their stage changes, activities, the raw
events they are derived from, and product aliases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpi_engine.db import Base, Choices, UTCDateTime, utcnow
from kpi_engine.org.models import User


class DealStatus(Choices):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ActivityKind(Choices):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    DEMO = "demo"
    SOCIAL = "social"


class ActivityOutcome(Choices):
    NONE = "none"
    NO_ANSWER = "no_answer"
    CONNECTED = "connected"
    REPLIED = "replied"
    MEETING_BOOKED = "meeting_booked"


class Deal(Base):
    """The mirror of one CRM opportunity, derived from its raw events.

    Each dated fact (created, engaged, closed) is kept twice: `*_at` is the instant recorded for
    it (what the game orders and times events by), `*_on` its calendar day (what KPIs and
    periods read). The day is fixed when the fact is recorded, so a later change of
    ORG_TIMEZONE moves no deal to another day, and days between two facts are whole days.
    A deal whose export gave no creation date has neither created_at nor created_on."""

    __tablename__ = "deal"
    __table_args__ = (
        DealStatus.check("status"),
        Index("ix_deal_owner_closed_on", "owner_id", "closed_on"),
        Index("ix_deal_closed_on", "closed_on"),
        Index("ix_deal_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(120), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    account: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(120))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    stage: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    engaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_on: Mapped[date | None] = mapped_column(Date)
    engaged_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship()
    stage_changes: Mapped[list[DealStageChange]] = relationship(
        back_populates="deal",
        order_by="DealStageChange.changed_at",
        cascade="all, delete-orphan",
    )


class DealStageChange(Base):
    __tablename__ = "deal_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(60))
    to_stage: Mapped[str] = mapped_column(String(60))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    deal: Mapped[Deal] = relationship(back_populates="stage_changes")


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_rep_occurred", "rep_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(120), unique=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(24), default="none")
    # The CRM's deal id, not a foreign key: an activity may arrive before its deal does.
    deal_crm_id: Mapped[str | None] = mapped_column(String(120), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())

    rep: Mapped[User] = relationship()


class RawEvent(Base):
    """An incoming sales event exactly as accepted; append-only, the source of the mirror."""

    __tablename__ = "raw_event"
    __table_args__ = (Index("ix_raw_event_subject", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The deal's CRM id for deal events, the activity's for activities: what the event is about.
    subject: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The calendar day of the fact, fixed on arrival (see sales.ingest.SalesEvent.day); NULL
    # when the source gave no date and occurred_at only orders the event among its deal's.
    occurred_on: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(16), default="api")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProductAlias(Base):
    """A spelling a CRM export uses for a product, mapped to its canonical name."""

    __tablename__ = "product_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(200), unique=True)
    product: Mapped[str] = mapped_column(String(200))
