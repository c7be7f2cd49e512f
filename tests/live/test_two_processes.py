"""Two server processes joined by the Redis message queue, as a multi-process deployment runs."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from tests.live.conftest import Org, connect, post_call, session_cookie
from tests.live_server import running_server

pytestmark = [
    pytest.mark.live,
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL"),
]


def own_redis_db() -> str:
    """TEST_REDIS_URL's server, on this suite's own database number (5)."""
    parts = urlsplit(os.environ["TEST_REDIS_URL"])
    return f"{parts.scheme}://{parts.netloc}/5"


def test_an_event_posted_to_one_process_reaches_a_client_of_the_other(
    org: Org, database_url: str
) -> None:
    queue = {"SOCKETIO_MESSAGE_QUEUE": own_redis_db()}
    with running_server(database_url, **queue) as a, running_server(database_url, **queue) as b:
        bob = connect(b, session_cookie(b, "bob@example.test"))
        bob.subscribe(org.challenge_id)
        bob.wait_for("leaderboard", lambda f: f["snapshot"])
        ann = connect(b, session_cookie(b, "ann@example.test"))
        post_call(a, org.token, "ann@example.test", "call-on-a")
        moved = bob.wait_for("leaderboard", lambda f: not f["snapshot"])
        note = ann.wait_for("notification", lambda f: f["kind"] == "points_earned")
        for client in (ann, bob):
            client.sio.disconnect()
    assert any(row["user_id"] == org.ann and row["points"] == 10 for row in moved["rows"])
    assert note["challenge_id"] == org.challenge_id
