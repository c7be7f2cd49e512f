"""A challenge that ends while nobody loads a page still tells its winner, within seconds: the
server's own finalizer (SCHEDULER_INTERVAL) finalises it and publishes the winner's note and the
final frame to the clients that are connected."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from flask import Flask

from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge, launch_challenge
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from tests.live.conftest import Org, connect, post_call, session_cookie
from tests.live_server import running_server
from web.extensions import db

pytestmark = pytest.mark.live

SECONDS_LEFT = 4


def short_challenge(app: Flask) -> int:
    """A leaderboard on Ann and Bob's team that ends SECONDS_LEFT seconds from now."""
    with app.app_context():
        s, now = db.session(), utcnow()
        boss = s.query(User).filter_by(email="boss@example.test").one()
        ann = s.query(User).filter_by(email="ann@example.test").one()
        spec = {
            "name": "Last-minute sprint",
            "kind": "prospecting",
            "format": "leaderboard",
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(seconds=SECONDS_LEFT),
            "timezone": "UTC",
            "audience": {"team_ids": [ann.team_id]},
            "enrolment": "auto",
            "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
        }
        challenge = create_challenge(s, spec, boss, now=now)
        launch_challenge(s, challenge.id, boss, now=now)
        s.commit()
        challenge_id = challenge.id
        db.engine.dispose()
        return challenge_id


def test_a_challenge_ending_with_nobody_watching_tells_its_winner(
    app: Flask, org: Org, database_url: str
) -> None:
    with running_server(database_url, SCHEDULER_INTERVAL="0.5") as base:
        challenge_id = short_challenge(app)
        ann = connect(base, session_cookie(base, "ann@example.test"))
        assert ann.subscribe(challenge_id) == {"ok": True}
        ann.wait_for("leaderboard", lambda f: f["snapshot"])
        post_call(base, org.token, "ann@example.test", "sprint-call")
        scored = ann.wait_for("leaderboard", lambda f: not f["snapshot"])
        ended_at = time.monotonic() + SECONDS_LEFT
        # Nobody loads a page from here on: only the server's finalizer can act.
        note = ann.wait_for(
            "notification",
            lambda f: f["kind"] == "challenge_ending" and f["challenge_id"] == challenge_id,
            timeout=SECONDS_LEFT + 5,
        )
        told_after = time.monotonic() - ended_at
        final = ann.wait_for(
            "leaderboard",
            lambda f: not f["snapshot"] and f["version"] > scored["version"],
            timeout=3,
        )
        ann.sio.disconnect()
    assert "You won Last-minute sprint (place 1)" in note["message"]
    assert told_after < 3  # within a few seconds of the end (the finalizer ticks every 0.5 s)
    assert final["challenge_id"] == challenge_id and not final["frozen"]
    ann_row = next(row for row in final["rows"] if row["user_id"] == org.ann)
    assert (ann_row["rank"], ann_row["points"]) == (1, 10)
    with app.app_context():
        finalised = db.session.get(Challenge, challenge_id)
        assert finalised is not None and finalised.finalized_at is not None


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
def test_a_challenge_ending_unwatched_tells_its_winner_through_the_other_process(
    app: Flask, org: Org, database_url: str
) -> None:
    """Two processes over Redis: the one that finalises (its scheduler) is not the one the
    winner's phone is connected to, and nobody loads a page."""
    queue = {"SOCKETIO_MESSAGE_QUEUE": os.environ["TEST_REDIS_URL"]}
    with (
        running_server(database_url, SCHEDULER_INTERVAL="0.5", **queue) as finalizer,
        running_server(database_url, **queue) as phones,
    ):
        challenge_id = short_challenge(app)
        ann = connect(phones, session_cookie(phones, "ann@example.test"))
        assert ann.subscribe(challenge_id) == {"ok": True}
        ann.wait_for("leaderboard", lambda f: f["snapshot"])
        post_call(finalizer, org.token, "ann@example.test", "sprint-call-two")
        scored = ann.wait_for("leaderboard", lambda f: not f["snapshot"])
        ended_at = time.monotonic() + SECONDS_LEFT
        note = ann.wait_for(
            "notification",
            lambda f: f["kind"] == "challenge_ending" and f["challenge_id"] == challenge_id,
            timeout=SECONDS_LEFT + 5,
        )
        told_after = time.monotonic() - ended_at
        final = ann.wait_for(
            "leaderboard",
            lambda f: not f["snapshot"] and f["version"] > scored["version"],
            timeout=3,
        )
        ann.sio.disconnect()
    assert "You won Last-minute sprint (place 1)" in note["message"]
    assert told_after < 3
    ann_row = next(row for row in final["rows"] if row["user_id"] == org.ann)
    assert (ann_row["rank"], ann_row["points"]) == (1, 10)
