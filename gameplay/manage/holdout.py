"""The holdout: a share of a challenge's audience kept out at launch, drawn at random within
strata (team, sales role, tenure), so that its impact report can compare like with like.

Held-out reps are not penalised and are not told anything: the challenge simply is not theirs
(they are outside its audience from the draw on). The draw is recorded (each member's arm and
stratum, the seed), so the same seed over the same audience gives the same draw, and the manager
sees who was kept out.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import numpy as np

from gameplay.core.models import Assignment, Challenge
from kpi_engine.org.models import User
from kpi_engine.words import N_, Said, said

MAX_SHARE = Decimal("0.5")
TENURE_BUCKETS = ((182, N_("under 6 months")), (730, N_("6 to 24 months")))
LONG_TENURE = N_("over 2 years")
NO_TEAM, NO_ROLE = N_("no team"), N_("no role")
# A stratum is kept as its English label (the draw's grouping key): team, role and tenure.
PARTS = " · "


def tenure_bucket(user: User, now: datetime) -> str:
    """How long the rep has been with the company, in three buckets (hire date, else account)."""
    since = user.hire_date or user.created_at.date()
    days = (now.date() - since).days
    return next((label for limit, label in TENURE_BUCKETS if days < limit), LONG_TENURE)


def stratum_of(user: User, now: datetime) -> str:
    """The stratum a rep is drawn within: team, sales role and tenure bucket."""
    team = user.team.name if user.team is not None else NO_TEAM
    return PARTS.join((team, user.sales_role or NO_ROLE, tenure_bucket(user, now)))


def stratum_words(label: str) -> Said:
    """A stored stratum in words a reader's language can write: its English parts (no team,
    a tenure bucket) translated, a team's name and a role's code as they are."""
    team, role, tenure = [*label.split(PARTS), "", ""][:3]
    return said(
        N_("%(team)s · %(role)s · %(tenure)s"),
        team=said(NO_TEAM) if team == NO_TEAM else team,
        role=said(NO_ROLE) if role == NO_ROLE else role,
        tenure=said(tenure) if tenure else tenure,
    )


def draw_holdout(
    challenge: Challenge, audience: Sequence[User], *, now: datetime, seed: int | None = None
) -> list[Assignment]:
    """Assign each audience member to the challenge (treated) or the holdout, the holdout being
    about `holdout_share` of each stratum (a fractional count rounded at random, so the share
    holds on average over small strata). Records the seed; returns the assignments."""
    share = float(challenge.holdout_share or 0)
    challenge.holdout_seed = secrets.randbelow(2**31) if seed is None else seed
    rng = np.random.default_rng(challenge.holdout_seed)
    strata: dict[str, list[User]] = defaultdict(list)
    for user in sorted(audience, key=lambda u: u.id):
        strata[stratum_of(user, now)].append(user)
    assignments = []
    for label in sorted(strata):
        members = strata[label]
        kept_out = int(np.floor(share * len(members) + rng.random()))
        order = rng.permutation(len(members))
        for rank, index in enumerate(order):
            arm = "holdout" if rank < kept_out else "treated"
            assignments.append(Assignment(user_id=members[index].id, arm=arm, stratum=label))
    challenge.assignments = sorted(assignments, key=lambda a: a.user_id)
    return challenge.assignments
