"""The signed CRM webhook: only a fresh delivery signed with the shared secret is stored."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kpi_engine.org.models import User
from kpi_engine.sales.models import Deal, RawEvent
from tests.conftest import make_app
from tests.factories import make_team, make_user
from web.api.webhooks import signature
from web.extensions import db

SECRET = "whsec-test"


@pytest.fixture
def hook_app(database_url: str, app: Flask) -> Iterator[Flask]:
    signed = make_app(database_url, WEBHOOK_SECRET=SECRET, MAX_CONTENT_LENGTH=4000)
    with signed.app_context():
        make_user(db.session(), email="ann@example.test")
        db.session.commit()
    yield signed
    with signed.app_context():
        db.engine.dispose()


def body(key: str = "hub-1") -> bytes:
    event = {
        "id": key,
        "type": "deal.won",
        "occurred_at": "2026-05-04T15:00:00+02:00",
        "rep": "ann@example.test",
        "data": {"deal_id": "HS-77", "amount": "4821"},
    }
    return json.dumps(event).encode()


def deliver(client: FlaskClient, raw: bytes, *, secret: str = SECRET, age: float = 0, **headers):
    timestamp = str(int(time.time() - age))
    headers = {
        "X-SalesQuest-Timestamp": timestamp,
        "X-SalesQuest-Signature": signature(secret, timestamp, raw),
        "Content-Type": "application/json",
        **headers,
    }
    return client.post("/api/v1/webhooks/crm", data=raw, headers=headers)


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(RawEvent.id))) or 0


def test_a_signed_fresh_delivery_is_stored_once_even_when_replayed(hook_app: Flask):
    client = hook_app.test_client()
    first = deliver(client, body())
    assert first.status_code == 200 and first.json["accepted"] == 1
    again = deliver(client, body())
    assert again.json == {"accepted": 0, "duplicates": 1, "rejected": []}
    with hook_app.app_context():
        assert db.session.scalar(select(RawEvent.source)) == "webhook"


def test_a_bad_signature_gets_401_and_nothing_is_stored(hook_app: Flask):
    response = deliver(hook_app.test_client(), body(), secret="someone-else")
    assert response.status_code == 401
    assert "does not match" in response.json["error"]["message"]
    assert stored(hook_app) == 0


def test_a_body_changed_after_signing_gets_401(hook_app: Flask):
    timestamp = str(int(time.time()))
    headers = {
        "X-SalesQuest-Timestamp": timestamp,
        "X-SalesQuest-Signature": signature(SECRET, timestamp, body("hub-1")),
    }
    response = hook_app.test_client().post(
        "/api/v1/webhooks/crm", data=body("hub-2"), headers=headers
    )
    assert response.status_code == 401
    assert stored(hook_app) == 0


def test_an_expired_timestamp_gets_401_and_nothing_is_stored(hook_app: Flask):
    response = deliver(hook_app.test_client(), body(), age=301)
    assert response.status_code == 401
    assert "300 seconds" in response.json["error"]["message"]
    assert stored(hook_app) == 0


def test_a_missing_timestamp_gets_401(hook_app: Flask):
    response = deliver(hook_app.test_client(), body(), **{"X-SalesQuest-Timestamp": "soon"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_an_oversized_body_gets_413_and_nothing_is_stored(hook_app: Flask):
    events = {"events": [json.loads(body(f"hub-{n}")) for n in range(40)]}
    response = deliver(hook_app.test_client(), json.dumps(events).encode())
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert stored(hook_app) == 0


def test_without_a_configured_secret_the_webhook_is_off(app: Flask, client: FlaskClient):
    response = deliver(client, body())
    assert response.status_code == 503
    assert "WEBHOOK_SECRET" in response.json["error"]["message"]


def test_the_crm_moves_a_deal_from_one_team_to_another(hook_app: Flask):
    with hook_app.app_context():
        s = db.session()
        make_user(s, email="cat@example.test", team=make_team(s))
        s.commit()
    client = hook_app.test_client()
    assert deliver(client, body("hub-1")).json["accepted"] == 1
    moved = json.loads(body("hub-2"))
    moved["rep"], moved["type"] = "cat@example.test", "deal.updated"
    moved["occurred_at"] = "2026-05-05T15:00:00+02:00"
    answer = deliver(client, json.dumps(moved).encode()).json
    assert answer == {"accepted": 1, "duplicates": 0, "rejected": []}
    with hook_app.app_context():
        owner = db.session.scalar(select(Deal.owner_id).where(Deal.crm_id == "HS-77"))
        assert owner == db.session.scalar(select(User.id).where(User.email == "cat@example.test"))
