"""Preview a draft on the last comparable period's real data: who would have led, with how many
points and missions completed. It plays the real engine inside a savepoint, then rolls back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import BOARD_ORDER
from gameplay.core.changes import Changes
from gameplay.core.enrollment import audience_users, enrol
from gameplay.core.models import Challenge, Mission, MissionProgress, Participant
from gameplay.scoring.rules import Fact, activity_fact, won_deal_fact
from gameplay.scoring.scorer import score_fact
from kpi_engine.errors import Conflict
from kpi_engine.org.models import User
from kpi_engine.sales.models import Activity, Deal
from kpi_engine.words import N_


@dataclass(frozen=True)
class PreviewRow:
    user_id: int
    name: str
    points: int
    missions_completed: int


@dataclass(frozen=True)
class Preview:
    starts_at: datetime
    ends_at: datetime
    rows: list[PreviewRow]


def preview_challenge(session: Session, challenge: Challenge) -> Preview:
    """The draft played over the period of the same length just before its start."""
    if challenge.launched_at is not None:
        raise Conflict(N_("only a draft can be previewed"))

    length = challenge.ends_at - challenge.starts_at
    starts, ends = challenge.starts_at - length, challenge.starts_at
    nested = session.begin_nested()
    try:
        rows = _play(session, challenge, starts, ends)
    finally:
        nested.rollback()
    return Preview(starts, ends, rows)


def _play(
    session: Session, challenge: Challenge, starts: datetime, ends: datetime
) -> list[PreviewRow]:
    challenge.starts_at, challenge.ends_at, challenge.freeze_at = starts, ends, None
    challenge.launched_at = starts
    session.flush()
    users = audience_users(session, challenge)
    for user in users:
        enrol(session, challenge, user, now=starts)
    changes = Changes()
    for fact in past_facts(session, [u.id for u in users], starts, ends):
        score_fact(session, [challenge], fact, now=ends, changes=changes)
    session.flush()
    return _rows(session, challenge)


def past_facts(
    session: Session, user_ids: list[int], starts: datetime, ends: datetime
) -> list[Fact]:
    """Activities and won deals of these reps in [starts, ends), in the order they happened."""
    activities = session.scalars(
        select(Activity).where(
            Activity.rep_id.in_(user_ids),
            Activity.occurred_at >= starts,
            Activity.occurred_at < ends,
        )
    )
    deals = session.scalars(
        select(Deal).where(
            Deal.owner_id.in_(user_ids),
            Deal.status == "won",
            Deal.closed_at >= starts,
            Deal.closed_at < ends,
        )
    )
    facts = [activity_fact(a, None) for a in activities] + [won_deal_fact(d, None) for d in deals]
    return sorted(facts, key=lambda f: (f.occurred_at, f.source_ref))


def _rows(session: Session, challenge: Challenge) -> list[PreviewRow]:
    completed = (
        select(func.count())
        .select_from(MissionProgress)
        .join(Mission, Mission.id == MissionProgress.mission_id)
        .where(
            Mission.challenge_id == challenge.id,
            MissionProgress.user_id == Participant.user_id,
            MissionProgress.completed_at.isnot(None),
        )
        .scalar_subquery()
    )
    query = (
        select(Participant.user_id, User.name, Participant.points, completed)
        .join(User, User.id == Participant.user_id)
        .where(Participant.challenge_id == challenge.id)
        .order_by(*BOARD_ORDER)
    )
    return [
        PreviewRow(uid, name, points, done) for uid, name, points, done in session.execute(query)
    ]
