"""Live demo challenges, one per template, for the demo organisation, scored on its sales so far."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.challenge_templates import spec_from_template
from gameplay.challenges import create_challenge, launch_challenge
from gameplay.changes import Changes
from gameplay.enrollment import audience_users
from gameplay.models import Challenge
from gameplay.preview import past_facts
from gameplay.scoring import score_fact
from kpi_engine.models import Team, User

NEW_HIRES = 4


def add_demo_challenges(session: Session, *, now: datetime) -> list[Challenge]:
    """Add the demo's three live challenges unless they exist; returns the ones added."""
    admin = session.scalar(select(User).where(User.app_role == "admin").order_by(User.id))
    if admin is None or session.scalar(select(Challenge.id).where(Challenge.name.like("Demo:%"))):
        return []
    team_ids = list(session.scalars(select(Team.id).order_by(Team.id)))
    window = {
        "starts_at": now - timedelta(days=14),
        "ends_at": now + timedelta(days=14),
        "timezone": "UTC",
    }
    forms: dict[str, dict[str, Any]] = {
        "prospecting": {"name": "Demo: prospecting blitz", "audience": {"team_ids": team_ids}},
        "upsell": {
            "name": "Demo: upsell sprint",
            "audience": {"team_ids": team_ids},
            "min_amount": 1000,
        },
        "onboarding": {
            "name": "Demo: new-hire onboarding",
            "audience": {"user_ids": _new_hires(session)},
        },
    }
    added = []
    for template, form in forms.items():
        challenge = create_challenge(
            session, spec_from_template(template, {**window, **form}), admin, now=now
        )
        launch_challenge(session, challenge.id, admin, now=now)
        _score_so_far(session, challenge, now)
        added.append(challenge)
    return added


def _new_hires(session: Session) -> list[int]:
    query = select(User.id).where(User.app_role == "rep", User.hire_date.isnot(None))
    return list(session.scalars(query.order_by(User.hire_date.desc(), User.id).limit(NEW_HIRES)))


def _score_so_far(session: Session, challenge: Challenge, now: datetime) -> None:
    """Count the sales already in the window, as if they had arrived live."""
    users = [u.id for u in audience_users(session, challenge)]
    for fact in past_facts(session, users, challenge.starts_at, now):
        score_fact(session, [challenge], fact, now=now, changes=Changes())
    session.flush()
