"""Idempotent ingest of sales events: store each once, then derive the deal/activity mirror.

The mirror is a fold over the raw events of each deal (or activity) in occurred_at order, so
events that arrive out of order, or twice, end in the same state as an orderly stream, and
`rebuild_mirror` gives exactly what the incremental path gave.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from kpi_engine.db import utcnow
from kpi_engine.models import (
    ACTIVITY_KINDS,
    ACTIVITY_OUTCOMES,
    Activity,
    Deal,
    DealStageChange,
    ProductAlias,
    RawEvent,
    User,
)
from kpi_engine.org import managed_team_ids

DEAL_EVENT_TYPES = ("deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost")
EVENT_TYPES = ("activity.logged", *DEAL_EVENT_TYPES)
DEAL_FIELDS = ("account", "product", "segment", "source", "amount", "currency")
WON_STAGES = {"won", "closed won", "closedwon"}
LOST_STAGES = {"lost", "closed lost", "closedlost"}
_CHUNK = 500


@dataclass(frozen=True)
class SalesEvent:
    """One event as a source delivered it: idempotency key, type, time, rep and data."""

    id: str
    type: str
    occurred_at: datetime
    rep: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    index: int
    id: str | None
    errors: dict[str, list[str]]


@dataclass(frozen=True)
class DealTransition:
    """A deal whose won/lost/open status changed because of this ingest."""

    deal: Deal
    before: str | None
    after: str

    @property
    def became_won(self) -> bool:
        return self.after == "won" and self.before != "won"

    @property
    def left_won(self) -> bool:
        return self.before == "won" and self.after != "won"


@dataclass
class IngestResult:
    accepted: list[RawEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    new_activities: list[Activity] = field(default_factory=list)
    deal_transitions: list[DealTransition] = field(default_factory=list)


def stage_status(stage: str) -> str:
    """The status a CRM stage name stands for: won, lost, or open."""
    name = stage.strip().lower()
    if name in WON_STAGES:
        return "won"
    if name in LOST_STAGES:
        return "lost"
    return "open"


def event_errors(event: SalesEvent) -> dict[str, list[str]]:
    """What is wrong with an event's meaning, field by field (empty when nothing is)."""
    errors: dict[str, list[str]] = {}
    if event.type not in EVENT_TYPES:
        errors["type"] = [f"unknown event type {event.type!r}; expected one of {EVENT_TYPES}"]
        return errors
    if event.occurred_at.tzinfo is None:
        errors["occurred_at"] = ["must carry a UTC offset"]
    data = event.data
    if event.type == "activity.logged":
        if data.get("kind") not in ACTIVITY_KINDS:
            errors["data.kind"] = [f"kind must be one of {ACTIVITY_KINDS}"]
        if data.get("outcome", "none") not in ACTIVITY_OUTCOMES:
            errors["data.outcome"] = [f"outcome must be one of {ACTIVITY_OUTCOMES}"]
        return errors
    if not data.get("deal_id"):
        errors["data.deal_id"] = ["a deal event needs the CRM deal id"]
    if event.type == "deal.stage_changed" and not data.get("stage"):
        errors["data.stage"] = ["a stage change needs the new stage"]
    amount = data.get("amount")
    if amount is not None:
        try:
            if Decimal(str(amount)) < 0:
                errors["data.amount"] = ["amount cannot be negative"]
        except InvalidOperation:
            errors["data.amount"] = [f"amount {amount!r} is not a number"]
    return errors


def ingest_events(
    session: Session,
    events: Sequence[SalesEvent],
    *,
    source: str = "api",
    now: datetime | None = None,
) -> IngestResult:
    """Store new events once each and update the mirror; duplicates and bad ones change nothing."""
    now = now or utcnow()
    result = IngestResult()
    reps = resolve_reps(session, {e.rep for e in events})
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, event in enumerate(events):
        errors = event_errors(event)
        rep = reps.get(event.rep)
        if rep is None:
            errors["rep"] = [f"unknown rep {event.rep!r}: no user has that email or CRM id"]
        if errors:
            result.rejected.append(Rejection(index, event.id, errors))
        elif event.id in seen:
            result.duplicates.append(event.id)
        else:
            seen.add(event.id)
            rows.append(_raw_row(event, rep, source, now))  # type: ignore[arg-type]
    inserted = _insert_new(session, rows)
    result.duplicates.extend(
        r["idempotency_key"] for r in rows if r["idempotency_key"] not in inserted
    )
    result.accepted = sorted(inserted.values(), key=lambda r: r.id)
    apply_to_mirror(session, result.accepted, result, now=now)
    return result


