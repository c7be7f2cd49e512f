"""Idempotent ingest of sales events: store each once, then derive the deal/activity mirror.

The mirror is a fold over the raw events of each deal (or activity) in occurred_at order, so
events that arrive out of order, or twice, end in the same state as an orderly stream, and
`rebuild_mirror` gives exactly what the incremental path gave.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kpi_engine.db import table_of, utcnow
from kpi_engine.org.models import User
from kpi_engine.org.reach import EVERYONE, Reach
from kpi_engine.periods import zone as time_zone
from kpi_engine.sales.folds import (
    FoldedDeal,
    NewActivity,
    Stage,
    StoredEvent,
    WinTerms,
    activity_of,
    fold_deal,
    terms_of,
    win_terms,
)
from kpi_engine.sales.folds import stage_status as stage_status  # re-exported: kpis, crm_import
from kpi_engine.sales.models import (
    Activity,
    ActivityKind,
    ActivityOutcome,
    Deal,
    DealStageChange,
    ProductAlias,
    RawEvent,
)
from kpi_engine.words import N_, said

DEAL_EVENT_TYPES = ("deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost")
EVENT_TYPES = ("activity.logged", *DEAL_EVENT_TYPES)
_CHUNK = 500
DEALS = table_of(Deal)
STAGE_CHANGES = table_of(DealStageChange)
ACTIVITIES = table_of(Activity)
RAW_EVENTS = table_of(RawEvent)
# The deal columns `win_terms` takes, in its order.
WIN_TERMS = tuple(
    DEALS.c[name] for name in ("owner_id", "closed_at", "amount", "product", "segment", "account")
)


@dataclass(frozen=True)
class SalesEvent:
    """One event as a source delivered it: idempotency key, type, time, rep and data.

    `day` is the calendar day of the fact when the source wrote one (a CRM date-only cell);
    otherwise it is occurred_at's day in the organisation's time zone on arrival. Either way it
    is stored with the event, so reading the data under another zone later moves nothing.
    `undated` says the source gave no date at all (an export row with an empty Create Date):
    occurred_at then only places the event among its deal's others, and the deal keeps no
    date for that fact."""

    id: str
    type: str
    occurred_at: datetime
    rep: str
    data: dict[str, Any]
    day: date | None = None
    undated: bool = False


@dataclass(frozen=True)
class Rejection:
    index: int
    id: str | None
    errors: dict[str, list[str]]


@dataclass(frozen=True)
class DealTransition:
    """A deal whose won/lost/open status changed because of this ingest, or that stayed won
    on other terms (another amount, owner, close date, product, segment or account)."""

    deal: FoldedDeal
    before: str | None
    after: str
    revalued: bool = False

    @classmethod
    def of(
        cls, deal: FoldedDeal, before: str | None, terms: WinTerms | None
    ) -> DealTransition | None:
        """What changed for a deal that was `before` (on `terms` if won) and is now `deal`."""
        if deal.status != before:
            return cls(deal, before, deal.status)
        if before == "won" and terms_of(deal) != terms:
            return cls(deal, "won", "won", revalued=True)
        return None

    @property
    def became_won(self) -> bool:
        return self.after == "won" and self.before != "won"

    @property
    def left_won(self) -> bool:
        return self.before == "won" and self.after != "won"


@dataclass
class IngestResult:
    accepted: list[StoredEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    new_activities: list[NewActivity] = field(default_factory=list)
    deal_transitions: list[DealTransition] = field(default_factory=list)
    # The reps of the events, as resolved once for the request: the game scores them next.
    reps: dict[int, User] = field(default_factory=dict)


def event_errors(event: SalesEvent) -> dict[str, list[str]]:
    """What is wrong with an event's meaning, field by field (empty when nothing is)."""
    errors: dict[str, list[str]] = {}
    if event.type not in EVENT_TYPES:
        errors["type"] = [
            said(
                N_("unknown event type %(type)s; expected one of %(types)s"),
                type=repr(event.type),
                types=str(EVENT_TYPES),
            )
        ]
        return errors
    if event.occurred_at.tzinfo is None:
        errors["occurred_at"] = [N_("must carry a UTC offset")]
    data = event.data
    if event.type == "activity.logged":
        if data.get("kind") not in ActivityKind.values():
            errors["data.kind"] = [
                said(N_("kind must be one of %(kinds)s"), kinds=str(ActivityKind.values()))
            ]
        if data.get("outcome", "none") not in ActivityOutcome.values():
            errors["data.outcome"] = [
                said(
                    N_("outcome must be one of %(outcomes)s"),
                    outcomes=str(ActivityOutcome.values()),
                )
            ]
        return errors
    if not data.get("deal_id"):
        errors["data.deal_id"] = [N_("a deal event needs the CRM deal id")]
    if event.type == "deal.stage_changed" and not data.get("stage"):
        errors["data.stage"] = [N_("a stage change needs the new stage")]
    amount = data.get("amount")
    if amount is not None:
        try:
            if Decimal(str(amount)) < 0:
                errors["data.amount"] = [N_("amount cannot be negative")]
        except InvalidOperation:
            errors["data.amount"] = [
                said(N_("amount %(amount)s is not a number"), amount=repr(amount))
            ]
    return errors


