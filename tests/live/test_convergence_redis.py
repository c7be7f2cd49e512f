"""Two server processes joined by Redis: after bursts of events posted to both, and after the
queue went away and came back, every page's board equals the database's, without any page
subscribing again (pages keep their board the way live.js does: tests/live/boards.py)."""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from datetime import timedelta

import pytest
from flask import Flask

from gameplay.manage.challenges import create_challenge, launch_challenge
from kpi_engine.db import utcnow
from tests.conftest import PASSWORD
from tests.factories import make_team, make_user
from tests.live.boards import BoardWatcher, database_board, own_redis, unrelayed_news, watch
from tests.live.conftest import post_call, session_cookie
from tests.live_server import running_server
from web.auth import hash_password, issue_token
from web.extensions import db

pytestmark = [pytest.mark.live, pytest.mark.slow]

FAST = {"LIVE_HEARTBEAT_SECONDS": "1", "LIVE_RELAY_GRACE_SECONDS": "1"}
REPS = 6


def build_team(app: Flask) -> tuple[int, str, list[str]]:
    """A manager's team of REPS reps in a live challenge, +10 a call: (challenge, token, emails)."""
    with app.app_context():
        s, hashed, now = db.session(), hash_password(PASSWORD), utcnow()
        boss = make_user(s, app_role="manager", email="boss@example.test", password_hash=hashed)
        team = make_team(s, name="Hunters", manager=boss)
        emails = [f"rep{i}@example.test" for i in range(REPS)]
        for i, email in enumerate(emails):
            make_user(s, name=f"Rep {i}", email=email, team=team, password_hash=hashed)
        spec = {
            "name": "Call blitz",
            "kind": "prospecting",
            "format": "leaderboard",
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=6),
            "timezone": "UTC",
            "audience": {"team_ids": [team.id]},
            "enrolment": "auto",
            "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
        }
        challenge = create_challenge(s, spec, boss, now=now)
        launch_challenge(s, challenge.id, boss, now=now)
        token = issue_token(boss)
        s.commit()
        found = (challenge.id, token, emails)
        db.engine.dispose()
        return found


def burst(bases: list[str], token: str, emails: list[str], tag: str, count: int) -> None:
    """`count` calls for random reps, posted at once from four threads to random processes."""
    rng = random.Random(tag)
    calls = [(rng.choice(bases), rng.choice(emails), f"{tag}-{n}") for n in range(count)]

    def post(share: list[tuple[str, str, str]]) -> None:
        for base, email, key in share:
            post_call(base, token, email, key)

    threads = [threading.Thread(target=post, args=(calls[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def all_equal(watchers: list[BoardWatcher], expected: dict[int, int], timeout: float) -> float:
    """Seconds until every page shows the expected board (the slowest page's time)."""
    start = time.monotonic()
    for watcher in watchers:
        watcher.wait_until(lambda w: w.points == expected, timeout=timeout)
    return time.monotonic() - start


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
def test_bursts_over_two_processes_end_with_every_board_equal_to_the_database(
    app: Flask, database_url: str
) -> None:
    challenge_id, token, emails = build_team(app)
    queue = {"SOCKETIO_MESSAGE_QUEUE": os.environ["TEST_REDIS_URL"], **FAST}
    with running_server(database_url, **queue) as a, running_server(database_url, **queue) as b:
        watchers = [
            watch(base, session_cookie(base, email), challenge_id)
            for base in (a, b)
            for email in emails[:2]
        ]
        for round_ in range(3):
            burst([a, b], token, emails, f"burst{round_}", 24)
            time.sleep(0.3)
        expected = database_board(app, challenge_id)
        took = all_equal(watchers, expected, timeout=8)
        for watcher in watchers:
            watcher.sio.disconnect()
    assert sum(expected.values()) == 10 * 3 * 24
    assert took < 6
    assert all(w.broadcasts > 0 for w in watchers), "frames flowed, not only snapshots"
    assert unrelayed_news(app) == 0


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_boards_converge_within_seconds_of_a_lost_redis_coming_back(
    app: Flask, database_url: str
) -> None:
    challenge_id, token, emails = build_team(app)
    port = 6402  # this suite's own redis-server, started and killed by the test
    queue = {"SOCKETIO_MESSAGE_QUEUE": f"redis://127.0.0.1:{port}/0", **FAST}
    with (
        own_redis(port) as redis_server,
        running_server(database_url, **queue) as a,
        running_server(database_url, **queue) as b,
    ):
        watchers = [watch(b, session_cookie(b, e), challenge_id) for e in emails[:3]]
        watchers.append(watch(a, session_cookie(a, emails[3]), challenge_id))
        redis_server.terminate()
        redis_server.wait(timeout=10)
        burst([a, b], token, emails, "during-outage", 12)
        with own_redis(port):
            back = time.monotonic()
            expected = database_board(app, challenge_id)
            all_equal(watchers, expected, timeout=8)
            after_recovery = time.monotonic() - back
            burst([a, b], token, emails, "after-outage", 12)
            expected = database_board(app, challenge_id)
            all_equal(watchers, expected, timeout=8)
            for watcher in watchers:
                watcher.sio.disconnect()
    assert sum(expected.values()) == 10 * 24
    assert after_recovery < 5  # a few seconds: heartbeats every second
    assert all(w.resyncs > 0 for w in watchers[:3]), "pages behind re-synced by themselves"
