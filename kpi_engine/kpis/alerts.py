"""Alerts: one per crossing into red, to the KPI's owner, not one per refresh.

An alert stays open while its KPI is red; when the KPI leaves red the alert is cleared, and the
next crossing raises a new one. Only targets someone set raise alerts — the fallback target (the
previous period) colours a scorecard but would page people for every dip.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.kpis.models import KpiAlert, KpiSetting, KpiTarget
from kpi_engine.kpis.scorecards import ScorecardRow, scorecard
from kpi_engine.org.models import Team, User
from kpi_engine.periods import Period, parse_period
from kpi_engine.sales.dataframes import Scope, parse_scope


def set_kpi_owner(session: Session, kpi_key: str, owner_id: int | None) -> KpiSetting:
    """Make a user the owner of a KPI everywhere (None: each scope's owner again)."""
    setting = session.scalar(select(KpiSetting).where(KpiSetting.kpi_key == kpi_key))
    setting = setting or KpiSetting(kpi_key=kpi_key)
    setting.owner_id = owner_id
    session.add(setting)
    session.flush()
    return setting


def owner_of(session: Session, kpi_key: str, scope: Scope) -> int | None:
    """The KPI's owner if an admin named one, else the rep, the team's manager, or an admin."""
    named = session.scalar(select(KpiSetting.owner_id).where(KpiSetting.kpi_key == kpi_key))
    if named is not None:
        return named
    if scope.kind == "rep":
        return scope.ref_id
    if scope.kind == "team":
        return session.scalar(select(Team.manager_id).where(Team.id == scope.ref_id))
    return session.scalar(select(User.id).where(User.app_role == "admin").order_by(User.id))


def _open_alert(session: Session, key: str, scope: str, period: str) -> KpiAlert | None:
    return session.scalar(
        select(KpiAlert).where(
            KpiAlert.kpi_key == key,
            KpiAlert.scope == scope,
            KpiAlert.period == period,
            KpiAlert.cleared_at.is_(None),
        )
    )


def _settle(
    session: Session, scope: Scope, period: Period, row: ScorecardRow, now: datetime
) -> KpiAlert | None:
    """Raise an alert for a fresh crossing into red, clear one that is no longer red."""
    current = _open_alert(session, row.kpi.key, scope.label, period.label)
    if row.status != "red":
        if current is not None:
            current.cleared_at = now
        return None
    if current is not None or row.threshold is None or row.measure.value is None:
        return None
    alert = KpiAlert(
        kpi_key=row.kpi.key, scope=scope.label, period=period.label, raised_at=now,
        owner_id=owner_of(session, row.kpi.key, scope), value=Decimal(str(row.measure.value)),
        target=Decimal(str(row.threshold.target)),
    )  # fmt: skip
    session.add(alert)
    return alert


def evaluate_alerts(session: Session, now: datetime, tz: str = "UTC") -> list[KpiAlert]:
    """Check every target set for a period running now; return the alerts newly raised."""
    periods = session.execute(select(KpiTarget.scope, KpiTarget.period).distinct()).all()
    raised = []
    for scope_label, period_label in sorted(periods):
        period = parse_period(period_label, tz)
        if not period.contains(now):
            continue
        raised += evaluate_scope(session, parse_scope(scope_label), period, now)
    session.flush()
    return raised


def evaluate_scope(session: Session, scope: Scope, period: Period, now: datetime) -> list[KpiAlert]:
    """Settle the alerts of the KPIs with a set target for one scope and period."""
    keys = session.scalars(
        select(KpiTarget.kpi_key)
        .where(KpiTarget.scope == scope.label, KpiTarget.period == period.label)
        .order_by(KpiTarget.kpi_key)
    ).all()
    card = scorecard(session, scope, period, now=now, keys=keys)
    settled = [_settle(session, scope, period, r, now) for r in card.rows]
    return [a for a in settled if a is not None]


def alert_digest(session: Session, scope_labels: list[str], limit: int = 20) -> list[KpiAlert]:
    """The latest alerts of these scopes, newest first: the manager page's digest."""
    query = select(KpiAlert).where(KpiAlert.scope.in_(scope_labels))
    return list(session.scalars(query.order_by(KpiAlert.raised_at.desc()).limit(limit)))
