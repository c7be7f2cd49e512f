"""The access rule through HTTP, pages and Socket.IO: a manager sees, manages and measures every
challenge that reaches their team, acts only on the people of their teams, never on themself;
a subscribe is allowed exactly when the HTTP board read is; a read changes nothing.

The org: an admin; manager Mia runs Alpha (Ann), Ben runs Beta (Bob), Cy runs Gamma (Cid).
The admin's live challenge runs on Alpha and Beta with a manual mission, and both reps have sent
a proof; a second admin challenge runs on Alpha with Mia named as a player.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.scoring.missions import submit_proof
from kpi_engine.db import Base, utcnow
from tests.conftest import PASSWORD, log_in
from tests.factories import make_team, make_user
from web.auth import hash_password, issue_token
from web.extensions import db, socketio

PEOPLE = ("admin", "mia", "ben", "cy", "ann", "bob", "cid")


@dataclass(frozen=True)
class World:
    ids: dict[str, int]
    tokens: dict[str, str]
    both: int  # the admin's challenge on Alpha and Beta
    playing: int  # the admin's challenge on Alpha in which Mia plays
    draft: int  # the admin's draft on Alpha
    proofs: dict[str, int]  # by author


def _spec(name: str, audience: dict[str, Any], **extra: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "name": name,
        "kind": "custom",
        "format": "leaderboard",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=6),
        "timezone": "UTC",
        "audience": audience,
        "enrolment": "auto",
        "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
        **extra,
    }


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        s, hashed, now = db.session(), hash_password(PASSWORD), utcnow()

        def person(name: str, **extra: Any):
            return make_user(s, name=name.title(), email=f"{name}@example.test",
                             password_hash=hashed, **extra)  # fmt: skip

        admin = person("admin", app_role="admin")
        mia, ben, cy = (person(n, app_role="manager") for n in ("mia", "ben", "cy"))
        alpha, beta = make_team(s, "Alpha", manager=mia), make_team(s, "Beta", manager=ben)
        gamma = make_team(s, "Gamma", manager=cy)
        ann, bob = person("ann", team=alpha), person("bob", team=beta)
        cid = person("cid", team=gamma)
        mission = {"name": "Record a demo", "manual": True, "points": 10}
        both = create_challenge(
            s, _spec("Admin's blitz", {"team_ids": [alpha.id, beta.id]}, missions=[mission]),
            admin, now=now,
        )  # fmt: skip
        playing = create_challenge(
            s, _spec("Mia plays", {"team_ids": [alpha.id], "user_ids": [mia.id]}), admin, now=now
        )
        draft = create_challenge(
            s, _spec("Draft on Alpha", {"team_ids": [alpha.id]}), admin, now=now
        )
        for challenge in (both, playing):
            launch_challenge(s, challenge.id, admin, now=now)
        mission_id = both.missions[0].id
        proofs = {
            u.email.split("@")[0]: submit_proof(
                s, mission_id, u, text=f"{u.name}'s demo", link=None, now=now
            ).id
            for u in (ann, bob)
        }
        users = dict(zip(PEOPLE, (admin, mia, ben, cy, ann, bob, cid), strict=True))
        world = World(
            ids={k: u.id for k, u in users.items()},
            tokens={k: issue_token(u) for k, u in users.items()},
            both=both.id,
            playing=playing.id,
            draft=draft.id,
            proofs=proofs,
        )
        s.commit()
        return world


def api(client: FlaskClient, world: World, who: str, method: str, url: str, body: Any = None):
    headers = {"Authorization": f"Bearer {world.tokens[who]}"}
    return client.open(f"/api/v1{url}", method=method, json=body, headers=headers)


def test_a_manager_sees_lists_measures_and_reviews_an_admins_challenge_on_their_team(
    client: FlaskClient, world: World
) -> None:
    listed = api(client, world, "mia", "GET", "/challenges").get_json()["challenges"]
    assert {c["id"] for c in listed} == {world.both, world.playing, world.draft}
    assert [c["id"] for c in api(client, world, "cy", "GET", "/challenges").get_json()[
        "challenges"]] == []  # fmt: skip
    impact = api(client, world, "mia", "GET", f"/challenges/{world.both}/impact")
    assert impact.status_code == 200, impact.get_json()
    queue = api(client, world, "mia", "GET", f"/challenges/{world.both}/proofs").get_json()
    assert [p["id"] for p in queue["proofs"]] == [world.proofs["ann"]]  # not Bob's: not hers
    queue = api(client, world, "ben", "GET", f"/challenges/{world.both}/proofs").get_json()
    assert [p["id"] for p in queue["proofs"]] == [world.proofs["bob"]]
    assert api(client, world, "cy", "GET", f"/challenges/{world.both}/impact").status_code == 404


def test_the_manage_page_lists_them_and_queues_only_the_managers_reps_proofs(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "mia@example.test")
    index = client.get("/manage").get_data(as_text=True)
    assert "Admin&#39;s blitz" in index or "Admin's blitz" in index
    assert "Draft on Alpha" in index and "No challenge yet" not in index
    page = client.get(f"/manage/challenges/{world.both}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ann&#39;s demo" in html and "Bob&#39;s demo" not in html
    assert "Cancel the challenge" not in html  # it runs on Beta too: not hers to cancel
    draft = client.get(f"/manage/challenges/{world.draft}").get_data(as_text=True)
    assert "an admin launches it" not in draft  # Alpha only: hers to launch
    assert client.get(f"/impact/challenges/{world.both}").status_code == 200


def test_a_manager_may_not_review_or_adjust_another_teams_rep_in_a_shared_challenge(
    client: FlaskClient, world: World
) -> None:
    review = {"approve": True, "comment": None}
    url = f"/challenges/{world.both}/proofs/{world.proofs['bob']}/review"
    refused = api(client, world, "mia", "POST", url, review)
    assert refused.status_code == 403
    assert "Bob is not on a team you manage" in refused.get_json()["error"]["message"]
    adjustment = {"user_id": world.ids["bob"], "points": 50, "reason": "late deal"}
    refused = api(client, world, "mia", "POST", f"/challenges/{world.both}/adjustments", adjustment)
    assert refused.status_code == 403
    assert "Bob is not on a team you manage" in refused.get_json()["error"]["message"]
    assert api(client, world, "ben", "POST", url, review).status_code == 200
    allowed = api(client, world, "ben", "POST", f"/challenges/{world.both}/adjustments", adjustment)
    assert allowed.status_code == 201


def test_a_manager_who_plays_may_not_adjust_their_own_points(
    client: FlaskClient, world: World
) -> None:
    mine = {"user_id": world.ids["mia"], "points": 100_000, "reason": "me"}
    refused = api(client, world, "mia", "POST", f"/challenges/{world.playing}/adjustments", mine)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == "nobody adjusts their own points"
    board = api(client, world, "mia", "GET", f"/challenges/{world.playing}/leaderboard")
    assert all(row["points"] == 0 for row in board.get_json()["rows"])


def test_a_subscribe_is_refused_exactly_when_the_board_read_is(app: Flask, world: World) -> None:
    challenges = (world.both, world.playing, world.draft, 999_999)
    for who in PEOPLE:
        browser = app.test_client()
        log_in(browser, f"{who}@example.test")
        live = socketio.test_client(app, flask_test_client=browser)
        assert live.is_connected()
        for challenge_id in challenges:
            read = browser.get(f"/api/v1/challenges/{challenge_id}/leaderboard").status_code
            assert read in (200, 403, 404), (who, challenge_id, read)
            answer = live.emit("subscribe", {"challenge_id": challenge_id}, callback=True)
            assert answer["ok"] is (read == 200), (who, challenge_id, read, answer)
        live.disconnect()


def _everything(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with app.app_context():
        return {
            t.name: sorted(map(tuple, db.session.execute(select(t))), key=repr)
            for t in Base.metadata.sorted_tables
        }


def test_reading_an_ended_challenge_before_the_scheduler_changes_nothing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        ended = utcnow() - timedelta(minutes=1)
        db.session.execute(
            update(Challenge).where(Challenge.id == world.both).values(ends_at=ended)
        )
        db.session.commit()
    before = _everything(app)
    for who, url in (("mia", ""), ("mia", "/leaderboard"), ("ann", ""), ("ann", "/leaderboard"),
                     ("ann", "/missions"), ("mia", "/ledger")):  # fmt: skip
        answer = api(client, world, who, "GET", f"/challenges/{world.both}{url}")
        assert answer.status_code == 200, (who, url, answer.get_json())
    assert api(client, world, "mia", "GET", f"/challenges/{world.both}").get_json()[
        "finalized_at"] is None  # fmt: skip
    log_in(client, "ann@example.test")
    assert client.get(f"/play/challenges/{world.both}").status_code == 200
    assert _everything(app) == before