def ingest_events(
    session: Session,
    events: Sequence[SalesEvent],
    *,
    source: str = "api",
    now: datetime | None = None,
    reach: Reach = EVERYONE,
    tz: str = "UTC",
) -> IngestResult:
    """Store new events once each and update the mirror; duplicates and bad ones change nothing.

    `reach` is whom the caller may act for: an event for anyone else, or one that would move a
    deal or activity away from anyone else, is rejected (see `refusals`). `tz` is the
    organisation's time zone, which gives an instant without a stated day its calendar day."""
    now = now or utcnow()
    zone = time_zone(tz)
    result = IngestResult()
    take_turns(session, {_owned_subject(e) for e in events})
    reps = resolve_reps(session, {e.rep for e in events})
    result.reps = {rep.id: rep.user for rep in reps.values()}
    refused = refusals(session, events, reach, reps)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, event in enumerate(events):
        errors = event_errors(event) | refused.get(index, {})
        rep = reps.get(event.rep)
        if rep is None:
            errors["rep"] = [
                said(
                    N_("unknown rep %(rep)s: no user has that email or CRM id"),
                    rep=repr(event.rep),
                )
            ]
        if errors:
            result.rejected.append(Rejection(index, event.id, errors))
        elif event.id in seen:
            result.duplicates.append(event.id)
        else:
            seen.add(event.id)
            rows.append(_raw_row(event, rep, source, now, zone))  # type: ignore[arg-type]
    inserted = _insert_new(session, rows)
    result.duplicates.extend(
        r["idempotency_key"] for r in rows if r["idempotency_key"] not in inserted
    )
    result.accepted = sorted(inserted.values(), key=lambda r: r.id)
    apply_to_mirror(session, result.accepted, result, now=now)
    return result


def apply_to_mirror(
    session: Session, raws: Sequence[StoredEvent], result: IngestResult, *, now: datetime
) -> None:
    """Refold every deal and activity these raw events touch, recording what changed.

    A subject with no mirror row yet has no earlier raw events either (the two are written
    in one transaction), so its events here are all there is; only the others are read back."""
    deals = _by_subject(r for r in raws if r.type in DEAL_EVENT_TYPES)
    activities = _by_subject(r for r in raws if r.type == "activity.logged")
    aliases = product_aliases(session) if deals else {}
    for chunk in _chunks(sorted(deals)):
        _refold_deals(session, {s: deals[s] for s in chunk}, aliases, result, now)
    for chunk in _chunks(sorted(activities)):
        _refold_activities(session, {s: activities[s] for s in chunk}, result)


def rebuild_mirror(session: Session) -> int:
    """Drop the deal/activity mirror and derive it again from all raw events; returns deals."""
    session.execute(delete(DealStageChange))
    session.execute(delete(Deal))
    session.execute(delete(Activity))
    session.flush()
    session.expunge_all()
    raws = stored_events(session, select(RAW_EVENTS).order_by(RAW_EVENTS.c.id))
    apply_to_mirror(session, raws, IngestResult(), now=utcnow())
    return len({r.subject for r in raws if r.type in DEAL_EVENT_TYPES})


def stored_events(session: Session, query: Any) -> list[StoredEvent]:
    """The raw events a select of raw_event's columns finds, as StoredEvents."""
    return [StoredEvent(*row) for row in session.execute(query)]


