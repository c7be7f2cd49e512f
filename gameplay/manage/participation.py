"""What the manager's live pages show: participation and the proofs waiting for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.enrollment import audience_users
from gameplay.core.models import Challenge, Mission, Participant, Proof
from gameplay.scoring.missions import pending_proofs
from kpi_engine.org.models import User
from kpi_engine.sales.models import Activity

INACTIVE_DAYS = 3


@dataclass(frozen=True)
class Participation:
    audience: int
    joined: int
    active_today: list[str]
    inactive: list[str]  # no activity logged for INACTIVE_DAYS days


@dataclass(frozen=True)
class PendingProof:
    proof: Proof
    mission: Mission
    rep: User


def participation(session: Session, challenge: Challenge, now: datetime, tz: str) -> Participation:
    """Joined against the audience; who logged an activity today, who has been quiet 3 days."""
    query = (
        select(Participant.user_id, User.name)
        .join(User, User.id == Participant.user_id)
        .where(Participant.challenge_id == challenge.id)
    )
    names = dict(session.execute(query).all())
    midnight = datetime.combine(now.astimezone(ZoneInfo(tz)).date(), time(), ZoneInfo(tz))
    today = _active_since(session, set(names), midnight)
    recent = _active_since(session, set(names), now - timedelta(days=INACTIVE_DAYS))
    return Participation(
        audience=len(audience_users(session, challenge)),
        joined=len(names),
        active_today=sorted(names[u] for u in today),
        inactive=sorted(names[u] for u in set(names) - recent),
    )


def _active_since(session: Session, user_ids: set[int], since: datetime) -> set[int]:
    query = (
        select(Activity.rep_id)
        .where(Activity.rep_id.in_(user_ids), Activity.occurred_at >= since)
        .distinct()
    )
    return set(session.scalars(query))


def proof_queue(session: Session, challenge_id: int, reviewer: User) -> list[PendingProof]:
    """The challenge's proofs waiting for this reviewer, oldest first, with mission and rep."""
    queue = []
    for proof in pending_proofs(session, challenge_id, reviewer):
        mission = session.get(Mission, proof.mission_id)
        rep = session.get(User, proof.user_id)
        if mission is not None and rep is not None:
            queue.append(PendingProof(proof, mission, rep))
    return queue
