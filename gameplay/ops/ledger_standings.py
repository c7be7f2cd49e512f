"""Standings derived from the ledger alone, to check the materialised ones and to restore them.

The ledger is append-only and every standing move posts an entry, so a participant's points
are the sum of their entries, the moment they reached them is their latest entry's time (or
the challenge's start), the moment they reached the target is that of the entry whose running
sum first got there, and ranks follow from the points. One GROUP BY per challenge: cheap
enough to run after an incident, where `gameplay.ops.rebuild` replays every raw event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import competition_ranks
from gameplay.core.models import Challenge, LedgerEntry, Participant
from gameplay.core.standings import bump_versions
from gameplay.scoring.scorer import live_challenges

FIELDS = ("points", "reached_at", "target_reached_at", "rank")


@dataclass(frozen=True)
class Difference:
    """One field of one participant where the materialised standing and the ledger disagree."""

    challenge_id: int
    user_id: int
    field: str
    kept: Any
    derived: Any


def derived_standings(session: Session, challenge: Challenge) -> dict[int, dict[str, Any]]:
    """Per participant (user id): points, reached_at, target_reached_at and rank by the ledger."""
    entries = (
        select(
            LedgerEntry.user_id,
            func.coalesce(func.sum(LedgerEntry.points), 0),
            func.max(LedgerEntry.occurred_at),
        )
        .where(LedgerEntry.challenge_id == challenge.id, LedgerEntry.on_the_board)
        .group_by(LedgerEntry.user_id)
    )
    sums = {user_id: (int(total), last) for user_id, total, last in session.execute(entries)}
    members = session.scalars(
        select(Participant.user_id).where(Participant.challenge_id == challenge.id)
    )
    targets = _target_times(session, challenge)
    derived: dict[int, dict[str, Any]] = {}
    for user_id in members:
        points, last = sums.get(user_id, (0, None))
        derived[user_id] = {
            "points": points,
            "reached_at": max(challenge.starts_at, last) if last else challenge.starts_at,
            "target_reached_at": targets.get(user_id),
        }
    ordered = sorted(derived.values(), key=lambda d: -d["points"])
    ranks = competition_ranks([d["points"] for d in ordered])
    for rank, standing in zip(ranks, ordered, strict=True):
        standing["rank"] = rank
    return derived


def _target_times(session: Session, challenge: Challenge) -> dict[int, datetime]:
    """When each rep's running total first reached the challenge's target, in posting order."""
    if challenge.target is None:
        return {}
    running = (
        select(
            LedgerEntry.user_id,
            LedgerEntry.occurred_at,
            func.sum(LedgerEntry.points)
            .over(partition_by=LedgerEntry.user_id, order_by=LedgerEntry.id)
            .label("running"),
            LedgerEntry.id,
        )
        .where(LedgerEntry.challenge_id == challenge.id, LedgerEntry.on_the_board)
        .subquery()
    )
    reached = (
        select(running.c.user_id, running.c.occurred_at)
        .where(running.c.running >= challenge.target)
        .order_by(running.c.id.desc())
    )
    # Newest first, so the dict keeps each rep's earliest crossing.
    return dict(session.execute(reached).all())


def check_standings(session: Session, challenge: Challenge) -> list[Difference]:
    """Every field where the materialised standings differ from what the ledger says."""
    return _compare(session, challenge, derived_standings(session, challenge))


def restore_standings(session: Session, challenge: Challenge) -> list[Difference]:
    """Write the ledger's standings where the materialised ones differ; what was corrected."""
    derived = derived_standings(session, challenge)
    differences = _compare(session, challenge, derived)
    wrong = sorted({d.user_id for d in differences})
    if wrong:
        statement = (
            update(Participant)
            .where(
                Participant.challenge_id == challenge.id,
                Participant.user_id == bindparam("uid"),
            )
            .values({f: bindparam(f"new_{f}") for f in FIELDS})
        )
        rows = [{"uid": u, **{f"new_{f}": derived[u][f] for f in FIELDS}} for u in wrong]
        session.connection().execute(statement, rows)
        bump_versions(session, [challenge])
        session.flush()
        # The rows changed underneath any Participant objects this session holds.
        for held in list(session.identity_map.values()):
            if isinstance(held, Participant) and held.challenge_id == challenge.id:
                session.expire(held)
    return differences


def _compare(
    session: Session, challenge: Challenge, derived: dict[int, dict[str, Any]]
) -> list[Difference]:
    kept = session.execute(
        select(Participant.user_id, *(getattr(Participant, f) for f in FIELDS)).where(
            Participant.challenge_id == challenge.id
        )
    )
    return [
        Difference(challenge.id, user_id, name, value, derived[user_id][name])
        for user_id, *values in kept
        for name, value in zip(FIELDS, values, strict=True)
        if value != derived[user_id][name]
    ]


def check_open_challenges(session: Session, *, restore: bool) -> tuple[int, list[Difference]]:
    """Check (and restore, if asked) every launched challenge not yet finalised or cancelled:
    how many there were, and the differences found."""
    open_challenges = live_challenges(session)
    act = restore_standings if restore else check_standings
    found = [d for challenge in open_challenges for d in act(session, challenge)]
    return len(open_challenges), found
