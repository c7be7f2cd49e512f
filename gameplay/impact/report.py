"""A challenge's impact report: who took part, how far they got, and what it did to their KPIs.

This module knows the game (audience, participants, missions, prizes) and hands kpi_engine
plain data: the window, the participants, the comparable non-participants (reps of the same
sales roles who did not take part: outside the audience, or in it and never joined) and each
participant's missions completed and points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.core.access import may_manage_challenge
from gameplay.core.enrollment import audience_users
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import Challenge, Mission, MissionProgress, Participant
from gameplay.impact.overlap import Overlap, overlapping_challenges
from gameplay.manage.challenges import managed_challenge
from kpi_engine.errors import Invalid
from kpi_engine.impact.bootstrap import Interval
from kpi_engine.impact.estimates import (
    CORE_KEYS,
    ImpactDesign,
    ImpactReport,
    Intensity,
    Randomisation,
    measure_impact,
)
from kpi_engine.org.models import User
from kpi_engine.periods import Period
from kpi_engine.words import N_, said


@dataclass(frozen=True)
class FunnelStep:
    mission: str
    completed: int


@dataclass(frozen=True)
class ChallengeImpact:
    challenge: Challenge
    status: str
    audience_size: int
    participants: int
    funnel: list[FunnelStep]
    impact: ImpactReport
    reward_cost: Decimal
    return_on_cost: Interval | None
    overlap: Overlap | None = None
    points_awarded: int = 0

    @property
    def participation_rate(self) -> float | None:
        """Participants over the audience (None for an audience of nobody)."""
        return self.participants / self.audience_size if self.audience_size else None


def challenge_impact(
    session: Session,
    challenge_id: int,
    actor: User,
    *,
    now: datetime,
    kpis: Sequence[str] = CORE_KEYS,
) -> ChallengeImpact:
    """The impact report of a challenge the actor manages on the KPIs asked for (keys of the
    core four or of the registry; Forbidden for anyone else)."""
    challenge = managed_challenge(session, challenge_id, actor)
    return _report(session, challenge, now, kpis, intensity=True)


def compare_challenges(
    session: Session,
    challenge_ids: Iterable[int],
    actor: User,
    *,
    now: datetime,
    kpis: Sequence[str] = CORE_KEYS,
) -> list[ChallengeImpact]:
    """Impact reports side by side, in the order asked; each must be managed by the actor.
    Intensity intensity is left out (empty): a comparison reads the effects only."""
    return [
        _report(session, managed_challenge(session, i, actor), now, kpis, intensity=False)
        for i in challenge_ids
    ]


def ended_challenges(
    session: Session,
    actor: User,
    *,
    now: datetime,
    kind: str | None = None,
    period: Period | None = None,
) -> list[Challenge]:
    """Ended challenges the actor manages, newest first, of one kind or ending in a period."""
    query = select(Challenge).where(
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.ends_at <= now,
    )
    if kind:
        query = query.where(Challenge.kind == kind)
    if period is not None:
        query = query.where(Challenge.ends_at >= period.start, Challenge.ends_at < period.end)
    found = session.scalars(query.order_by(Challenge.ends_at.desc(), Challenge.id.desc()))
    return [c for c in found if may_manage_challenge(session, actor, c)]


def _report(
    session: Session, challenge: Challenge, now: datetime, kpis: Sequence[str], *, intensity: bool
) -> ChallengeImpact:
    status = challenge_status(challenge, now)
    if status in ("draft", "scheduled", "cancelled"):
        raise Invalid(
            N_("the challenge is %(status)s; impact is measured once it has run"),
            {"challenge": [said(status)]},
            status=said(status),
        )

    joined = _participation(session, challenge)
    design = _design(session, challenge, joined)
    design, overlap = _without_overlap(session, challenge, design)
    report = measure_impact(session, design, now=now, intensity=intensity, kpis=kpis)
    cost = challenge.budget_spent or Decimal(0)
    return ChallengeImpact(
        challenge=challenge,
        status=status,
        audience_size=len(audience_users(session, challenge)),
        participants=len(joined),
        funnel=_funnel(session, challenge),
        impact=report,
        reward_cost=cost,
        return_on_cost=per_cost(report.incremental_revenue, cost),
        overlap=overlap,
        points_awarded=int(sum(i.points for i in joined.values())),
    )


def _without_overlap(
    session: Session, challenge: Challenge, design: ImpactDesign
) -> tuple[ImpactDesign, Overlap | None]:
    """The design with each rep's share of the window spent in another challenge, to be
    controlled for (a randomised holdout needs no such control: the draw balances the other
    challenge between its arms), and what overlapped."""
    others = overlapping_challenges(session, challenge)
    if not others:
        return design, None
    window = (challenge.ends_at - challenge.starts_at).total_seconds() / 86400
    exposure: dict[int, float] = {}
    for other in others:
        for rep in other.participant_ids:
            exposure[rep] = min(1.0, exposure.get(rep, 0.0) + other.days / window)
    overlap = Overlap(
        others,
        len(design.participant_ids & exposure.keys()),
        len(design.control_ids & exposure.keys()),
        window,
    )
    return replace(design, exposure=exposure), overlap


def _design(session: Session, challenge: Challenge, joined: dict[int, Intensity]) -> ImpactDesign:
    roles = set(
        session.scalars(
            select(User.sales_role).where(User.id.in_(joined), User.sales_role.isnot(None))
        )
    )
    comparable = select(User.id).where(
        User.app_role == "rep", User.sales_role.in_(roles), User.id.notin_(joined)
    )
    return ImpactDesign(
        challenge.starts_at,
        challenge.ends_at,
        frozenset(joined),
        frozenset(session.scalars(comparable)),
        joined,
        holdout_draw(challenge),
    )


def holdout_draw(challenge: Challenge) -> Randomisation | None:
    """The challenge's holdout draw as kpi_engine reads it (None without a holdout): the reps
    kept in (whether or not they joined: intention to treat) and those kept out."""
    if not challenge.held_out_ids:
        return None
    arms = challenge.assignments
    return Randomisation(
        frozenset(a.user_id for a in arms if a.arm == "treated"),
        challenge.held_out_ids,
        {a.user_id: a.stratum for a in arms},
    )


def _participation(session: Session, challenge: Challenge) -> dict[int, Intensity]:
    """Each participant's missions completed and points in this challenge."""
    completed = (
        select(MissionProgress.user_id, func.count())
        .join(Mission, Mission.id == MissionProgress.mission_id)
        .where(Mission.challenge_id == challenge.id, MissionProgress.completed_at.isnot(None))
        .group_by(MissionProgress.user_id)
    )
    done: dict[int, int] = dict(session.execute(completed).all())
    points = select(Participant.user_id, Participant.points).where(
        Participant.challenge_id == challenge.id
    )
    return {u: Intensity(done.get(u, 0), float(p)) for u, p in session.execute(points)}


def _funnel(session: Session, challenge: Challenge) -> list[FunnelStep]:
    """Per mission, in the challenge's order, how many participants completed it."""
    query = (
        select(Mission.name, func.count(MissionProgress.completed_at))
        .outerjoin(MissionProgress, MissionProgress.mission_id == Mission.id)
        .where(Mission.challenge_id == challenge.id)
        .group_by(Mission.id, Mission.name, Mission.position)
        .order_by(Mission.position, Mission.id)
    )
    return [FunnelStep(name, n) for name, n in session.execute(query)]


def per_cost(revenue: Interval, cost: Decimal) -> Interval | None:
    """Incremental revenue per unit of reward cost, with its interval (None without a cost)."""
    if not cost or revenue.estimate is None:
        return None

    def ratio(x: float | None) -> float | None:
        return None if x is None else x / float(cost)

    return Interval(ratio(revenue.estimate), ratio(revenue.low), ratio(revenue.high))
