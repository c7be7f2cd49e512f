"""Phone pushes end to end: a rep subscribes a device through the API as the profile's script
does, sales events come in through the API, and a local push service started by the test gets
a Web Push request after commit whose VAPID token verifies with the server's public key and
whose aes128gcm payload opens with the device's keys. Muted kinds are not sent; a 410 drops the
subscription; a 500 is tried again; a rolled-back transaction sends nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gameplay.channels.phones import PushSubscription
from gameplay.channels.pushes import PushMessage
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.sales.ingest import SalesEvent
from tests.conftest import log_in, make_app
from tests.live.conftest import Org, build_org
from tests.push_service import (  # noqa: F401 (push_service_fixture is a fixture)
    BrowserKeys,
    PushService,
    push_service_fixture,
    vapid_claims,
)
from web.extensions import db
from web.ingest import ingest
from web.push_keys import application_server_key
from web.push_sender import TIME_TO_LIVE_SECONDS, send_due_pushes, start_push_sender

SUBJECT = "mailto:floor-manager@example.test"


@pytest.fixture
def push_app(database_url: str, app: Flask) -> Iterator[Flask]:
    """The test app (`app` empties the tables) with quick retries: the backoff starts at 10 ms."""
    yield make_app(
        database_url, PUSH_RETRY_BASE_SECONDS=0.01, PUSH_MAX_ATTEMPTS=3, VAPID_SUBJECT=SUBJECT
    )


@pytest.fixture
def org(push_app: Flask) -> Org:
    return build_org(push_app)


@pytest.fixture
def ann(push_app: Flask, org: Org) -> FlaskClient:
    client = push_app.test_client()
    client.environ_base["HTTP_X_CSRFTOKEN"] = log_in(client, "ann@example.test")
    return client


def _subscribe(ann: FlaskClient, keys: BrowserKeys, endpoint: str) -> dict[str, Any]:
    answer = ann.post("/api/v1/me/devices", json=keys.subscription(endpoint, label="Ann's phone"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _calls(org: Org, client: FlaskClient, rep: str, n: int, tag: str) -> None:
    events = [
        {"id": f"{tag}-{i}", "type": "activity.logged", "occurred_at": utcnow().isoformat(),
         "rep": rep, "data": {"kind": "call", "outcome": "connected"}}
        for i in range(n)
    ]  # fmt: skip
    answer = client.post(
        "/api/v1/events", json={"events": events}, headers={"Authorization": f"Bearer {org.token}"}
    )
    assert answer.status_code == 200 and answer.get_json()["accepted"] == n, answer.get_json()


def _ann_overtaken(push_app: Flask, org: Org) -> None:
    """Ann scores first, then Bob passes her: Ann's note "Bob passed you in Call blitz"."""
    api = push_app.test_client()
    _calls(org, api, "ann@example.test", 1, "ann")
    _calls(org, api, "bob@example.test", 2, "bob")


def _count(push_app: Flask, model: type[Any]) -> int:
    with push_app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_device_gets_a_push_whose_vapid_token_verifies_and_payload_opens_with_its_keys(
    push_app: Flask, org: Org, ann: FlaskClient, push_service: PushService
) -> None:
    keys = BrowserKeys()
    _subscribe(ann, keys, f"{push_service.url}/wpush/ann-phone")
    stop = threading.Event()
    start_push_sender(push_app, 0.02, stop)
    try:
        _ann_overtaken(push_app, org)
        (request,) = push_service.wait_for(1)
        time.sleep(0.2)  # nothing else follows: Ann's own points stay in the app
        assert len(push_service.requests) == 1
    finally:
        stop.set()
    assert request.path == "/wpush/ann-phone"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == str(TIME_TO_LIVE_SECONDS)
    with push_app.app_context():
        public_key = application_server_key()
    claims = vapid_claims(request.headers["authorization"], public_key)
    assert claims["aud"] == push_service.url and claims["sub"] == SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    note = json.loads(keys.decrypt(request.body))
    assert note == {
        "kind": "overtaken",
        "title": "Leaderboard",
        "body": "Bob passed you in Call blitz (20 vs 10)",
        "url": f"/play/challenges/{org.challenge_id}",
        "tag": f"overtaken:{org.challenge_id}",
    }
    with push_app.app_context():
        (message,) = db.session.scalars(select(PushMessage)).all()
        assert (message.status, message.attempts) == ("sent", 1)


def test_a_muted_kind_is_not_pushed(
    push_app: Flask, org: Org, ann: FlaskClient, push_service: PushService
) -> None:
    _subscribe(ann, BrowserKeys(), f"{push_service.url}/wpush/ann-phone")
    token = ann.environ_base["HTTP_X_CSRFTOKEN"]
    muted = {"csrf_token": token, "muted_kinds": ["overtaken"]}
    assert ann.post("/play/profile/preferences", data=muted).status_code == 302
    _ann_overtaken(push_app, org)
    assert send_due_pushes(push_app) == 0
    assert push_service.requests == [] and _count(push_app, PushMessage) == 0


def test_a_410_from_the_push_service_drops_the_subscription_and_its_queue(
    push_app: Flask, org: Org, ann: FlaskClient, push_service: PushService
) -> None:
    _subscribe(ann, BrowserKeys(), f"{push_service.url}/wpush/gone")
    push_service.answers["/wpush/gone"] = [410]
    _ann_overtaken(push_app, org)
    assert send_due_pushes(push_app) == 1
    assert len(push_service.requests) == 1
    assert _count(push_app, PushSubscription) == 0 and _count(push_app, PushMessage) == 0
    listed = ann.get("/api/v1/me/devices").get_json()
    assert listed["devices"] == []


def test_a_push_answered_500_is_tried_again_and_delivered(
    push_app: Flask, org: Org, ann: FlaskClient, push_service: PushService
) -> None:
    _subscribe(ann, BrowserKeys(), f"{push_service.url}/wpush/flaky")
    push_service.answers["/wpush/flaky"] = [500, 201]
    _ann_overtaken(push_app, org)
    for _ in range(3):
        send_due_pushes(push_app)
        time.sleep(0.05)  # past the 10 ms backoff
    assert len(push_service.requests) == 2
    with push_app.app_context():
        (message,) = db.session.scalars(select(PushMessage)).all()
        assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)


def test_a_rolled_back_ingest_pushes_nothing(
    push_app: Flask, org: Org, ann: FlaskClient, push_service: PushService
) -> None:
    _subscribe(ann, BrowserKeys(), f"{push_service.url}/wpush/ann-phone")
    now = utcnow()
    calls = [
        SalesEvent("a-1", "activity.logged", now, "ann@example.test", {"kind": "call"}),
        SalesEvent("b-1", "activity.logged", now, "bob@example.test", {"kind": "call"}),
        SalesEvent("b-2", "activity.logged", now, "bob@example.test", {"kind": "call"}),
        SalesEvent("x-1", "activity.logged", now, "nobody@example.test", {"kind": "call"}),
    ]
    with push_app.app_context(), pytest.raises(Invalid):
        ingest(calls, source="import", whole=True)
    assert send_due_pushes(push_app) == 0
    assert push_service.requests == [] and _count(push_app, PushMessage) == 0
