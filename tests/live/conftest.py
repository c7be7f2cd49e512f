"""A small org with one live challenge, the real server on it, and logged-in Socket.IO clients."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
import socketio
from flask import Flask

from gameplay.manage.challenges import create_challenge, launch_challenge
from kpi_engine.db import utcnow
from tests.conftest import PASSWORD
from tests.factories import make_team, make_user
from tests.live_server import running_server
from web import realtime
from web.auth import hash_password, issue_token
from web.extensions import db


@dataclass(frozen=True)
class Org:
    challenge_id: int
    token: str
    ann: int
    bob: int


def build_org(app: Flask) -> Org:
    """A manager's team (Ann, Bob) in a live challenge, +10 per call; Cat is on another team."""
    with app.app_context():
        s, hashed, now = db.session(), hash_password(PASSWORD), utcnow()
        manager = make_user(s, app_role="manager", email="boss@example.test", password_hash=hashed)
        team = make_team(s, name="Hunters", manager=manager)
        ann = make_user(s, name="Ann", email="ann@example.test", team=team, password_hash=hashed)
        bob = make_user(s, name="Bob", email="bob@example.test", team=team, password_hash=hashed)
        make_user(s, name="Cat", email="cat@example.test", team=make_team(s), password_hash=hashed)
        make_user(s, name="Admin", app_role="admin", email="admin@example.test")
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
        challenge = create_challenge(s, spec, manager, now=now)
        launch_challenge(s, challenge.id, manager, now=now)
        token = issue_token(manager)
        s.commit()
        org = Org(challenge.id, token, ann.id, bob.id)
        db.engine.dispose()
        return org


@pytest.fixture(autouse=True)
def frames_sent_before_teardown(app: Flask) -> Iterator[None]:
    """Send any trailing frame now, while the test's database is still there."""
    yield
    realtime.throttle.flush()


@pytest.fixture
def org(app: Flask) -> Org:
    return build_org(app)


@pytest.fixture
def server(org: Org, database_url: str) -> Iterator[str]:
    with running_server(database_url) as base:
        yield base


def session_cookie(base: str, email: str) -> str:
    """Log in through the real form; the Cookie header a browser would send afterwards."""
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=10).text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert csrf is not None
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)}
    answer = http.post(f"{base}/login", data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


@dataclass
class LiveClient:
    """A python-socketio client that keeps every frame it receives, by event name."""

    sio: socketio.Client
    frames: dict[str, list[Any]] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def keep(self, name: str, frame: Any) -> None:
        with self.arrived:
            self.frames.setdefault(name, []).append(frame)
            self.arrived.notify_all()

    def wait_for(self, name: str, test: Callable[[Any], bool], timeout: float = 5) -> Any:
        """The first frame of that name passing the test; fails after the timeout."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                found = [f for f in self.frames.get(name, []) if test(f)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                assert left > 0, f"no matching {name!r} frame; got {self.frames}"
                self.arrived.wait(left)

    def subscribe(self, challenge_id: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.sio.call(
            "subscribe", {"challenge_id": challenge_id}, timeout=5
        )
        return answer


def connect(base: str, cookie: str | None = None, **headers: str) -> LiveClient:
    """Connect over WebSocket with the session cookie; raises socketio's ConnectionError."""
    client = LiveClient(socketio.Client(reconnection=False))
    for name in ("leaderboard", "notification"):
        client.sio.on(name, lambda frame, name=name: client.keep(name, frame))
    if cookie:
        headers["Cookie"] = cookie
    client.sio.connect(base, headers=headers, transports=["websocket"], wait_timeout=5)
    return client


def post_call(base: str, token: str, rep_email: str, key: str) -> requests.Response:
    """A call logged for a rep, posted to the events API as an integration would."""
    body = {
        "id": key,
        "type": "activity.logged",
        "occurred_at": utcnow().isoformat(),
        "rep": rep_email,
        "data": {"kind": "call", "outcome": "connected"},
    }
    headers = {"Authorization": f"Bearer {token}"}
    answer = requests.post(f"{base}/api/v1/events", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer
