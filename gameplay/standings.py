"""Standings kept on every ledger entry: points, when they were reached, and the rank.

Competition ranking (ties share a rank) is materialised: when a rep moves from a to b points,
only the reps whose points lie between a and b change rank, so one entry costs what it moves,
never a re-sum of the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.orm import Session

from gameplay.changes import Changes, Notification
from gameplay.models import Challenge, Participant


def move_standing(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    delta: int,
    occurred_at: datetime,
    changes: Changes,
) -> None:
    """Add points to a participant, shift the ranks they pass, bump the challenge version."""
    old, new = participant.points, participant.points + delta
    participant.points = new
    participant.reached_at = max(participant.reached_at, occurred_at)
    _note_target(challenge, participant, occurred_at)
    moved: set[int] = set()
    if delta:
        moved, passed = _shift_ranks(session, participant, old, new)
        participant.rank += -passed if new > old else passed
    challenge.version = (challenge.version or 0) + 1
    changes.standings_changed(challenge.id, {participant.user_id, *moved})
    if delta > 0:
        _tell_overtaken(challenge, participant, moved, changes)


def place_newcomer(session: Session, challenge: Challenge, participant: Participant) -> None:
    """Give a participant joining with no points their rank; nobody else moves."""
    participant.points = 0
    participant.reached_at = challenge.starts_at
    session.flush()
    participant.rank = 1 + _count_above(session, challenge.id, 0)


def _note_target(challenge: Challenge, participant: Participant, at: datetime) -> None:
    reached = challenge.target is not None and participant.points >= challenge.target
    if reached and participant.target_reached_at is None:
        participant.target_reached_at = at


def _count_above(session: Session, challenge_id: int, points: int) -> int:
    query = select(func.count()).where(
        Participant.challenge_id == challenge_id, Participant.points > points
    )
    return session.scalar(query) or 0


def _shift_ranks(
    session: Session, participant: Participant, old: int, new: int
) -> tuple[set[int], int]:
    """Reps with points in [low, high) fall behind (a gain) or move up (a loss) by one.

    Returns them and how many places the mover changes: the reps in (low, high], which the
    same statement reads back, the rows at `high` untouched. A Core statement, not an ORM
    one: it skips matching the session's objects in Python, so board reads in the same
    session ask for fresh rows (populate_existing) instead."""
    low, high, step = (old, new, 1) if new > old else (new, old, -1)
    table = cast(Table, Participant.__table__)
    statement = (
        update(table)
        .where(
            table.c.challenge_id == participant.challenge_id,
            table.c.id != participant.id,
            table.c.points >= low,
            table.c.points <= high,
        )
        .values(rank=table.c.rank + case((table.c.points < high, step), else_=0))
        .returning(table.c.user_id, table.c.points)
    )
    session.flush()
    rows = session.connection().execute(statement).all()
    moved = {user_id for user_id, points in rows if points < high}
    return moved, sum(1 for _, points in rows if points > low)


def _tell_overtaken(
    challenge: Challenge, participant: Participant, moved: set[int], changes: Changes
) -> None:
    for user_id in sorted(moved):
        message = f"You were overtaken in {challenge.name}"
        changes.notify(Notification(user_id, "overtaken", message, challenge.id))


def recompute_ranks(session: Session, challenge_id: int) -> None:
    """Set every participant's rank from scratch (used by rebuild and to check the shortcut)."""
    participants = session.scalars(
        select(Participant).where(Participant.challenge_id == challenge_id)
    ).all()
    points = sorted((p.points for p in participants), reverse=True)
    first_at: dict[int, int] = {}
    for index, value in enumerate(points):
        first_at.setdefault(value, index + 1)
    for p in participants:
        p.rank = first_at[p.points]
