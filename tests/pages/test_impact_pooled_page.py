"""Leadership's page pools the ended challenges of a kind: one estimate per KPI beside each
campaign's own on the forest plot, and the prizes against the extra revenue."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gameplay.impact.past_campaigns import record_past_campaign
from kpi_engine.org.models import User
from tests.conftest import PASSWORD, log_in
from tests.domain.test_impact_pooled import campaign
from tests.factories import make_team, make_user
from tests.impact_org import START, Truth, plant_org
from web.auth import hash_password
from web.extensions import db


def test_leadership_sees_a_pooled_estimate_for_a_kind_run_twice(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        session = db.session()
        manager = make_user(session, app_role="manager", sales_role=None,
                            password_hash=hash_password(PASSWORD))  # fmt: skip
        for n, start in enumerate((START, START + timedelta(days=90))):
            team = make_team(session, manager=manager)
            org = plant_org(session, Truth(win_rate=0.12), seed=40 + n, reps=40, participants=20,
                            start=start, org=f"team{n}")  # fmt: skip
            reps = org.participant_ids | org.control_ids
            session.execute(update(User).where(User.id.in_(reps)).values(team_id=team.id))
            session.expire_all()
            record_past_campaign(session, campaign(org, team.id, f"Upsell {n}"),
                                 org.participant_ids, manager, now=org.end + timedelta(days=1),
                                 award_points=True)  # fmt: skip
        session.commit()
        email = manager.email
    log_in(client, email)
    html = " ".join(client.get("/impact?kind=upsell").get_data(as_text=True).split())
    assert "Across campaigns" in html and "2 campaigns: Upsell 1, Upsell 0" in html
    assert "Pooled: Upsell" in html
    assert "Prizes paid" in html and "points; extra won revenue" in html
    assert "each 1 of prizes went with" in html


def test_the_report_of_an_overlapping_challenge_says_so_on_the_page_and_in_the_api(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        session = db.session()
        manager = make_user(session, app_role="manager", sales_role=None,
                            password_hash=hash_password(PASSWORD))  # fmt: skip
        team = make_team(session, manager=manager)
        org = plant_org(session, Truth(win_rate=0.12), seed=8, reps=30, participants=15)
        reps = org.participant_ids | org.control_ids
        session.execute(update(User).where(User.id.in_(reps)).values(team_id=team.id))
        session.expire_all()
        now = org.end + timedelta(days=1)
        first, _ = record_past_campaign(session, campaign(org, team.id, "First"),
                                        org.participant_ids, manager, now=now)  # fmt: skip
        # Another campaign over the last 10 days of the first one's window, 5 of its reps.
        beside = campaign(org, team.id, "Beside") | {"starts_at": org.start + timedelta(days=20)}
        record_past_campaign(session, beside, sorted(org.participant_ids)[:5], manager, now=now)
        session.commit()
        email, first_id = manager.email, first.id
    log_in(client, email)
    html = " ".join(client.get(f"/impact/challenges/{first_id}").get_data(as_text=True).split())
    assert "Overlap: other challenges ran during this one" in html
    assert "Beside</a>: 10 days of the window, 5 reps in both" in html
    assert "estimated with the overlap controlled" in html
    overlap = client.get(f"/api/v1/challenges/{first_id}/impact").get_json()["overlap"]
    assert overlap["others"][0]["shared_reps"] == 5 and overlap["others"][0]["days"] == 10.0
    assert overlap["participants_in_other"] == 5
