"""The rep's phone pages, server-rendered and readable without JavaScript."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gameplay.core.models import Challenge, Participant, PlayerProfile
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db


def page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_data(as_text=True)


def test_home_lists_my_live_challenge_with_rank_points_and_time_left(
    client: FlaskClient, org: Org
) -> None:
    log_in(client, "ann@example.test")
    html = page(client, "/play")
    assert "Call blitz" in html and "#1" in html and "d 23 h left" in html
    assert 'role="progressbar"' in html and "Log activity" in html


def test_a_target_is_shown_only_where_the_format_plays_to_it(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    # A leaderboard is won by rank, so a target left on it must not read "0 of 1,000 points".
    log_in(client, "ann@example.test")
    with app.app_context():
        challenge = db.session.get(Challenge, org.challenge_id)
        assert challenge is not None and challenge.format == "leaderboard"
        challenge.target = 1000
        db.session.commit()
    assert "of 1,000 points" not in page(client, "/play")
    with app.app_context():
        challenge = db.session.get(Challenge, org.challenge_id)
        assert challenge is not None
        challenge.format = "race"
        db.session.commit()
    assert "of 1,000 points" in page(client, "/play")
    with app.app_context():
        participant = db.session.scalars(
            select(Participant).where(
                Participant.challenge_id == org.challenge_id, Participant.user_id == org.ann
            )
        ).first()
        assert participant is not None
        participant.points = 1728
        db.session.commit()
    assert '<span class="big">1,728</span>' in page(client, "/play")


def test_challenge_page_states_the_rules_and_highlights_my_row(
    client: FlaskClient, org: Org
) -> None:
    log_in(client, "bob@example.test")
    html = page(client, f"/play/challenges/{org.challenge_id}")
    assert "+10 per call" in html and "The top 3 at the end win." in html
    assert "Bob (you)" in html and 'aria-current="true"' in html
    assert f'data-challenge="{org.challenge_id}"' in html


def test_a_rep_outside_the_audience_cannot_open_the_challenge(
    client: FlaskClient, org: Org
) -> None:
    log_in(client, "cat@example.test")
    assert client.get(f"/play/challenges/{org.challenge_id}").status_code == 404


def test_profile_shows_level_and_saves_muted_kinds_and_anonymity(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "ann@example.test")
    html = page(client, "/play/profile")
    assert "Level 1: Rookie" in html and "points to spend" in html and "day streak" in html
    form = {
        "csrf_token": token,
        "muted_kinds": ["overtaken", "points_earned"],
        "anonymised": "true",
    }
    assert client.post("/play/profile/preferences", data=form).status_code == 302
    with app.app_context():
        profile = db.session.get(PlayerProfile, org.ann)
        assert profile is not None
        assert (profile.muted_kinds, profile.anonymised) == (["overtaken", "points_earned"], True)


def test_an_unknown_notification_kind_is_refused_and_nothing_is_saved(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "ann@example.test")
    answer = client.post(
        "/play/profile/preferences", data={"csrf_token": token, "muted_kinds": ["spam"]}
    )
    assert answer.status_code == 303
    html = page(client, "/play/profile")
    assert "Choose only among the notifications listed." in html
    with app.app_context():
        assert db.session.get(PlayerProfile, org.ann) is None


def test_the_app_installs_with_a_manifest_a_service_worker_and_an_offline_page(
    client: FlaskClient,
) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert {i["sizes"] for i in manifest.get_json()["icons"]} >= {"192x192", "512x512"}
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200 and b"/offline" in worker.data
    assert "You are offline" in page(client, "/offline")


def _manual_mission(app: Flask, org: Org) -> int:
    from gameplay.core.models import Mission

    with app.app_context():
        mission = Mission(
            challenge_id=org.challenge_id, name="Record a demo", manual=True, target=1, points=1
        )
        db.session.add(mission)
        db.session.commit()
        return mission.id


def test_a_proof_with_the_optional_link_left_empty_is_sent(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    mission_id = _manual_mission(app, org)
    token = log_in(client, "ann@example.test")
    path = f"/play/challenges/{org.challenge_id}/missions/{mission_id}/proof"
    answer = client.post(path, data={"csrf_token": token, "text": "Demo for Acme", "link": ""})
    assert answer.status_code == 303
    html = page(client, f"/play/challenges/{org.challenge_id}")
    assert "Proof sent: awaiting your manager's review" in html  # a catalogue string is markup
    assert 'data-state="pending"' in html and "worth +1 point<" in html


def test_a_bad_link_is_refused_beside_the_field_and_the_text_is_kept(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    mission_id = _manual_mission(app, org)
    token = log_in(client, "ann@example.test")
    path = f"/play/challenges/{org.challenge_id}/missions/{mission_id}/proof"
    answer = client.post(path, data={"csrf_token": token, "text": "Demo for Acme", "link": "acme"})
    assert answer.status_code == 303
    html = page(client, f"/play/challenges/{org.challenge_id}")
    assert f'id="link-{mission_id}-error">Enter a full web address, starting with https://' in html
    assert "Demo for Acme</textarea>" in html and 'value="acme"' in html


def test_an_empty_proof_says_what_is_missing_beside_the_text(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    mission_id = _manual_mission(app, org)
    token = log_in(client, "ann@example.test")
    path = f"/play/challenges/{org.challenge_id}/missions/{mission_id}/proof"
    answer = client.post(path, data={"csrf_token": token, "text": "  ", "link": ""})
    assert answer.status_code == 303
    html = page(client, f"/play/challenges/{org.challenge_id}")
    assert f'id="text-{mission_id}-error">A proof needs a text or a link.' in html
    assert "A proof needs" not in page(client, f"/play/challenges/{org.challenge_id}")


def test_logging_a_call_in_two_taps_says_the_points_it_earned(
    client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "ann@example.test")
    html = page(client, "/activities/new")
    key = html.split('name="key" value="')[1].split('"')[0]
    form = {"csrf_token": token, "key": key, "kind": "call", "outcome": "connected"}
    answer = client.post("/activities", data=form, follow_redirects=True)
    assert "Call logged: connected. +10 points in Call blitz." in answer.get_data(as_text=True)
    form = {**form, "key": uuid.uuid4().hex, "kind": "email", "outcome": "replied"}
    answer = client.post("/activities", data=form, follow_redirects=True)
    assert "No live challenge gives points for it." in answer.get_data(as_text=True)
