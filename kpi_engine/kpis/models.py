"""What an admin or manager edits about KPIs (formulas stay in code): settings, the KPIs each role's
scorecard shows, targets and thresholds, period inputs, and what the engine records — alerts raised
and decisions taken."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from kpi_engine.db import Base, Choices, UTCDateTime, utcnow


class ScorecardRole(Choices):
    SDR = "SDR"
    AE = "AE"
    AM = "AM"
    MANAGER = "manager"


class InputKind(Choices):
    QUOTA = "quota"
    MARKETING_COST = "marketing_cost"
    SALES_COST = "sales_cost"
    FORECAST = "forecast"
    CHURNED_CUSTOMERS = "churned_customers"


class KpiSetting(Base):
    """Who owns a KPI (gets its alerts); without a row the scope's owner does."""

    __tablename__ = "kpi_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(60), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class ScorecardKpi(Base):
    """One KPI on a role's scorecard; a role without rows shows the KPIS.md defaults."""

    __tablename__ = "scorecard_kpi"
    __table_args__ = (
        Unique("role", "kpi_key", name="uq_scorecard_kpi_role_kpi_key"),
        ScorecardRole.check("role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    kpi_key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)


class KpiTarget(Base):
    """A target for one KPI, scope and period; `red_at` is where red starts (None: 10 % off)."""

    __tablename__ = "kpi_target"
    __table_args__ = (
        Unique("kpi_key", "scope", "period", name="uq_kpi_target_kpi_key_scope_period"),
        Index("ix_kpi_target_period_scope", "period", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(140))
    period: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    red_at: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KpiInput(Base):
    """A number the CRM does not carry, entered or imported per scope and period (money in the
    org currency; churned_customers is a count)."""

    __tablename__ = "kpi_input"
    __table_args__ = (
        Unique("kind", "scope", "period", name="uq_kpi_input_kind_scope_period"),
        InputKind.check("kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    scope: Mapped[str] = mapped_column(String(140))
    period: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KpiAlert(Base):
    """A crossing into red; it stays open (cleared_at NULL) until the KPI leaves red."""

    __tablename__ = "kpi_alert"
    __table_args__ = (Index("ix_kpi_alert_open", "kpi_key", "scope", "period", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(140))
    period: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    target: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KpiDecision(Base):
    """What a manager decided about a KPI: an action with owner, due date and success criterion,
    or a challenge aimed at it (a plain id: the KPI engine knows nothing of gameplay's tables)."""

    __tablename__ = "kpi_decision"
    __table_args__ = (Index("ix_kpi_decision_scope_kpi", "scope", "kpi_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(140))
    period: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    success_criterion: Mapped[str | None] = mapped_column(Text)
    challenge_id: Mapped[int | None] = mapped_column(Integer, index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_alert.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
