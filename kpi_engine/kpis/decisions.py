"""The decision log: what a manager decided about a KPI — an action with an owner, a due date and
a success criterion, or a challenge aimed at it — kept so impact analytics can report on it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.errors import Forbidden, Invalid, NotFound
from kpi_engine.kpis.models import KpiAlert, KpiDecision
from kpi_engine.kpis.registry import definition
from kpi_engine.org.models import User
from kpi_engine.org.reach import reach
from kpi_engine.periods import parse_period
from kpi_engine.sales.dataframes import check_access, parse_scope
from kpi_engine.words import N_, said


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
    session: Session,
    actor: User,
    given: DecisionInput,
    *,
    now: datetime,
    tz: str = "UTC",
    challenge_ids: Collection[int],
) -> KpiDecision:
    """Log a decision on a KPI of a scope the actor may see; an action needs an owner, a due
    date and a success criterion, unless it is a challenge (which carries its own).

    Everything it names is the actor's to name: an owner they may act for (kpi_engine.org.reach),
    an alert on a scope they see, and one of `challenge_ids`, the challenges they manage (the
    game decides those; this package cannot read challenges)."""
    scope = parse_scope(given.scope)
    check_access(session, actor, scope)
    errors = _missing(given) | _out_of_reach(session, actor, given, challenge_ids)
    if errors:
        raise Invalid(N_("the decision is not complete"), errors)
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


def _out_of_reach(
    session: Session, actor: User, given: DecisionInput, challenge_ids: Collection[int]
) -> dict[str, list[str]]:
    """What the decision names that the actor may not name (unknown and foreign alike)."""
    errors: dict[str, list[str]] = {}
    owner = session.get(User, given.owner_id) if given.owner_id is not None else None
    if given.owner_id is not None and owner is None:
        errors["owner_id"] = [said(N_("no user with id %(id)s"), id=str(given.owner_id))]
    elif owner is not None and not reach(session, actor).covers({owner.id}):
        outside = N_("user %(id)s is not you or a member of a team you manage")
        errors["owner_id"] = [said(outside, id=str(owner.id))]
    if given.challenge_id is not None and given.challenge_id not in challenge_ids:
        foreign = N_("challenge %(id)s is not one you manage")
        errors["challenge_id"] = [said(foreign, id=str(given.challenge_id))]
    if given.alert_id is not None:
        alert = session.get(KpiAlert, given.alert_id)
        if alert is None or not _sees(session, actor, alert.scope):
            unseen = N_("no alert with id %(id)s on a scope you see")
            errors["alert_id"] = [said(unseen, id=str(given.alert_id))]
    return errors


def _sees(session: Session, actor: User, scope_label: str) -> bool:
    try:
        check_access(session, actor, parse_scope(scope_label))
    except Forbidden:
        return False
    return True


def _missing(given: DecisionInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not given.action.strip():
        errors["action"] = [N_("say what will be done")]
    if given.challenge_id is None:
        for name in ("owner_id", "due_on", "success_criterion"):
            if not getattr(given, name):
                errors[name] = [N_("needed for an action that is not a challenge")]
    return errors


def decision_log(session: Session, scope_labels: list[str], limit: int = 50) -> list[KpiDecision]:
    """Decisions on these scopes, newest first."""
    query = select(KpiDecision).where(KpiDecision.scope.in_(scope_labels))
    return list(session.scalars(query.order_by(KpiDecision.created_at.desc()).limit(limit)))


def decision(session: Session, decision_id: int) -> KpiDecision:
    found = session.get(KpiDecision, decision_id)
    if found is None:
        raise NotFound(
            N_("no decision with id %(id)s"), {"decision": [N_("unknown")]}, id=str(decision_id)
        )

    return found
