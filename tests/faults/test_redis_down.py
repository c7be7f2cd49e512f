"""Redis (the message queue) goes down: ingestion keeps committing, frames resume once it is
back, and a client that subscribes again gets a snapshot with a higher version."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from flask import Flask

from tests.faults.conftest import stored
from tests.live.conftest import Org, connect, post_call, session_cookie
from tests.live_server import free_port, running_server

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


@contextmanager
def own_redis(port: int) -> Iterator[None]:
    """A private redis-server on this port, without persistence; stopped afterwards."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen([*command, "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ingestion_commits_through_a_queue_outage_and_frames_resume_after(
    app: Flask, org: Org, database_url: str
) -> None:
    port = free_port()
    queue = {"SOCKETIO_MESSAGE_QUEUE": f"redis://127.0.0.1:{port}/0"}
    with own_redis(port), running_server(database_url, **queue) as base:
        bob = connect(base, session_cookie(base, "bob@example.test"))
        bob.subscribe(org.challenge_id)
        first = bob.wait_for("leaderboard", lambda f: f["snapshot"])
    with running_server(database_url, **queue) as base:
        bob = connect(base, session_cookie(base, "bob@example.test"))
        during = post_call(base, org.token, "ann@example.test", "call-during-outage")
        committed = stored(app)
        with own_redis(port):
            resumed = _post_until_a_frame_arrives(base, org, bob)
            bob.subscribe(org.challenge_id)
            expected = 10 * (1 + resumed)
            fresh = bob.wait_for("leaderboard", lambda f: f["snapshot"] and _ann(f) == expected)
            bob.sio.disconnect()
    assert during.status_code == 200
    assert committed.ledger_per_event == {"call-during-outage": 1}
    assert resumed
    assert fresh["version"] > first["version"]
    assert stored(app).points[org.ann] == _ann(fresh)


def _ann(frame: dict) -> int | None:
    return next((r["points"] for r in frame["rows"] if r["name"] == "Ann"), None)


def _post_until_a_frame_arrives(base: str, org: Org, bob) -> int:  # type: ignore[no-untyped-def]
    """Post a call a second until Bob gets a frame again; how many calls it took."""
    bob.subscribe(org.challenge_id)
    for attempt in range(1, 31):
        post_call(base, org.token, "ann@example.test", f"call-after-{attempt}")
        try:
            bob.wait_for("leaderboard", lambda f: not f["snapshot"], timeout=1)
            return attempt
        except AssertionError:
            continue
    return 0
