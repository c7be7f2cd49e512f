"""`flask demo simulate` moves the boards a newcomer watches, with or without a message queue."""

from __future__ import annotations

import os

import pytest
from flask import Flask

from tests.conftest import make_app
from tests.live.conftest import Org, connect, session_cookie
from tests.live.test_two_processes import own_redis_db
from tests.live_server import running_server

pytestmark = pytest.mark.live
SIMULATE = ["demo", "simulate", "--events", "6", "--interval", "0.05", "--seed", "7"]


def watch(base: str, org: Org):
    bob = connect(base, session_cookie(base, "bob@example.test"))
    bob.subscribe(org.challenge_id)
    bob.wait_for("leaderboard", lambda f: f["snapshot"])
    return bob


def test_without_a_queue_it_posts_to_the_running_server(
    app: Flask, org: Org, database_url: str
) -> None:
    with running_server(database_url) as base:
        bob = watch(base, org)
        result = app.test_cli_runner().invoke(args=[*SIMULATE, "--url", base])
        assert result.exit_code == 0, result.output
        moved = bob.wait_for("leaderboard", lambda f: not f["snapshot"])
        bob.sio.disconnect()
    assert any(row["points"] > 0 for row in moved["rows"])
    assert result.output.count("\n") == 6


def test_without_a_server_it_says_how_to_start_one(app: Flask, org: Org) -> None:
    result = app.test_cli_runner().invoke(args=[*SIMULATE, "--url", "http://127.0.0.1:9"])
    assert result.exit_code != 0 and "no server at http://127.0.0.1:9" in result.output


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
def test_with_a_queue_its_frames_reach_the_server_processes_clients(
    org: Org, database_url: str
) -> None:
    queue = own_redis_db()
    with running_server(database_url, SOCKETIO_MESSAGE_QUEUE=queue) as base:
        bob = watch(base, org)
        cli_app = make_app(database_url, SOCKETIO_MESSAGE_QUEUE=queue)
        result = cli_app.test_cli_runner().invoke(args=SIMULATE)
        assert result.exit_code == 0, result.output
        moved = bob.wait_for("leaderboard", lambda f: not f["snapshot"])
        bob.sio.disconnect()
    assert any(row["points"] > 0 for row in moved["rows"])
