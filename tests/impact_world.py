"""A manager's world for the impact API, page and browser tests: two campaigns recorded over a
planted organisation (participants close 12 days faster), and a draft still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import update

from gameplay.impact.past_campaigns import record_past_campaign
from gameplay.manage.challenges import create_challenge
from kpi_engine.org.models import User
from tests.conftest import PASSWORD
from tests.factories import make_team, make_user
from tests.impact_org import START, Truth, plant_org
from web.auth import hash_password
from web.extensions import db


@dataclass(frozen=True)
class World:
    manager: str
    other_manager: str
    admin: str
    rep: str
    campaigns: tuple[int, ...]
    draft: int
    team_id: int
    participant_ids: tuple[int, ...]


def _campaign(name: str, kind: str, team_id: int, days: int) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "format": "leaderboard",
        "starts_at": START,
        "ends_at": START + timedelta(days=days),
        "timezone": "UTC",
        "audience": {"team_ids": [team_id], "sales_roles": [], "user_ids": []},
        "rules": [{"fact": "deal_won", "points": 10}],
        "missions": [{"name": "Win a deal", "fact": "deal_won", "target": 1, "points": 5}],
        "rewards": [{"name": "Voucher", "cash_value": Decimal("100.00")}],
    }


def build_world(app: Flask) -> World:
    """Two recorded campaigns and a draft over a planted org (+12 days faster for participants)."""
    with app.app_context():
        session = db.session()
        hashed = hash_password(PASSWORD)
        manager = make_user(session, app_role="manager", password_hash=hashed)
        other = make_user(session, app_role="manager", password_hash=hashed)
        admin = make_user(session, app_role="admin", password_hash=hashed)
        team = make_team(session, manager=manager)
        org = plant_org(
            session, Truth(days=-12), seed=5, reps=30, participants=15, deals_per_period=8
        )
        reps = org.participant_ids | org.control_ids
        session.execute(update(User).where(User.id.in_(reps)).values(team_id=team.id))
        rep = session.get(User, min(org.participant_ids))
        assert rep is not None
        rep.password_hash = hashed
        now = org.end + timedelta(days=2)
        first, _ = record_past_campaign(
            session,
            _campaign("=SUM(A1)", "upsell", team.id, 30),
            org.participant_ids,
            manager,
            now=now,
            award_points=True,
        )
        second, _ = record_past_campaign(
            session,
            # A fortnight before the first one: the two do not overlap.
            _campaign("Blitz", "prospecting", team.id, 15)
            | {"starts_at": START - timedelta(days=30), "ends_at": START - timedelta(days=15)},
            org.participant_ids,
            manager,
            now=now,
        )
        draft = create_challenge(
            session,
            _campaign("Later", "custom", team.id, 30)
            | {"starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=9)},
            manager,
            now=now,
        )
        session.commit()
        return World(
            manager.email,
            other.email,
            admin.email,
            rep.email,
            (first.id, second.id),
            draft.id,
            team.id,
            tuple(sorted(org.participant_ids)),
        )
