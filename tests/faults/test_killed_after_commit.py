"""A server process killed between commit and publish: the committed rows stand whole, and a
client that reconnects (to any process) gets them in its snapshot."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.faults.conftest import stored
from tests.live.conftest import Org, connect, post_call, session_cookie
from tests.live_server import ROOT, _wait_until_up, free_port, running_server

pytestmark = [pytest.mark.live, pytest.mark.slow]


def post_and_ignore_the_broken_connection(base: str, org: Org) -> None:
    # The server dies before it answers; that is the fault under test.
    with contextlib.suppress(requests.RequestException):
        post_call(base, org.token, "ann@example.test", "call-before-the-kill")


def test_a_kill_after_commit_leaves_whole_rows_that_a_reconnecting_client_sees(
    app: Flask, org: Org, database_url: str, tmp_path: Path
) -> None:
    marker, port = tmp_path / "stalled", free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-test-secret",
           "PORT": str(port), "STALL_MARKER": str(marker)}  # fmt: skip
    script = [sys.executable, str(ROOT / "tests" / "faults" / "stalling_server.py")]
    doomed = subprocess.Popen(script, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base, doomed)
    poster = threading.Thread(target=post_and_ignore_the_broken_connection, args=(base, org))
    poster.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    poster.join(timeout=30)
    if doomed.stderr:
        doomed.stderr.close()
    assert marker.exists()
    after = stored(app)
    assert (after.raw_events, after.ledger_per_event) == (1, {"call-before-the-kill": 1})
    assert after.points == {org.ann: 10, org.bob: 0}
    with running_server(database_url) as again:
        bob = connect(again, session_cookie(again, "bob@example.test"))
        snapshot = bob.subscribe(org.challenge_id)
        frame = bob.wait_for("leaderboard", lambda f: f["snapshot"])
        bob.sio.disconnect()
    rows = {row["user_id"]: row["points"] for row in frame["rows"]}
    assert rows[org.ann] == 10, snapshot
