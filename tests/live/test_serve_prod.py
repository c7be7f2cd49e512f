"""`make serve-prod`'s launcher: two gevent processes on PostgreSQL joined by the Redis queue."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.big_exports import hubspot_export
from tests.live.conftest import Org, connect, post_call, session_cookie
from tests.live_server import ROOT, _wait_until_up

pytestmark = [
    pytest.mark.live,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="needs TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
]


def two_free_ports() -> int:
    """A port p such that p and p + 1 are both free on loopback."""
    for _ in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two consecutive free ports")


@contextmanager
def serve_prod(database_url: str, processes: int = 2) -> Iterator[list[str]]:
    """Run `python -m web.serve_prod` (what `make serve-prod` runs); yield each process's URL."""
    port = two_free_ports()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SOCKETIO_MESSAGE_QUEUE": os.environ["TEST_REDIS_URL"],
        "SECRET_KEY": "serve-prod-test",
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    command = [sys.executable, "-m", "web.serve_prod", "--processes", str(processes)]
    command += ["--base-port", str(port)]
    launcher = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    bases = [f"http://127.0.0.1:{port + i}" for i in range(processes)]
    try:
        for base in bases:
            _wait_until_up(base, launcher)
        yield bases
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=30)
        if launcher.stderr:
            launcher.stderr.close()


def test_a_client_of_one_process_sees_an_event_posted_to_the_other(
    org: Org, database_url: str
) -> None:
    with serve_prod(database_url) as (a, b):
        ready = [requests.get(f"{base}/readyz", timeout=5).json() for base in (a, b)]
        bob = connect(b, session_cookie(b, "bob@example.test"))
        bob.subscribe(org.challenge_id)
        bob.wait_for("leaderboard", lambda f: f["snapshot"])
        post_call(a, org.token, "ann@example.test", "call-through-a")
        moved = bob.wait_for("leaderboard", lambda f: not f["snapshot"])
        bob.sio.disconnect()
    assert all(r["checks"] == {"database": "ok", "message_queue": "ok"} for r in ready)
    assert any(row["user_id"] == org.ann and row["points"] == 10 for row in moved["rows"])


def test_an_import_uploaded_to_one_process_runs_on_the_launchers_job_worker(
    org: Org, database_url: str
) -> None:
    export = hubspot_export(3_000, owners=["ann@example.test", "bob@example.test"])
    auth = {"Authorization": f"Bearer {org.token}"}
    with serve_prod(database_url) as (a, b):
        answer = requests.post(
            f"{a}/api/v1/imports",
            headers=auth,
            files={"files": ("deals.csv", export, "text/csv")},
            data={"format": "hubspot", "date_format": "us"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        status_url = b + answer.headers["Location"].removeprefix(a)
        deadline = time.monotonic() + 120
        while (status := requests.get(status_url, headers=auth, timeout=5).json())["state"] not in (
            "done",
            "failed",
        ):
            assert time.monotonic() < deadline, status
            time.sleep(0.3)
    assert status["state"] == "done" and status["rows_accepted"] == 3_000, status
