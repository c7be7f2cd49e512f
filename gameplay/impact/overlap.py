"""Overlapping challenges: a rep in two challenges at once. Each report names the others that
ran during its window, how many days and reps they share, and estimates with the overlap
controlled (each rep's share of the window spent in another challenge is a covariate of the
difference in differences), so that the other challenge's effect is not counted as its own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, Participant
from kpi_engine.words import N_, Said, said


@dataclass(frozen=True)
class OverlappingChallenge:
    """Another challenge running during this one's window."""

    challenge_id: int
    name: str
    days: float  # how much of this challenge's window it covers
    shared_reps: int  # reps taking part in both
    participant_ids: frozenset[int]


@dataclass(frozen=True)
class Overlap:
    """The challenges overlapping this one, and how many of the reps compared were in one."""

    others: list[OverlappingChallenge]
    participants_in_other: int
    comparison_in_other: int
    window_days: float

    @property
    def handling(self) -> Said:
        return said(
            N_(
                "estimated with the overlap controlled: %(participants)s participants and "
                "%(comparison)s comparison reps were in another challenge during the window, and "
                "each rep's share of the window spent there is held equal (regression "
                "adjustment), so the other challenge's effect is not counted as this one's"
            ),
            participants=self.participants_in_other,
            comparison=self.comparison_in_other,
        )


def overlapping_challenges(session: Session, challenge: Challenge) -> list[OverlappingChallenge]:
    """Launched, not cancelled challenges whose windows overlap this one's, with participants."""
    query = select(Challenge).where(
        Challenge.id != challenge.id,
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.starts_at < challenge.ends_at,
        Challenge.ends_at > challenge.starts_at,
    )
    mine = _participants(session, challenge.id)
    found = []
    for other in session.scalars(query.order_by(Challenge.starts_at, Challenge.id)):
        theirs = _participants(session, other.id)
        common = min(other.ends_at, challenge.ends_at) - max(other.starts_at, challenge.starts_at)
        found.append(
            OverlappingChallenge(
                other.id, other.name, common.total_seconds() / 86400, len(mine & theirs), theirs
            )
        )
    return [o for o in found if o.participant_ids]


def _participants(session: Session, challenge_id: int) -> frozenset[int]:
    query = select(Participant.user_id).where(Participant.challenge_id == challenge_id)
    return frozenset(session.scalars(query))
