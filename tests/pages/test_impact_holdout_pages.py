"""The builder offers a holdout; the draft states what it could measure; the launched challenge
shows its manager who was kept out; its report leads with the randomised comparison."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gameplay.core.models import Challenge
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from tests.conftest import PASSWORD, log_in
from tests.factories import make_team, make_user
from tests.impact_org import LENGTH, START, Truth, plant_org
from web.auth import hash_password
from web.extensions import db


@dataclass(frozen=True)
class Floor:
    manager: str
    rep: str
    team_id: int


def build_floor(app: Flask) -> Floor:
    """A manager's team of 30 planted reps (history before the planted window's end)."""
    with app.app_context():
        session = db.session()
        hashed = hash_password(PASSWORD)
        manager = make_user(session, app_role="manager", sales_role=None, password_hash=hashed)
        team = make_team(session, manager=manager)
        org = plant_org(session, Truth(win_rate=0.1), seed=3, reps=30, participants=15)
        reps = org.participant_ids | org.control_ids
        session.execute(update(User).where(User.id.in_(reps)).values(team_id=team.id))
        session.execute(update(User).where(User.id.in_(reps)).values(password_hash=hashed))
        rep = session.get_one(User, min(reps))
        session.commit()
        return Floor(manager.email, rep.email, team.id)


def builder_form(token: str, team_id: int, **changes: str) -> dict[str, object]:
    starts = utcnow() + timedelta(days=1)
    return {
        "csrf_token": token,
        "kind": "upsell",
        "name": "Held-out sprint",
        "format": "leaderboard",
        "starts_at": f"{starts:%Y-%m-%dT09:00}",
        "ends_at": f"{starts + timedelta(days=28):%Y-%m-%dT09:00}",
        "timezone": "UTC",
        "team_ids": [str(team_id)],
        "enrolment": "auto",
        "rules-0-fact": "deal_won",
        "rules-0-points": "10",
        "holdout_percent": "30",
        **changes,
    }


def launch_with_holdout(app: Flask, client: FlaskClient, floor: Floor) -> tuple[int, str]:
    token = log_in(client, floor.manager)
    created = client.post("/manage/challenges", data=builder_form(token, floor.team_id))
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    challenge_id = int(created.headers["Location"].rsplit("/", 1)[1])
    draft = client.get(created.headers["Location"]).get_data(as_text=True)
    launched = client.post(f"/manage/challenges/{challenge_id}/launch", data={"csrf_token": token})
    assert launched.status_code == 302
    return challenge_id, draft


def test_the_draft_says_what_its_holdout_could_measure(app: Flask, client: FlaskClient) -> None:
    floor = build_floor(app)
    token = log_in(client, floor.manager)
    created = client.post("/manage/challenges", data=builder_form(token, floor.team_id))
    challenge_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        challenge = db.session.get_one(Challenge, challenge_id)
        assert str(challenge.holdout_share) == "0.300"
        # Set the draft just after the planted history, so the org's own past is there to read.
        challenge.starts_at, challenge.ends_at = START + LENGTH, START + 2 * LENGTH
        db.session.commit()
    html = " ".join(client.get(created.headers["Location"]).get_data(as_text=True).split())
    assert "What it could measure" in html
    assert "With 21 reps kept in and 9 held out at random over 30 days" in html
    assert re.search(r"a change in win rate of \d+\.\d pts or more, a change in average deal", html)


def test_a_holdout_over_half_is_refused_beside_its_field(app: Flask, client: FlaskClient) -> None:
    floor = build_floor(app)
    token = log_in(client, floor.manager)
    form = builder_form(token, floor.team_id, holdout_percent="80")
    answer = client.post("/manage/challenges", data=form)
    assert answer.status_code == 422
    assert 'id="holdout_percent-error"' in answer.get_data(as_text=True)


def test_the_manager_sees_the_holdout_and_the_report_leads_with_the_randomised_comparison(
    app: Flask, client: FlaskClient
) -> None:
    floor = build_floor(app)
    challenge_id, _ = launch_with_holdout(app, client, floor)
    page = client.get(f"/manage/challenges/{challenge_id}").get_data(as_text=True)
    with app.app_context():
        challenge = db.session.get_one(Challenge, challenge_id)
        held = len(challenge.held_out_ids)
        # Later: the window has run (over the planted one) and ended.
        challenge.starts_at, challenge.ends_at = START, START + LENGTH
        db.session.commit()
    assert held > 0 and f"Holdout: {held} reps kept out at random" in page
    report = client.get(f"/impact/challenges/{challenge_id}").get_data(as_text=True)
    assert f"Holdout: {held} reps were kept out at random" in report
    assert "randomised comparison" in report and "Robustness check" in report
    answer = client.get(f"/api/v1/challenges/{challenge_id}/impact").get_json()
    win = answer["kpis"]["win_rate"]
    assert win["design"] == "randomised" and win["n_control"] == held
    assert win["robustness"]["estimate"] is not None


def test_a_held_out_rep_does_not_see_the_challenge(app: Flask, client: FlaskClient) -> None:
    floor = build_floor(app)
    challenge_id, _ = launch_with_holdout(app, client, floor)
    with app.app_context():
        challenge = db.session.get_one(Challenge, challenge_id)
        held = db.session.get_one(User, min(challenge.held_out_ids))
        email = held.email
    rep = app.test_client()
    log_in(rep, email)
    assert rep.get(f"/api/v1/challenges/{challenge_id}").status_code == 404
    listed = rep.get("/api/v1/challenges").get_json()
    items = listed if isinstance(listed, list) else listed.get("items", listed.get("challenges"))
    assert challenge_id not in [c["id"] for c in items]


def test_a_french_manager_reads_who_was_kept_out_by_stratum_in_french(
    app: Flask, client: FlaskClient
) -> None:
    """The strata are stored as English labels (the draw's grouping key); the page writes their
    words in the reader's language, a team's name and a role's code as they are."""
    floor = build_floor(app)
    challenge_id, _ = launch_with_holdout(app, client, floor)
    with app.app_context():
        strata = {a.stratum for a in db.session.get_one(Challenge, challenge_id).assignments}
    page = client.get(
        f"/manage/challenges/{challenge_id}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    english = re.findall(r"under 6 months|6 to 24 months|over 2 years|no role|no team", page)
    french = re.findall(r"moins de 6 mois|6 à 24 mois|plus de 2 ans|sans rôle|aucune équipe", page)
    assert strata and all(" · " in label for label in strata)
    assert not english and french
