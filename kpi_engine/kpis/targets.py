"""Targets per KPI, scope and period, and the thresholds that colour a value.

With direction "higher", a value at or above the target is green, below `red_at` red, between
amber; "lower" mirrors it. Without `red_at`, red starts 10 % worse than the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.kpis.models import KpiTarget
from kpi_engine.kpis.registry import KpiDefinition, definition
from kpi_engine.periods import parse_period
from kpi_engine.sales.dataframes import parse_scope
from kpi_engine.words import N_, said

DEFAULT_RED_MARGIN = 0.10


@dataclass(frozen=True)
class Threshold:
    target: float
    red_at: float
    source: str  # "set" for a target someone entered, "previous period" for the fallback


def threshold(kpi: KpiDefinition, target: float, red_at: float | None, source: str) -> Threshold:
    if red_at is None:
        margin = abs(target) * DEFAULT_RED_MARGIN
        red_at = target - margin if kpi.direction == "higher" else target + margin
    return Threshold(target, red_at, source)


def status(kpi: KpiDefinition, value: float | None, limits: Threshold | None) -> str:
    """green, amber or red respecting the KPI's direction; "none" without value or target."""
    if value is None or limits is None:
        return "none"
    sign = 1 if kpi.direction == "higher" else -1
    if sign * value >= sign * limits.target:
        return "green"
    return "red" if sign * value < sign * limits.red_at else "amber"


def set_target(
    session: Session,
    *,
    kpi_key: str,
    scope: str,
    period: str,
    target: Decimal,
    red_at: Decimal | None = None,
    tz: str = "UTC",
) -> KpiTarget:
    """Create or replace the target of a KPI for a scope and period."""
    kpi = definition(kpi_key)
    scope_label, period_label = parse_scope(scope).label, parse_period(period, tz).label
    sign = 1 if kpi.direction == "higher" else -1
    if red_at is not None and sign * red_at > sign * target:
        sentence, field = (
            (
                N_("for %(kpi)s (where higher is better) red must start below the target"),
                N_("must be below the target %(target)s"),
            )
            if sign == 1
            else (
                N_("for %(kpi)s (where lower is better) red must start above the target"),
                N_("must be above the target %(target)s"),
            )
        )
        raise Invalid(sentence, {"red_at": [said(field, target=str(target))]}, kpi=said(kpi.name))

    row = session.scalar(_query(kpi.key, scope_label, period_label)) or KpiTarget(
        kpi_key=kpi.key, scope=scope_label, period=period_label
    )
    row.target, row.red_at, row.updated_at = target, red_at, utcnow()
    session.add(row)
    session.flush()
    return row


def _query(kpi_key: str, scope: str, period: str) -> Select[KpiTarget]:
    return select(KpiTarget).where(
        KpiTarget.kpi_key == kpi_key, KpiTarget.scope == scope, KpiTarget.period == period
    )


def targets_for(session: Session, scope: str, period: str) -> dict[str, KpiTarget]:
    """The targets set for a scope and period, by KPI key."""
    query = select(KpiTarget).where(KpiTarget.scope == scope, KpiTarget.period == period)
    return {t.kpi_key: t for t in session.scalars(query)}


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def set_threshold(kpi: KpiDefinition, row: KpiTarget) -> Threshold:
    return threshold(kpi, float(row.target), _float(row.red_at), "set")
