"""The winner screen: how a finished challenge ended, for each rep who took part.

A challenge's finale is read from what finalisation wrote (its awards, the final ranks), so
it shows the same whether the rep watched the end live or opens the app days later. The
pages show the finales of the last FRESH days; which of them a rep has already seen is kept
by the rep's browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, ChallengeAward, Participant, PlayerProfile
from gameplay.core.passes import ANONYMOUS
from kpi_engine.org.models import User

FRESH = timedelta(days=14)
PODIUM = 3


@dataclass(frozen=True)
class Winner:
    place: int
    user_id: int | None  # None when they appear anonymised
    name: str
    points: int
    is_me: bool


@dataclass(frozen=True)
class Finale:
    challenge_id: int
    name: str
    ended_at: datetime
    winners: list[Winner]
    my_rank: int | None
    my_points: int | None

    @property
    def i_won(self) -> bool:
        return any(w.is_me and w.place == 1 for w in self.winners)


def recent_finales(session: Session, user_id: int, *, now: datetime) -> list[Finale]:
    """The finales of the challenges the rep took part in that were finalised lately, newest
    first (an empty list for anyone else)."""
    query = (
        select(Challenge, Participant.rank, Participant.points)
        .join(Participant, Participant.challenge_id == Challenge.id)
        .where(
            Participant.user_id == user_id,
            Challenge.finalized_at.isnot(None),
            Challenge.finalized_at >= now - FRESH,
            Challenge.ends_at >= now - FRESH,  # a past campaign recorded today is no news
        )
        .order_by(Challenge.ends_at.desc(), Challenge.id.desc())
    )
    found = session.execute(query).all()
    podiums = _podiums(session, [challenge.id for challenge, _, _ in found], user_id)
    return [
        Finale(c.id, c.name, c.ends_at, podiums.get(c.id, []), rank, points)
        for c, rank, points in found
    ]


def _podiums(session: Session, challenge_ids: list[int], me: int) -> dict[int, list[Winner]]:
    if not challenge_ids:
        return {}
    query = (
        select(ChallengeAward, User.name, PlayerProfile.anonymised)
        .join(User, User.id == ChallengeAward.user_id)
        .outerjoin(PlayerProfile, PlayerProfile.user_id == ChallengeAward.user_id)
        .where(ChallengeAward.challenge_id.in_(challenge_ids))
        .order_by(ChallengeAward.place, ChallengeAward.points.desc(), ChallengeAward.user_id)
    )
    podiums: dict[int, list[Winner]] = {}
    for award, name, anonymised in session.execute(query):
        shown = podiums.setdefault(award.challenge_id, [])
        if len(shown) < PODIUM or award.user_id == me:
            hidden = bool(anonymised) and award.user_id != me
            shown.append(
                Winner(
                    award.place,
                    None if hidden else award.user_id,
                    ANONYMOUS if hidden else name,
                    award.points,
                    award.user_id == me,
                )
            )
    return podiums
