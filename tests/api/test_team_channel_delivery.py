"""Team channels end to end: sales events come in through the API, and a local HTTP receiver
started by the test gets the Slack and Teams messages after commit, from the background
sender; nothing for a rolled-back transaction; a 500 is tried again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from gameplay.channels.team_channels import ChannelPost, connect_channel
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.sales.ingest import SalesEvent
from tests.conftest import make_app
from tests.factories import make_team, make_user
from tests.webhook_receiver import Receiver, receiver_fixture  # noqa: F401 (a fixture)
from web.auth import issue_token
from web.channel_sender import seal, send_due, start_channel_sender
from web.extensions import db
from web.ingest import ingest


@pytest.fixture
def channel_app(database_url: str, app: Flask) -> Iterator[Flask]:
    """The test app (`app` empties the tables) with quick retries: the backoff starts at 10 ms."""
    fast = make_app(database_url, CHANNEL_RETRY_BASE_SECONDS=0.01, CHANNEL_MAX_ATTEMPTS=3)
    yield fast


def _org(app: Flask, receiver: Receiver) -> dict[str, Any]:
    with app.app_context():
        s = db.session()
        admin = make_user(s, app_role="admin")
        manager = make_user(s, app_role="manager")
        team = make_team(s, manager=manager)
        make_user(s, email="ana@example.test", name="Ana Ruiz", team=team)
        for kind in ("slack", "teams"):
            url = f"{receiver.url}/{kind}"
            connect_channel(
                s, manager, team_id=team.id, kind=kind, url=url, seal=seal, now=utcnow()
            )
        token = issue_token(admin)
        s.commit()
        return {"token": token}


def _won(n: int) -> dict[str, Any]:
    return {
        "id": f"won-{n}",
        "type": "deal.won",
        "occurred_at": utcnow().isoformat(),
        "rep": "ana@example.test",
        "data": {"deal_id": f"D{n}", "account": "Acme", "amount": 5000, "currency": "EUR"},
    }


def _wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_the_background_sender_posts_slack_and_teams_messages_after_commit(
    channel_app: Flask, receiver: Receiver
) -> None:
    token = _org(channel_app, receiver)["token"]
    stop = threading.Event()
    start_channel_sender(channel_app, 0.02, stop)
    try:
        answer = channel_app.test_client().post(
            "/api/v1/events", json=_won(1), headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.get_json()
        assert _wait_for(lambda: len(receiver.posts) == 2)
        assert _wait_for(lambda: _statuses(channel_app) == {"sent"}), _statuses(channel_app)
    finally:
        stop.set()
    slack, teams = sorted(receiver.posts, key=lambda p: p[0])
    assert slack[0] == "/slack" and slack[1]["text"] == "🏆 Ana Ruiz won Acme (5,000 EUR)"
    assert slack[1]["blocks"][0]["text"]["type"] == "mrkdwn"
    assert teams[0] == "/teams" and teams[1]["type"] == "message"
    card = teams[1]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == slack[1]["text"]


def _statuses(app: Flask) -> set[str]:
    # The sender marks a post sent after the receiver answered it: a moment after it arrives.
    with app.app_context():
        statuses = {p.status for p in db.session.scalars(select(ChannelPost))}
        db.session.remove()
        return statuses


def test_a_rolled_back_ingest_sends_nothing(channel_app: Flask, receiver: Receiver) -> None:
    _org(channel_app, receiver)
    won = SalesEvent("won-x", "deal.won", utcnow(), "ana@example.test", {"deal_id": "DX"})
    unknown = SalesEvent("bad-x", "deal.won", utcnow(), "nobody@example.test", {"deal_id": "DY"})
    with channel_app.app_context(), pytest.raises(Invalid):
        ingest([won, unknown], source="import", whole=True)
    assert send_due(channel_app) == 0
    assert receiver.posts == []


def test_a_post_answered_500_is_tried_again_and_one_that_keeps_failing_is_marked(
    channel_app: Flask, receiver: Receiver
) -> None:
    _org(channel_app, receiver)
    receiver.fail_first = {"/slack": 1, "/teams": 10}
    with channel_app.app_context():
        ingest(
            [SalesEvent("won-r", "deal.won", utcnow(), "ana@example.test", {"deal_id": "DR"})],
            source="api",
        )
    for _ in range(4):
        send_due(channel_app)
        time.sleep(0.1)  # past the backoff: 10 ms, then 20 ms
    assert receiver.paths().count("/slack") == 2  # a 500, then delivered
    assert receiver.paths().count("/teams") == 3  # CHANNEL_MAX_ATTEMPTS, then given up
    with channel_app.app_context():
        posts = db.session.scalars(select(ChannelPost).order_by(ChannelPost.id)).all()
        status = {p.body.get("type", "slack"): (p.status, p.attempts) for p in posts}
        assert status == {"slack": ("sent", 2), "message": ("failed", 3)}
        assert posts[1].last_error.startswith("answered 500")


def test_a_timeout_is_retried_later_not_failed(
    channel_app: Flask, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    _org(channel_app, receiver)
    with channel_app.app_context():
        ingest(
            [SalesEvent("won-t", "deal.won", utcnow(), "ana@example.test", {"deal_id": "DT"})],
            source="api",
        )

    def too_slow(*_: Any, **__: Any) -> Any:
        raise requests.Timeout()

    monkeypatch.setattr(requests, "post", too_slow)
    send_due(channel_app)
    with channel_app.app_context():
        posts = db.session.scalars(select(ChannelPost)).all()
        assert {(p.status, p.last_error) for p in posts} == {("pending", "did not answer in time")}
        assert all(p.next_attempt_at > utcnow() - timedelta(seconds=1) for p in posts)
