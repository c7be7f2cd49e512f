"""The decision log: what a manager decided about a KPI — an action with an owner, a due date and
a success criterion, or a challenge aimed at it — kept so impact analytics can report on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.errors import Invalid, NotFound
from kpi_engine.frames import check_access, parse_scope
from kpi_engine.kpi_models import KpiAlert, KpiDecision
from kpi_engine.kpis import definition
from kpi_engine.models import User
from kpi_engine.periods import parse_period


@dataclass(frozen=True)
class DecisionInput:
    kpi_key: str
    scope: str
    period: str
    action: str
    owner_id: int | None = None
    due_on: date | None = None
    success_criterion: str | None = None
    challenge_id: int | None = None
    alert_id: int | None = None


def record_decision(
    session: Session, actor: User, given: DecisionInput, *, now: datetime, tz: str = "UTC"
) -> KpiDecision:
    """Log a decision on a KPI of a scope the actor may see; an action needs an owner, a due
    date and a success criterion, unless it is a challenge (which carries its own)."""
    scope = parse_scope(given.scope)
    check_access(session, actor, scope)
    errors = _missing(given)
    if given.owner_id is not None and session.get(User, given.owner_id) is None:
        errors["owner_id"] = [f"no user with id {given.owner_id}"]
    if given.alert_id is not None and session.get(KpiAlert, given.alert_id) is None:
        errors["alert_id"] = [f"no alert with id {given.alert_id}"]
    if errors:
        raise Invalid("the decision is not complete", errors)
    decision = KpiDecision(
        kpi_key=definition(given.kpi_key).key, scope=scope.label,
        period=parse_period(given.period, tz).label, action=given.action.strip(),
        owner_id=given.owner_id, due_on=given.due_on, success_criterion=given.success_criterion,
        challenge_id=given.challenge_id, alert_id=given.alert_id, created_by_id=actor.id,
        created_at=now,
    )  # fmt: skip
    session.add(decision)
    session.flush()
    return decision


def _missing(given: DecisionInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not given.action.strip():
        errors["action"] = ["say what will be done"]
    if given.challenge_id is None:
        for name in ("owner_id", "due_on", "success_criterion"):
            if not getattr(given, name):
                errors[name] = ["needed for an action that is not a challenge"]
    return errors


def decision_log(session: Session, scope_labels: list[str], limit: int = 50) -> list[KpiDecision]:
    """Decisions on these scopes, newest first."""
    query = select(KpiDecision).where(KpiDecision.scope.in_(scope_labels))
    return list(session.scalars(query.order_by(KpiDecision.created_at.desc()).limit(limit)))


def decision(session: Session, decision_id: int) -> KpiDecision:
    found = session.get(KpiDecision, decision_id)
    if found is None:
        raise NotFound(f"no decision with id {decision_id}", {"decision": ["unknown"]})
    return found