def refusals(
    session: Session,
    events: Sequence[SalesEvent],
    reach: Reach,
    reps: dict[str, Rep] | None = None,
) -> dict[int, dict[str, list[str]]]:
    """Per index, why a caller with this reach may not write the event (unknown reps are left
    to ingest): its rep is out of reach, or its deal or activity belongs to someone out of
    reach, since moving a deal or activity needs the right to act for both owners."""
    if reach.everyone:
        return {}
    reps = reps if reps is not None else resolve_reps(session, {e.rep for e in events})
    owners = _current_owners(session, events)
    refused: dict[int, dict[str, list[str]]] = {}
    for index, event in enumerate(events):
        rep = reps.get(event.rep)
        if rep is None:
            continue
        key = _owned_subject(event)
        owner = owners.get(key)
        if not reach.covers({rep.id}):
            refused[index] = {
                "rep": [said(N_("you may not record events for %(rep)s"), rep=event.rep)]
            }
        elif owner is not None and owner != rep.id and not reach.covers({owner}):
            refused[index] = _move_refused(session, key, owner, event.rep)
        else:
            owners[key] = rep.id  # a later event of this batch moves it from this rep
    return refused


def take_turns(session: Session, subjects: Iterable[tuple[str, str]]) -> None:
    """Wait until no other transaction is writing these deals or activities, and keep them
    until this one ends.

    Each delivery folds a deal from the events committed before it, so two deliveries for one
    deal must not overlap or the later fold misses the other's events. On PostgreSQL that is a
    transaction-level advisory lock per subject, taken in one order by every writer so that two
    batches sharing deals cannot deadlock. The lock table is small (64 per connection by
    default), so a batch of many subjects (a file import) takes one lock over all ingests
    instead, which the small batches hold shared. SQLite's BEGIN IMMEDIATE already runs
    writers one at a time. All are taken before any challenge lock
    (gameplay.scoring.scorer.lock_challenges)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(kind, crm_id) for kind, crm_id in subjects})
    if len(keys) > MAX_SUBJECT_LOCKS:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALL_INGESTS})
        return
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": ALL_INGESTS})
    if keys:
        # The inner ORDER BY hands the keys to the outer call in that order.
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(k))"
                " FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"
            ),
            {"keys": keys},
        )


def _lock_key(kind: str, crm_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for one subject (every process agrees)."""
    digest = hashlib.blake2b(f"{kind}:{crm_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# One lock per subject up to this many in a batch; past it, one lock over every ingest.
MAX_SUBJECT_LOCKS = 32
ALL_INGESTS = _lock_key("ingest", "*")


def _owned_subject(event: SalesEvent) -> tuple[str, str]:
    """("deal" | "activity", CRM id): the mirror row this event would write, as `_raw_row`."""
    if event.type in DEAL_EVENT_TYPES:
        return "deal", str(event.data.get("deal_id") or event.id)
    return "activity", str(event.data.get("activity_id") or event.id)


def _current_owners(session: Session, events: Sequence[SalesEvent]) -> dict[tuple[str, str], int]:
    """The current owner of each deal and activity these events name, where one exists."""
    keys = {_owned_subject(e) for e in events}
    owners: dict[tuple[str, str], int] = {}
    for kind, table, column in (
        ("deal", DEALS, DEALS.c.owner_id),
        ("activity", ACTIVITIES, ACTIVITIES.c.rep_id),
    ):
        subjects = sorted(s for k, s in keys if k == kind)
        for chunk in _chunks(subjects):
            query = select(table.c.crm_id, column).where(table.c.crm_id.in_(chunk))
            owners.update({(kind, crm_id): owner for crm_id, owner in session.execute(query)})
    return owners


def _move_refused(
    session: Session, key: tuple[str, str], owner_id: int, rep: str
) -> dict[str, list[str]]:
    kind, crm_id = key
    owner = session.get(User, owner_id)
    name = owner.name if owner is not None else said(N_("user %(id)s"), id=str(owner_id))
    field = "data.deal_id" if kind == "deal" else "data.activity_id"
    template = (
        N_(
            "deal %(id)s belongs to %(owner)s: moving it to %(rep)s needs the right to act for "
            "both, which you do not have"
        )
        if kind == "deal"
        else N_(
            "activity %(id)s belongs to %(owner)s: moving it to %(rep)s needs the right to act "
            "for both, which you do not have"
        )
    )
    return {field: [said(template, id=crm_id, owner=name, rep=rep)]}


def product_aliases(session: Session) -> dict[str, str]:
    """Alias spelling → canonical product name."""
    return dict(session.execute(select(ProductAlias.alias, ProductAlias.product)).all())


class Rep(NamedTuple):
    """A user as ingestion knows them: who they are and which team they are in."""

    id: int
    email: str
    crm_user_id: str | None
    team_id: int | None
    user: User


def resolve_reps(session: Session, keys: Iterable[str]) -> dict[str, Rep]:
    """Map each rep reference (email, any case, or CRM user id) to its user, if one exists."""
    wanted = sorted({k for k in keys if k})
    by_key: dict[str, Rep] = {}
    for chunk in _chunks(wanted):
        lowered = [k.lower() for k in chunk]
        # Whole users: the game scores their events next and finds them in the session.
        query = select(User).where(or_(User.email.in_(lowered), User.crm_user_id.in_(chunk)))
        for user in session.scalars(query):
            rep = Rep(user.id, user.email, user.crm_user_id, user.team_id, user)
            by_key[rep.email.lower()] = rep
            if rep.crm_user_id:
                by_key[rep.crm_user_id] = rep
    return {k: u for k in wanted if (u := by_key.get(k) or by_key.get(k.lower())) is not None}


def _raw_row(
    event: SalesEvent, rep: Rep, source: str, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    subject = event.data.get("deal_id") if event.type in DEAL_EVENT_TYPES else None
    subject = subject or event.data.get("activity_id") or event.id
    data = {k: _jsonable(v) for k, v in event.data.items()}
    if isinstance(engaged := event.data.get("engaged_at"), datetime):
        data["engaged_on"] = engaged.astimezone(zone).date().isoformat()
    payload = {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "rep": event.rep,
        "data": data,
    }
    day = event.day or event.occurred_at.astimezone(zone).date()
    return {
        "idempotency_key": event.id,
        "type": event.type,
        "rep_id": rep.id,
        "subject": str(subject),
        # As the database gives them back: the mirror and the game read these rows unreloaded.
        "occurred_at": event.occurred_at.astimezone(UTC),
        "occurred_on": None if event.undated else day,
        "received_at": now.astimezone(UTC),
        "source": source,
        "payload": payload,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, StoredEvent]:
    """Insert rows whose key is new; a key another delivery stored first is left alone."""
    if not rows:
        return {}
    stmt = _skipping_conflicts(session, RAW_EVENTS, "idempotency_key")
    # RETURNING the keys stored gives their ids; the rest of each row is already at hand.
    by_key = {row["idempotency_key"]: row for row in rows}
    stmt = stmt.returning(RAW_EVENTS.c.id, RAW_EVENTS.c.idempotency_key)
    stored: dict[str, StoredEvent] = {}
    for chunk in _chunks(rows):
        for raw_id, key in session.execute(stmt, chunk):
            stored[key] = StoredEvent(raw_id, **by_key[key])
    return stored


def _skipping_conflicts(session: Session, table: Table, column: str) -> Any:
    """INSERT ... ON CONFLICT (column) DO NOTHING, in this session's database's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=[column])
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=[column])
    return insert(table)  # pragma: no cover - the supported databases are the two above


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _by_subject(raws: Iterable[StoredEvent]) -> dict[str, list[StoredEvent]]:
    """Raw events grouped by subject, each group in occurred_at order (ties by arrival)."""
    grouped: dict[str, list[StoredEvent]] = defaultdict(list)
    for raw in sorted(raws, key=lambda r: (r.occurred_at, r.id)):
        grouped[raw.subject].append(raw)
    return grouped


def _all_events(
    session: Session, subjects: Iterable[str], types: Sequence[str]
) -> dict[str, list[StoredEvent]]:
    """Every stored raw event of these subjects (this batch's too), by subject, in order."""
    wanted = list(subjects)
    if not wanted:
        return {}
    query = select(RAW_EVENTS).where(RAW_EVENTS.c.subject.in_(wanted), RAW_EVENTS.c.type.in_(types))
    return _by_subject(stored_events(session, query))


def _refold_deals(
    session: Session,
    batch: dict[str, list[StoredEvent]],
    aliases: dict[str, str],
    result: IngestResult,
    now: datetime,
) -> None:
    query = select(DEALS.c.crm_id, DEALS.c.id, DEALS.c.status, *WIN_TERMS).where(
        DEALS.c.crm_id.in_(batch)
    )
    existing = {row[0]: (row[1], row[2], win_terms(*row[3:])) for row in session.execute(query)}
    histories = {**batch, **_all_events(session, existing, DEAL_EVENT_TYPES)}
    folded = {subject: fold_deal(histories[subject], aliases, now) for subject in batch}
    new = [s for s in batch if s not in existing]
    ids = {s: existing[s][0] for s in existing} | _insert_deals(session, [folded[s] for s in new])
    if existing:
        changed = [{"deal_id": existing[s][0], **folded[s].row()} for s in existing]
        session.execute(update(DEALS).where(DEALS.c.id == bindparam("deal_id")), changed)
    _write_histories(session, {ids[s]: folded[s].history for s in batch}, {ids[s] for s in new})
    for subject, deal in folded.items():
        _, before, terms = existing.get(subject, (None, None, None))
        if (transition := DealTransition.of(deal, before, terms)) is not None:
            result.deal_transitions.append(transition)


def _insert_deals(session: Session, deals: list[FoldedDeal]) -> dict[str, int]:
    """Insert new deals; their ids by CRM id.

    A plain INSERT on purpose: a delivery racing this one for the same new deal fails on the
    unique CRM id and is retried, finding the deal, instead of overwriting it with half the
    events."""
    if not deals:
        return {}
    stmt = insert(DEALS).returning(DEALS.c.crm_id, DEALS.c.id)
    return dict(session.execute(stmt, [d.row() for d in deals]).all())


def _write_histories(session: Session, histories: dict[int, list[Stage]], new: set[int]) -> None:
    """Bring each deal's stage history to the folded one: most deliveries only add stages at
    the end, so the rows already right are kept and the rest added; otherwise replaced."""
    current: dict[int, list[Stage]] = defaultdict(list)
    old = [deal_id for deal_id in histories if deal_id not in new]
    if old:
        query = (
            select(
                STAGE_CHANGES.c.deal_id,
                STAGE_CHANGES.c.from_stage,
                STAGE_CHANGES.c.to_stage,
                STAGE_CHANGES.c.changed_at,
            )
            .where(STAGE_CHANGES.c.deal_id.in_(old))
            .order_by(STAGE_CHANGES.c.deal_id, STAGE_CHANGES.c.changed_at, STAGE_CHANGES.c.id)
        )
        for deal_id, before, after, at in session.execute(query):
            current[deal_id].append((before, after, at))
    replaced, rows = [], []
    for deal_id, history in histories.items():
        now = current[deal_id]
        if now == history:
            continue
        kept = len(now) if now == history[: len(now)] else 0
        if now and not kept:
            replaced.append(deal_id)
        rows += [
            {"deal_id": deal_id, "from_stage": a, "to_stage": b, "changed_at": at}
            for a, b, at in history[kept:]
        ]
    if replaced:
        session.execute(delete(STAGE_CHANGES).where(STAGE_CHANGES.c.deal_id.in_(replaced)))
    if rows:
        session.execute(insert(STAGE_CHANGES), rows)


def _refold_activities(
    session: Session, batch: dict[str, list[StoredEvent]], result: IngestResult
) -> None:
    """Insert the activities new to the mirror in one statement (a subject already there
    conflicts and is skipped); refold those from all their events."""
    folded = {s: activity_of(batch[s]) for s in batch}
    stmt = _skipping_conflicts(session, ACTIVITIES, "crm_id").returning(ACTIVITIES.c.crm_id)
    inserted = set(session.scalars(stmt, [a._asdict() for a in folded.values()]))
    result.new_activities.extend(folded[s] for s in batch if s in inserted)
    stored = [s for s in batch if s not in inserted]
    if not stored:
        return
    query = select(ACTIVITIES.c.crm_id, ACTIVITIES.c.id).where(ACTIVITIES.c.crm_id.in_(stored))
    existing = dict(session.execute(query).all())
    histories = _all_events(session, existing, ("activity.logged",))
    changed = [
        {"activity_id": existing[s], **activity_of(histories[s])._asdict()} for s in existing
    ]
    stmt = update(ACTIVITIES).where(ACTIVITIES.c.id == bindparam("activity_id"))
    session.execute(stmt, changed)
