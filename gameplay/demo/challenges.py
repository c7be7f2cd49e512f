"""Live demo challenges, one per template, for the demo organisation, scored on its sales so far.

Each runs on some teams only, so that every challenge has reps who did not take part to compare
with, and each manager finds on /manage the challenges that run on their team: the prospecting
blitz on the East and West teams, the upsell sprint (with a manual mission, so proofs wait for a
manager) on the Central teams, onboarding for the new hires of their teams.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.core.enrollment import audience_users
from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.manage.preview import past_facts
from gameplay.manage.templates import spec_from_template
from gameplay.scoring.scorer import Scoring
from kpi_engine.org.models import Team, User
from kpi_engine.words import N_

PROSPECTING_REGIONS = ("East", "West")
UPSELL_REGIONS = ("Central",)
STORY_MISSION = N_("Share a customer success story")


def demo_admin(session: Session) -> User | None:
    """The admin the demo's challenges are created by."""
    return session.scalar(select(User).where(User.app_role == "admin").order_by(User.id))


def team_ids_in(session: Session, regions: Collection[str]) -> list[int]:
    """The teams of some regions, by id."""
    query = select(Team.id).where(Team.region.in_(regions)).order_by(Team.id)
    return list(session.scalars(query))


def add_demo_challenges(session: Session, *, now: datetime) -> list[Challenge]:
    """Add each of the demo's three live challenges unless it exists; returns the ones added."""
    admin = demo_admin(session)
    if admin is None:
        return []
    known = set(session.scalars(select(Challenge.name)))
    window = {
        "starts_at": now - timedelta(days=14),
        "ends_at": now + timedelta(days=14),
        "timezone": "UTC",
    }
    added = []
    for template, form, extra in _forms(session):
        if form["name"] in known:
            continue
        spec = spec_from_template(template, {**window, **form})
        spec["missions"] = spec["missions"] + extra
        challenge = create_challenge(session, spec, admin, now=now)
        launch_challenge(session, challenge.id, admin, now=now)
        score_window(session, challenge, challenge.starts_at, now, now=now)
        added.append(challenge)
    return added


def _forms(session: Session) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    new_hires = select(User.team_id).where(User.app_role == "rep", User.sales_role == "SDR")
    hiring_teams = sorted({t for t in session.scalars(new_hires) if t is not None})
    story = {"name": STORY_MISSION, "manual": True, "target": 1, "points": 30}
    return [
        (
            "prospecting",
            {
                "name": N_("Demo: prospecting blitz"),
                "audience": {"team_ids": team_ids_in(session, PROSPECTING_REGIONS)},
            },
            [],
        ),
        (
            "upsell",
            {
                "name": N_("Demo: upsell sprint"),
                "audience": {"team_ids": team_ids_in(session, UPSELL_REGIONS)},
                "min_amount": 1000,
            },
            [story],
        ),
        (
            "onboarding",
            {
                "name": N_("Demo: new-hire onboarding"),
                "audience": {"team_ids": hiring_teams, "sales_roles": ["SDR"]},
            },
            [],
        ),
    ]


def score_window(
    session: Session, challenge: Challenge, starts: datetime, ends: datetime, *, now: datetime
) -> Changes:
    """Count the sales of [starts, ends) in a challenge, as if they had arrived live (one
    scoring pass over all of them)."""
    users = [u.id for u in audience_users(session, challenge)]
    facts = past_facts(session, users, starts, ends)
    changes = Changes()
    scoring = Scoring(session, now=now, changes=changes)
    scoring.prepare([([challenge], fact) for fact in facts])
    for fact in facts:
        scoring.score([challenge], fact)
    scoring.close()
    session.flush()
    return changes
