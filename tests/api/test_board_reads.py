"""The warm leaderboard read (web.board_cache): one statement to authenticate a token, no
permission query asked twice, the rendered top N served from the cache of its standings
version, and conditional GETs answered 304 until the board changes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from gameplay.boards.leaderboards import read_leaderboard
from gameplay.core.models import Challenge
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from tests.api.test_challenges_api import activity, call, launch_template, org  # noqa: F401
from tests.conftest import PASSWORD, log_in
from web.auth import hash_password
from web.extensions import db
from web.schemas.challenges import board_answer

QUIET = ("BEGIN", "SET TRANSACTION", "COMMIT", "ROLLBACK", "RELEASE", "SAVEPOINT")


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs in this thread inside the block (transaction
    control aside): the test client serves requests in the caller's thread, while the live
    layer's frame for an earlier event may be read in a timer thread of its own."""
    seen: list[str] = []
    here = threading.get_ident()

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == here and not statement.lstrip().upper().startswith(QUIET):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def scored(client: FlaskClient, org: dict[str, Any]) -> int:  # noqa: F811
    """A live challenge of the manager's team where Ann leads Bob, and Cat has no points."""
    challenge_id = launch_template(client, org, "prospecting")
    events = [activity(0, "ann", "meeting_booked"), activity(1, "bob")]
    assert call(client, org, "admin", "POST", "/events", {"events": events}).status_code == 200
    return challenge_id


def read(client: FlaskClient, people: dict[str, Any], who: str, challenge_id: int, **headers: str):
    bearer = {"Authorization": f"Bearer {people['tokens'][who]}"}
    url = f"/api/v1/challenges/{challenge_id}/leaderboard?limit=10"
    return client.get(url, headers={**bearer, **headers})


def test_a_warm_read_authenticates_and_checks_access_once_and_reads_no_board(
    app: Flask,
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    read(client, org, "ann", scored)  # warms the cache
    with statements(app) as rep_read:
        assert read(client, org, "ann", scored).status_code == 200
    # the token's user (one indexed statement), the challenge; the rep is in its audience
    assert len(rep_read) == 2, rep_read
    assert "api_token" in rep_read[0] and "challenge" in rep_read[1]
    read(client, org, "boss", scored)
    with statements(app) as manager_read:
        assert read(client, org, "boss", scored).status_code == 200
    # token, challenge, the teams it reaches and the teams the manager runs: each once
    assert len(manager_read) == 4, manager_read
    assert len(set(manager_read)) == len(manager_read)


def test_a_cold_read_asks_each_permission_question_once(
    app: Flask,
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    with statements(app) as cold:
        assert read(client, org, "boss", scored).status_code == 200
    assert len(set(cold)) == len(cold), "\n\n".join(cold)


def _direct(app: Flask, challenge_id: int, email: str, manager_view: bool) -> dict[str, Any]:
    with app.app_context():
        session = db.session()
        viewer = session.query(User).filter_by(email=email).one()
        challenge = session.get(Challenge, challenge_id)
        assert challenge is not None
        board = read_leaderboard(
            session, challenge, viewer=viewer, manager_view=manager_view, now=utcnow(), limit=10
        )
        return board_answer(board)


def test_the_cached_board_is_the_board_each_viewer_would_read(
    app: Flask,
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    bob = {"Authorization": f"Bearer {org['tokens']['bob']}"}
    assert (
        client.put("/api/v1/me/preferences", json={"anonymised": True}, headers=bob).status_code
        == 200
    )
    for who, manages in (("ann", False), ("bob", False), ("cat", False), ("boss", True)):
        for _ in range(2):  # cold, then warm
            answer = read(client, org, who, scored).get_json()
            assert answer == _direct(app, scored, f"{who}@example.test", manages), who
    rows = {who: read(client, org, who, scored).get_json()["rows"] for who in ("ann", "bob")}
    assert [r["name"] for r in rows["ann"]][:2] == ["Ann", "Anonymous rep"]
    assert rows["bob"][1] | {} == {**rows["bob"][1], "name": "Bob", "is_me": True}


def test_an_anonymity_change_shows_at_once_though_the_version_did_not_move(
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    before = read(client, org, "ann", scored)
    assert before.get_json()["rows"][1]["name"] == "Bob"
    bob = {"Authorization": f"Bearer {org['tokens']['bob']}"}
    assert (
        client.put("/api/v1/me/preferences", json={"anonymised": True}, headers=bob).status_code
        == 200
    )
    after = read(client, org, "ann", scored, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["version"] == before.get_json()["version"]
    assert after.get_json()["rows"][1]["name"] == "Anonymous rep"


def test_a_conditional_get_is_answered_304_until_the_standings_move(
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    first = read(client, org, "ann", scored)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    again = read(client, org, "ann", scored, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    # the body depends on who reads it: another viewer's copy is not this one
    assert read(client, org, "bob", scored, **{"If-None-Match": tag}).status_code == 200
    events = {"events": [activity(5, "cat", "meeting_booked")]}
    assert call(client, org, "admin", "POST", "/events", events).status_code == 200
    moved = read(client, org, "ann", scored, **{"If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["ETag"] != tag
    assert moved.get_json()["version"] > first.get_json()["version"]
    assert [r["name"] for r in moved.get_json()["rows"]][:2] == ["Ann", "Cat"]


def test_a_revoked_or_deactivated_token_is_refused(
    app: Flask,
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    assert read(client, org, "ann", scored).status_code == 200
    with app.app_context():
        ann = db.session.query(User).filter_by(email="ann@example.test").one()
        ann.active = False
        db.session.commit()
    assert read(client, org, "ann", scored).status_code == 401


def test_the_challenge_page_asks_once_whether_the_viewer_manages_it(
    app: Flask,
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    with app.app_context():
        boss = db.session.query(User).filter_by(email="boss@example.test").one()
        boss.password_hash = hash_password(PASSWORD)
        db.session.commit()
    log_in(client, "boss@example.test")
    with statements(app) as page:
        assert client.get(f"/play/challenges/{scored}").status_code == 200
    managed = [s for s in page if "team.manager_id" in s]
    assert len(managed) == 1, managed


def test_a_renamed_rep_shows_under_the_new_name_at_once(
    app: Flask,
    client: FlaskClient,
    org: dict[str, Any],  # noqa: F811
    scored: int,
) -> None:
    before = read(client, org, "ann", scored)
    assert before.get_json()["rows"][1]["name"] == "Bob"
    with app.app_context():
        bob = db.session.query(User).filter_by(email="bob@example.test").one()
        bob.name = "Robert"
        db.session.commit()
    after = read(client, org, "ann", scored, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["rows"][1]["name"] == "Robert"
