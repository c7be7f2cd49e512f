"""A challenge's measurement design as the manager sees it: before launch, how small an effect
its audience and window could detect (and against whom); after launch, who the holdout kept out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.enrollment import audience_users
from gameplay.core.models import Challenge
from gameplay.manage.holdout import stratum_words
from kpi_engine.impact.power import Detectable, detectable_effects
from kpi_engine.org.models import User
from kpi_engine.words import Said


@dataclass(frozen=True)
class PowerPlan:
    """Who would be compared with whom, over how many days, and what each KPI could show."""

    treated: int
    control: int
    randomised: bool
    days: float
    effects: list[Detectable]


@dataclass(frozen=True)
class HoldoutView:
    """The holdout draw for the manager: the share, the seed, and who was kept out, by stratum."""

    share: float
    seed: int | None
    kept_in: int
    kept_out: list[tuple[Said, str]]  # (stratum, rep's name)


def power_plan(session: Session, challenge: Challenge) -> PowerPlan:
    """The smallest detectable effects of a draft: with a holdout share, its expected arms;
    without, the audience against comparable reps (same sales roles) outside it."""
    audience = [u.id for u in audience_users(session, challenge)]
    share = float(challenge.holdout_share or 0)
    if share:
        held = round(share * len(audience))
        treated, control = audience[held:], audience[:held]
    else:
        roles = set(
            session.scalars(
                select(User.sales_role).where(User.id.in_(audience), User.sales_role.isnot(None))
            )
        )
        comparable = select(User.id).where(
            User.app_role == "rep",
            User.active.is_(True),
            User.sales_role.in_(roles),
            User.id.notin_(audience),
        )
        treated, control = audience, list(session.scalars(comparable))
    length = challenge.ends_at - challenge.starts_at
    effects = detectable_effects(
        session,
        treated,
        control,
        start=challenge.starts_at,
        length=length,
        randomised=bool(share),
    )
    return PowerPlan(len(treated), len(control), bool(share), length.total_seconds() / 86400,
                     effects)  # fmt: skip


def holdout_view(session: Session, challenge: Challenge) -> HoldoutView | None:
    """The challenge's holdout draw (None without one), for its manager only."""
    if not challenge.assignments:
        return None
    out = {a.user_id: a.stratum for a in challenge.assignments if a.arm == "holdout"}
    query = select(User.id, User.name).where(User.id.in_(out))
    names: dict[int, str] = dict(session.execute(query).all())
    kept_out = [(out[i], names.get(i, f"user {i}")) for i in out]
    return HoldoutView(
        float(challenge.holdout_share or 0),
        challenge.holdout_seed,
        len(challenge.assignments) - len(out),
        [(stratum_words(label), name) for label, name in sorted(kept_out)],
    )
