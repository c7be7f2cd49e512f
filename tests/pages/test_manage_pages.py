"""The manager's builder, participation panel, proof queue and wall-screen links."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gameplay.core.models import Challenge, Mission, Proof
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.scoring.missions import submit_proof
from kpi_engine.db import utcnow
from kpi_engine.org.models import Team, User
from tests.conftest import log_in
from tests.live.conftest import Org
from web.builder_presets import preset_form
from web.extensions import db


def builder_form(token: str, team_id: int, **changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": token,
        "kind": "prospecting",
        "name": "Friday calls",
        "format": "leaderboard",
        "starts_at": f"{utcnow() + timedelta(days=1):%Y-%m-%dT09:00}",
        "ends_at": f"{utcnow() + timedelta(days=8):%Y-%m-%dT18:00}",
        "timezone": "Europe/Paris",
        "team_ids": [str(team_id)],
        "enrolment": "auto",
        "rules-0-fact": "activity",
        "rules-0-activity_kind": "call",
        "rules-0-points": "5",
        "rules-0-daily_cap": "50",
        "rules-1-fact": "activity",
        "missions-0-fact": "activity",
    }
    form.update(changes)
    return form


def team_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(Team.id).where(Team.name == "Hunters")).one()


def test_the_builder_starts_from_a_template(client: FlaskClient, org: Org) -> None:
    log_in(client, "boss@example.test")
    html = client.get("/manage/challenges/new?template=onboarding").get_data(as_text=True)
    assert 'value="Onboarding journey"' in html and 'value="Complete the product training"' in html
    assert "Hunters" in html


def test_a_manager_builds_previews_and_launches_a_challenge(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    created = client.post("/manage/challenges", data=builder_form(token, team_id(app)))
    assert created.status_code == 302
    draft = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Preview on past data" in draft and "Ann" in draft and "Launch" in draft
    challenge_id = int(created.headers["Location"].rsplit("/", 1)[1])
    launched = client.post(f"/manage/challenges/{challenge_id}/launch", data={"csrf_token": token})
    assert launched.status_code == 302
    with app.app_context():
        challenge = db.session.get_one(Challenge, challenge_id)
        rules = [(r.activity_kind, r.points, r.daily_cap) for r in challenge.rules]
        assert challenge.launched_at is not None and challenge.timezone == "Europe/Paris"
        assert rules == [("call", 5, 50)] and challenge.missions == []
    assert "joined of 2" in client.get(f"/manage/challenges/{challenge_id}").get_data(as_text=True)


def test_the_builder_names_the_bad_fields_and_creates_nothing(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    form = builder_form(token, team_id(app), ends_at="2020-01-01T00:00", **{"rules-0-points": "-3"})
    answer = client.post("/manage/challenges", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'aria-invalid="true"' in html
    assert 'value="Friday calls"' in html, "the form keeps what the manager typed"
    assert 'id="step-3" open' in html, "the step holding a wrong field opens by itself"
    assert 'id="step-4" open' not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Challenge.id))) == 1


def test_the_domain_refuses_a_window_that_ends_before_it_starts(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    form = builder_form(token, team_id(app), ends_at="2020-01-01T00:00")
    html = client.post("/manage/challenges", data=form).get_data(as_text=True)
    assert "must be after the start" in html and "starts_at" not in html.split("<form")[0]


def test_a_manager_approves_a_proof_from_the_queue(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        s, now = db.session(), utcnow()
        boss = User(name="Boss", email="boss@example.test", app_role="manager")
        s.add(boss)
        s.flush()
        team = Team(name="Hunters", manager=boss, region="East")
        ann = User(name="Ann", email="ann@example.test", app_role="rep", team=team)
        s.add_all([team, ann])
        s.flush()
        spec = {
            "name": "Onboarding",
            "kind": "onboarding",
            "format": "leaderboard",
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=9),
            "audience": {"team_ids": [team.id]},
            "missions": [{"name": "Finish the training", "manual": True, "points": 20}],
        }
        challenge = create_challenge(s, spec, boss, now=now)
        launch_challenge(s, challenge.id, boss, now=now)
        mission = s.scalars(select(Mission)).one()
        proof = submit_proof(s, mission.id, ann, text="done, certificate 42", link=None, now=now)
        from web.auth import hash_password

        boss.password_hash = hash_password("correct horse battery")
        s.commit()
        ids = (challenge.id, proof.id)
    token = log_in(client, "boss@example.test")
    queue = client.get(f"/manage/challenges/{ids[0]}").get_data(as_text=True)
    assert "certificate 42" in queue and "Finish the training" in queue
    answer = client.post(
        f"/manage/proofs/{ids[1]}/review", data={"csrf_token": token, "approve": "true"}
    )
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get_one(Proof, ids[1]).status == "approved"


def test_rejecting_without_a_comment_says_so_beside_the_box_and_keeps_the_text(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    hunters = team_id(app)
    with app.app_context():
        s, now = db.session(), utcnow()
        boss = s.scalars(select(User).where(User.email == "boss@example.test")).one()
        ann = s.scalars(select(User).where(User.email == "ann@example.test")).one()
        spec = {
            "name": "Onboarding",
            "kind": "onboarding",
            "format": "leaderboard",
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=9),
            "audience": {"team_ids": [hunters]},
            "missions": [{"name": "Finish the training", "manual": True, "points": 20}],
        }
        challenge = create_challenge(s, spec, boss, now=now)
        launch_challenge(s, challenge.id, boss, now=now)
        mission = s.scalars(select(Mission).where(Mission.challenge_id == challenge.id)).one()
        proof = submit_proof(s, mission.id, ann, text="certificate 42", link=None, now=now)
        s.commit()
        proof_id = proof.id
    token = log_in(client, "boss@example.test")
    blank = client.post(
        f"/manage/proofs/{proof_id}/review",
        data={"csrf_token": token, "approve": "false", "comment": "   "},
    )
    assert blank.status_code == 303 and blank.headers["Location"].endswith(f"#proof-{proof_id}")
    page = client.get(blank.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Say why you reject it" in html
    assert 'aria-invalid="true"' in html and "certificate 42" in html and '"error"' not in html
    again = client.get(blank.headers["Location"]).get_data(as_text=True)
    assert "Say why you reject it" not in again, "the refusal is shown once"
    bad = client.post(
        f"/manage/proofs/{proof_id}/review",
        data={"csrf_token": token, "approve": "maybe", "comment": "keep this text"},
        follow_redirects=True,
    )
    assert bad.status_code == 200 and "keep this text" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(Proof, proof_id).status == "pending"
    done = client.post(
        f"/manage/proofs/{proof_id}/review",
        data={"csrf_token": token, "approve": "false", "comment": "No certificate attached"},
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get_one(Proof, proof_id).status == "rejected"


def test_launching_twice_says_why_on_the_page(app: Flask, client: FlaskClient, org: Org) -> None:
    token = log_in(client, "boss@example.test")
    again = client.post(
        f"/manage/challenges/{org.challenge_id}/launch",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "flash-error" in html and "Call blitz" in html


def test_a_manager_cancels_a_challenge_from_its_page(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    page = client.get(f"/manage/challenges/{org.challenge_id}").get_data(as_text=True)
    assert "Cancel the challenge" in page
    done = client.post(
        f"/manage/challenges/{org.challenge_id}/cancel",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Cancelled: nobody wins" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(Challenge, org.challenge_id).cancelled_at is not None


def test_a_wall_link_opens_the_board_until_it_is_revoked(client: FlaskClient, org: Org) -> None:
    token = log_in(client, "boss@example.test")
    made = client.post(
        f"/manage/challenges/{org.challenge_id}/wall-links",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    link = re.search(r"http://localhost(/wall/[\w-]+)", made.get_data(as_text=True))
    assert link is not None
    anonymous = client.application.test_client()
    wall = anonymous.get(link.group(1)).get_data(as_text=True)
    assert "Call blitz" in wall and "Ann" in wall and "data-wall=" in wall
    api = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {link.group(1)[6:]}"})
    assert api.status_code == 401, "a wall link opens the board and nothing else"
    client.post(
        f"/manage/challenges/{org.challenge_id}/wall-links/revoke", data={"csrf_token": token}
    )
    assert anonymous.get(link.group(1)).status_code == 404


def test_a_rep_cannot_reach_the_manager_pages(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    assert client.get("/manage").status_code == 403
    assert client.get(f"/manage/challenges/{org.challenge_id}").status_code == 403


def posted_form(html: str) -> dict[str, object]:
    """What a browser sends for the builder as it is rendered: every field, blanks included."""
    form: dict[str, object] = {}
    body = html.split('class="builder"', 1)[1]
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None:
            continue
        key = name.group(1)
        if tag.startswith("<input") and 'type="checkbox"' in tag:
            if "checked" in tag:
                value = re.search(r'value="([^"]*)"', tag)
                form.setdefault(key, []).append(value.group(1) if value else "on")  # type: ignore[union-attr]
            continue
        if tag.startswith("<select"):
            options = body.split(tag, 1)[1].split("</select>", 1)[0]
            chosen = re.search(r'<option value="([^"]*)"\s*selected', options)
            first = re.search(r'<option value="([^"]*)"', options)
            form[key] = (chosen or first).group(1) if (chosen or first) else ""  # type: ignore[union-attr]
        elif tag.startswith("<textarea"):
            text = body.split(tag, 1)[1].split("</textarea>", 1)[0]
            form[key] = text
        else:
            value = re.search(r'value="([^"]*)"', tag)
            form[key] = value.group(1) if value else ""
    return form


def test_each_template_saves_unchanged_from_the_rendered_builder(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    log_in(client, "boss@example.test")
    for template in ("onboarding", "upsell", "prospecting"):
        html = client.get(f"/manage/challenges/new?template={template}").get_data(as_text=True)
        form = posted_form(html)
        assert form["team_ids"] == [str(team_id(app))], "the manager's own team starts ticked"
        assert form.get("target", "") == "" or template == "onboarding"
        answer = client.post("/manage/challenges", data=form)
        assert answer.status_code == 302, (template, answer.get_data(as_text=True)[-3000:])
    with app.app_context():
        saved = db.session.scalars(select(Challenge).order_by(Challenge.id)).all()
        assert [c.kind for c in saved] == ["prospecting", "onboarding", "upsell", "prospecting"]
        assert [c.target for c in saved[1:]] == [100, None, None], "no target on a leaderboard"
        assert [len(c.rules) for c in saved[1:]] == [0, 1, 4]
        assert [len(c.missions) for c in saved[1:]] == [5, 0, 1]


def test_a_leaderboard_keeps_no_target_and_a_prize_is_saved(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    form = builder_form(
        token,
        team_id(app),
        target="1000",
        top_n="",
        prize_name="Team lunch",
        prize_bonus_points="50",
        prize_cash_value="",
    )
    assert client.post("/manage/challenges", data=form).status_code == 302
    with app.app_context():
        challenge = db.session.scalars(select(Challenge).order_by(Challenge.id.desc())).first()
        assert challenge is not None and challenge.target is None and challenge.top_n == 3
        assert [(r.name, r.bonus_points) for r in challenge.rewards] == [("Team lunch", 50)]


def test_each_template_saves_as_the_builder_fills_it_in(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    for template in ("onboarding", "upsell", "prospecting"):
        form = {**preset_form(template, utcnow(), [team_id(app)]), "csrf_token": token}
        answer = client.post("/manage/challenges", data=form)
        assert answer.status_code == 302, (template, answer.get_data(as_text=True)[-2000:])
    with app.app_context():
        saved = db.session.scalars(select(Challenge).order_by(Challenge.id)).all()
        assert [c.kind for c in saved] == ["prospecting", "onboarding", "upsell", "prospecting"]
        onboarding = saved[1]
        assert onboarding.ordered_missions and onboarding.format == "threshold"
        assert [m.badge for m in onboarding.missions][-1] == "first_deal"


def test_every_page_names_a_favicon_the_app_serves(client: FlaskClient, org: Org) -> None:
    login = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/favicon.ico"' in login
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
        assert icon.data[:4] == b"\x00\x00\x01\x00", "a real ICO file"


def test_a_missing_page_reads_as_a_page_in_words_not_json(client: FlaskClient, org: Org) -> None:
    log_in(client, "boss@example.test")
    answer = client.get("/manage/challenges/9999")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "Page not found" in html and '{"error"' not in html


def test_the_challenge_page_shows_time_left_once_and_keeps_it_current(
    client: FlaskClient, org: Org
) -> None:
    log_in(client, "boss@example.test")
    html = client.get(f"/manage/challenges/{org.challenge_id}").get_data(as_text=True)
    assert "data-countdown" in html and "js/countdown.js" in html and " left</span>" in html
    listing = client.get("/manage").get_data(as_text=True)
    assert "live live" not in listing and "data-countdown" in listing