def apply_to_mirror(
    session: Session, raws: Sequence[RawEvent], result: IngestResult, *, now: datetime
) -> None:
    """Refold every deal and activity these raw events touch, recording what changed."""
    deal_subjects = {r.subject for r in raws if r.type in DEAL_EVENT_TYPES}
    activity_subjects = {r.subject for r in raws if r.type == "activity.logged"}
    aliases = product_aliases(session)
    for chunk in _chunks(sorted(deal_subjects)):
        _refold_deals(session, chunk, aliases, result, now)
    for chunk in _chunks(sorted(activity_subjects)):
        _refold_activities(session, chunk, result)
    session.flush()


def rebuild_mirror(session: Session) -> int:
    """Drop the deal/activity mirror and derive it again from all raw events; returns deals."""
    session.execute(delete(DealStageChange))
    session.execute(delete(Deal))
    session.execute(delete(Activity))
    session.flush()
    session.expunge_all()
    raws = session.scalars(select(RawEvent).order_by(RawEvent.id)).all()
    apply_to_mirror(session, raws, IngestResult(), now=utcnow())
    return len({r.subject for r in raws if r.type in DEAL_EVENT_TYPES})


def reps_out_of_reach(
    session: Session, actor: User, events: Sequence[SalesEvent]
) -> dict[int, dict[str, list[str]]]:
    """Per index, events whose rep the actor may not record for (unknown reps are left to ingest).

    A rep records their own events, a manager those of their teams, an admin anyone's.
    """
    if actor.app_role == "admin":
        return {}
    teams = managed_team_ids(session, actor)
    reps = resolve_reps(session, {e.rep for e in events})
    refused: dict[int, dict[str, list[str]]] = {}
    for index, event in enumerate(events):
        rep = reps.get(event.rep)
        if rep is not None and rep.id != actor.id and rep.team_id not in teams:
            refused[index] = {"rep": [f"you may not record events for {event.rep}"]}
    return refused


def product_aliases(session: Session) -> dict[str, str]:
    """Alias spelling → canonical product name."""
    return dict(session.execute(select(ProductAlias.alias, ProductAlias.product)).all())


def resolve_reps(session: Session, keys: Iterable[str]) -> dict[str, User]:
    """Map each rep reference (email, any case, or CRM user id) to its user, if one exists."""
    wanted = sorted({k for k in keys if k})
    by_key: dict[str, User] = {}
    for chunk in _chunks(wanted):
        lowered = [k.lower() for k in chunk]
        query = select(User).where(or_(User.email.in_(lowered), User.crm_user_id.in_(chunk)))
        for user in session.scalars(query):
            by_key[user.email.lower()] = user
            if user.crm_user_id:
                by_key[user.crm_user_id] = user
    return {k: u for k in wanted if (u := by_key.get(k) or by_key.get(k.lower())) is not None}


