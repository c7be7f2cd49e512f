"""The append-only points ledger: every movement of points is an entry, a correction is a new
entry that reverses an old one. Posting an entry keeps standings and lifetime points current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gameplay.changes import Changes, Notification
from gameplay.levels import add_lifetime_points
from gameplay.models import Challenge, LedgerEntry, Participant
from gameplay.standings import move_standing
from kpi_engine.errors import Invalid
from kpi_engine.models import User


@dataclass(frozen=True)
class Posting:
    """What an entry is for: its kind, the reason in words, and what it came from."""

    kind: str
    reason: str
    occurred_at: datetime
    rule_id: int | None = None
    mission_id: int | None = None
    source_ref: str | None = None
    raw_event_id: int | None = None
    reverses_id: int | None = None
    actor_id: int | None = None


def post_entry(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    points: int,
    posting: Posting,
    *,
    now: datetime,
    changes: Changes,
) -> LedgerEntry:
    """Append one entry and move the participant's standing and lifetime points with it."""
    entry = LedgerEntry(
        challenge_id=challenge.id,
        user_id=participant.user_id,
        points=points,
        created_at=now,
        **posting.__dict__,
    )
    session.add(entry)
    move_standing(session, challenge, participant, points, posting.occurred_at, changes)
    add_lifetime_points(session, participant.user_id, points, changes)
    if points > 0:
        message = f"+{points} points in {challenge.name}: {posting.reason}"
        changes.notify(Notification(participant.user_id, "points_earned", message, challenge.id))
    return entry


def reverse_entries(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    source_ref: str,
    *,
    at: datetime,
    now: datetime,
    changes: Changes,
) -> None:
    """Post a reversing entry for each not yet reversed entry that came from this source."""
    for entry in _open_entries(session, challenge.id, participant.user_id, source_ref):
        posting = Posting(
            "reversal",
            f"reversed: {entry.reason}",
            at,
            entry.rule_id,
            entry.mission_id,
            source_ref,
            reverses_id=entry.id,
        )
        post_entry(
            session, challenge, participant, -entry.points, posting, now=now, changes=changes
        )


def _open_entries(
    session: Session, challenge_id: int, user_id: int, source_ref: str
) -> list[LedgerEntry]:
    reversal = aliased(LedgerEntry)
    query = (
        select(LedgerEntry)
        .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
        .where(
            LedgerEntry.challenge_id == challenge_id,
            LedgerEntry.user_id == user_id,
            LedgerEntry.source_ref == source_ref,
            LedgerEntry.kind != "reversal",
            reversal.id.is_(None),
        )
        .order_by(LedgerEntry.id)
    )
    return list(session.scalars(query))


def adjust_points(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    points: int,
    *,
    reason: str,
    actor: User,
    now: datetime,
) -> tuple[LedgerEntry, Changes]:
    """A manager's manual adjustment: needs a reason, and records who made it (the audit)."""
    if not reason.strip():
        raise Invalid("an adjustment needs a reason", {"reason": ["required"]})
    if points == 0:
        raise Invalid("an adjustment of 0 points changes nothing", {"points": ["must not be 0"]})
    changes = Changes()
    posting = Posting("adjustment", reason.strip(), now, actor_id=actor.id)
    entry = post_entry(session, challenge, participant, points, posting, now=now, changes=changes)
    session.flush()
    return entry, changes


def entries_for(
    session: Session, challenge_id: int, user_id: int | None = None
) -> list[LedgerEntry]:
    """The ledger of a challenge (optionally one rep's part of it), oldest first."""
    query = select(LedgerEntry).where(LedgerEntry.challenge_id == challenge_id)
    if user_id is not None:
        query = query.where(LedgerEntry.user_id == user_id)
    return list(session.scalars(query.order_by(LedgerEntry.id)))
