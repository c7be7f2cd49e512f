"""Every board converges on its own: a lost frame, a worker killed after COMMIT, a message queue
that goes away, bursts over two processes. Pages keep their board the way live.js does
(tests/live/boards.py) and never subscribe again by hand."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from gameplay.core.models import Participant
from tests.live.boards import (
    database_board,
    running_script,
    unrelayed_news,
    watch,
)
from tests.live.conftest import Org, post_call, session_cookie
from tests.live_server import running_server
from web.extensions import db

pytestmark = [pytest.mark.live, pytest.mark.slow]

FAST = {"LIVE_HEARTBEAT_SECONDS": "1", "LIVE_RELAY_GRACE_SECONDS": "1"}


def test_a_lost_frame_is_recovered_by_the_heartbeat(
    app: Flask, org: Org, database_url: str
) -> None:
    with running_script("live/lossy_server.py", database_url, **FAST) as (base, _):
        bob = watch(base, session_cookie(base, "bob@example.test"), org.challenge_id)
        before = bob.version
        post_call(base, org.token, "ann@example.test", "call-whose-frame-is-lost")
        expected = database_board(app, org.challenge_id)
        took = bob.wait_until(lambda w: w.points == expected, timeout=5)
        bob.sio.disconnect()
    assert bob.version > before
    assert bob.broadcasts == 0, "the frame was dropped: only a re-sync can have brought it"
    assert bob.resyncs >= 1
    assert took < 3.5  # a heartbeat a second, then one snapshot
    assert unrelayed_news(app) == 0


def test_news_a_worker_committed_before_it_was_killed_is_relayed_by_another_process(
    app: Flask, org: Org, database_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "stalled"
    with running_server(database_url, **FAST) as survivor:
        bob = watch(survivor, session_cookie(survivor, "bob@example.test"), org.challenge_id)
        before = bob.version
        stalling = {"STALL_MARKER": str(marker)}
        with running_script("faults/stalling_server.py", database_url, **stalling) as doomed:
            base, process = doomed
            poster = threading.Thread(target=_post_ignoring_the_kill, args=(base, org))
            poster.start()
            _wait_for(marker.exists, timeout=30)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            poster.join(timeout=30)
        killed_at = time.monotonic()
        expected = database_board(app, org.challenge_id)
        assert expected[_participant(app, org)] == 10, "the kill came after COMMIT"
        bob.wait_until(lambda w: w.points == expected, timeout=6)
        took = time.monotonic() - killed_at
        bob.sio.disconnect()
    assert bob.version > before
    assert bob.broadcasts == 1, "the relay loop sent the frame the dead worker never sent"
    assert took < 4  # the grace (1 s) and a tick of the relay loop (1 s)
    assert unrelayed_news(app) == 0


def _post_ignoring_the_kill(base: str, org: Org) -> None:
    with contextlib.suppress(requests.RequestException):
        post_call(base, org.token, "ann@example.test", "call-before-the-kill")


def _wait_for(test: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not test() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert test(), "the worker never reached the point between commit and publish"


def _participant(app: Flask, org: Org) -> int:
    with app.app_context():
        found = db.session.scalar(
            select(Participant.id).where(
                Participant.challenge_id == org.challenge_id, Participant.user_id == org.ann
            )
        )
        db.session.remove()
        assert found is not None
        return found