def _raw_row(event: SalesEvent, rep: User, source: str, now: datetime) -> dict[str, Any]:
    subject = event.data.get("deal_id") if event.type in DEAL_EVENT_TYPES else None
    subject = subject or event.data.get("activity_id") or event.id
    payload = {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "rep": event.rep,
        "data": {k: _jsonable(v) for k, v in event.data.items()},
    }
    return {
        "idempotency_key": event.id,
        "type": event.type,
        "rep_id": rep.id,
        "subject": str(subject),
        "occurred_at": event.occurred_at,
        "received_at": now,
        "source": source,
        "payload": payload,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, RawEvent]:
    """Insert rows whose key is new; a key another delivery stored first is left alone."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(RawEvent).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
    elif dialect == "sqlite":
        stmt = sqlite.insert(RawEvent).on_conflict_do_nothing(index_elements=["idempotency_key"])
    else:  # pragma: no cover - the supported databases are the two above
        stmt = insert(RawEvent)
    # RETURNING the whole rows gives the stored objects without reading them back.
    stored: dict[str, RawEvent] = {}
    for chunk in _chunks(rows):
        for raw in session.scalars(stmt.returning(RawEvent), chunk):
            stored[raw.idempotency_key] = raw
    return stored


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _events_by_subject(session: Session, subjects: Sequence[str], types: Sequence[str]):
    raws = session.scalars(
        select(RawEvent)
        .where(RawEvent.subject.in_(subjects), RawEvent.type.in_(types))
        .order_by(RawEvent.occurred_at, RawEvent.id)
    ).all()
    grouped: dict[str, list[RawEvent]] = defaultdict(list)
    for raw in raws:
        grouped[raw.subject].append(raw)
    return grouped


def _refold_deals(
    session: Session,
    subjects: Sequence[str],
    aliases: dict[str, str],
    result: IngestResult,
    now: datetime,
) -> None:
    grouped = _events_by_subject(session, subjects, DEAL_EVENT_TYPES)
    # The stage history is compared with the refolded one: load it in one query, not per deal.
    query = select(Deal).where(Deal.crm_id.in_(subjects)).options(selectinload(Deal.stage_changes))
    existing = {d.crm_id: d for d in session.scalars(query)}
    for subject in subjects:
        deal = existing.get(subject)
        before = deal.status if deal is not None else None
        if deal is None:
            deal = Deal(crm_id=subject)
            session.add(deal)
        _fold_deal(deal, grouped[subject], aliases, now)
        if deal.status != before:
            result.deal_transitions.append(DealTransition(deal, before, deal.status))


def _fold_deal(deal: Deal, raws: list[RawEvent], aliases: dict[str, str], now: datetime) -> None:
    deal.stage = ""
    deal.status = "open"
    deal.closed_at = None
    deal.engaged_at = None
    deal.created_at = raws[0].occurred_at
    history: list[tuple[str | None, str, datetime]] = []
    for raw in raws:
        data = raw.payload["data"]
        deal.owner_id = raw.rep_id
        for name in DEAL_FIELDS:
            if data.get(name) is not None:
                setattr(deal, name, _deal_value(name, data[name], aliases))
        if raw.type == "deal.created":
            deal.created_at = raw.occurred_at
        if data.get("engaged_at"):
            deal.engaged_at = datetime.fromisoformat(data["engaged_at"])
        stage = _stage_of(raw, deal.stage)
        if stage and stage != deal.stage:
            history.append((deal.stage or None, stage, raw.occurred_at))
            _enter_stage(deal, stage, raw.occurred_at)
    if not deal.stage:
        deal.stage = "Prospecting"
    deal.updated_at = now
    _replace_history(deal, history)


def _stage_of(raw: RawEvent, current: str) -> str | None:
    stage = raw.payload["data"].get("stage")
    if raw.type == "deal.won":
        return stage if stage and stage_status(stage) == "won" else "Won"
    if raw.type == "deal.lost":
        return stage if stage and stage_status(stage) == "lost" else "Lost"
    if raw.type == "deal.created":
        return stage or current or "Prospecting"
    return stage


def _enter_stage(deal: Deal, stage: str, at: datetime) -> None:
    previous = deal.stage
    deal.stage = stage
    deal.status = stage_status(stage)
    deal.closed_at = at if deal.status != "open" else None
    if previous and deal.engaged_at is None and deal.status == "open":
        deal.engaged_at = at


def _replace_history(deal: Deal, history: list[tuple[str | None, str, datetime]]) -> None:
    current = [(c.from_stage, c.to_stage, c.changed_at) for c in deal.stage_changes]
    if current == history:
        return
    # Most deliveries only add stages at the end: keep the rows already right, add the rest.
    kept = len(current) if current == history[: len(current)] else 0
    if not kept:
        deal.stage_changes = []
    deal.stage_changes.extend(
        DealStageChange(from_stage=a, to_stage=b, changed_at=at) for a, b, at in history[kept:]
    )


def _deal_value(name: str, value: Any, aliases: dict[str, str]) -> Any:
    if name == "amount":
        return Decimal(str(value))
    if name == "product":
        return aliases.get(value, value)
    if name == "currency":
        return str(value).upper()
    return value


def _refold_activities(session: Session, subjects: Sequence[str], result: IngestResult) -> None:
    grouped = _events_by_subject(session, subjects, ("activity.logged",))
    existing = {
        a.crm_id: a for a in session.scalars(select(Activity).where(Activity.crm_id.in_(subjects)))
    }
    new_rows = []
    for subject in subjects:
        fields = _activity_fields(grouped[subject][-1])
        activity = existing.get(subject)
        if activity is None:
            new_rows.append({"crm_id": subject, **fields})
            continue
        for name, value in fields.items():
            setattr(activity, name, value)
    if new_rows:
        # One INSERT .. RETURNING for the new ones: the unit of work's bookkeeping per object
        # cost more than the insert itself.
        stmt = insert(Activity).returning(Activity, sort_by_parameter_order=True)
        result.new_activities.extend(session.scalars(stmt, new_rows))


def _activity_fields(latest: RawEvent) -> dict[str, Any]:
    """An activity is what its latest raw event says."""
    data = latest.payload["data"]
    return {
        "rep_id": latest.rep_id,
        "kind": data["kind"],
        "outcome": data.get("outcome") or "none",
        "deal_crm_id": data.get("deal_id"),
        "note": data.get("note"),
        "occurred_at": latest.occurred_at,
    }
