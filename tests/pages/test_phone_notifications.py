"""The rep's devices for phone notifications: the API the profile's script subscribes through
(every bad field refused by name, nothing saved) and the profile's section (list, test, remove)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gameplay.channels.phones import PushSubscription
from gameplay.channels.pushes import PushMessage
from tests.conftest import log_in
from tests.live.conftest import Org
from tests.push_service import BrowserKeys, b64url
from web.extensions import db

FCM = "https://fcm.googleapis.com/fcm/send/abc:APA91b-device"


@pytest.fixture
def ann(client: FlaskClient, org: Org) -> FlaskClient:
    client.environ_base["HTTP_X_CSRFTOKEN"] = log_in(client, "ann@example.test")
    return client


def _count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_subscription_is_kept_and_listed_with_the_servers_public_key(
    app: Flask, ann: FlaskClient
) -> None:
    made = ann.post("/api/v1/me/devices", json=BrowserKeys().subscription(FCM, label=" Pixel "))
    assert made.status_code == 201, made.get_json()
    listed = ann.get("/api/v1/me/devices").get_json()
    assert [d["label"] for d in listed["devices"]] == ["Pixel"]
    assert len(listed["public_key"]) == 87  # a P-256 point, base64url without padding


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "https://example.com/collect"}, "endpoint"),
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "endpoint"),
        ({"endpoint": "https://fcm.googleapis.com.evil.test/x"}, "endpoint"),
        ({"endpoint": "https://fcm.googleapis.com/" + "x" * 1000}, "endpoint"),
        ({"keys": {"p256dh": b64url(b"\x04" + b"1" * 20), "auth": b64url(b"a" * 16)}}, "keys"),
        ({"keys": {"p256dh": b64url(b"\x04" + b"1" * 64), "auth": "not base64!"}}, "keys"),
        ({"label": "x" * 121}, "label"),
        ({"label": ""}, "label"),
        ({"admin": True}, "admin"),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field_and_nothing_is_kept(
    app: Flask, ann: FlaskClient, change: dict[str, Any], field: str
) -> None:
    body = {**BrowserKeys().subscription(FCM), **change}
    answer = ann.post("/api/v1/me/devices", json=body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert _count(app, PushSubscription) == 0


def test_a_body_that_is_not_json_is_a_400(ann: FlaskClient) -> None:
    answer = ann.post("/api/v1/me/devices", data="{", content_type="application/json")
    assert answer.status_code == 400


def test_another_reps_device_cannot_be_removed(
    app: Flask, ann: FlaskClient, client: FlaskClient
) -> None:
    made = ann.post("/api/v1/me/devices", json=BrowserKeys().subscription(FCM)).get_json()
    ann.post("/logout", data={"csrf_token": ann.environ_base["HTTP_X_CSRFTOKEN"]})
    client.environ_base["HTTP_X_CSRFTOKEN"] = log_in(client, "bob@example.test")
    assert client.delete(f"/api/v1/me/devices/{made['id']}").status_code == 404
    assert client.delete("/api/v1/me/devices/99999999999").status_code == 404
    assert _count(app, PushSubscription) == 1


def test_the_profile_lists_the_devices_sends_a_test_and_removes_one(
    app: Flask, ann: FlaskClient
) -> None:
    html = ann.get("/play/profile").get_data(as_text=True)
    assert "Phone notifications" in html and "No device gets notifications yet" in html
    assert "Send a test notification" not in html
    made = ann.post("/api/v1/me/devices", json=BrowserKeys().subscription(FCM, label="Pixel"))
    html = ann.get("/play/profile").get_data(as_text=True)
    assert "Pixel" in html and "Send a test notification" in html and "js/push.js" in html
    token = ann.environ_base["HTTP_X_CSRFTOKEN"]
    sent = ann.post("/play/profile/devices/test", data={"csrf_token": token})
    assert sent.status_code == 303
    assert "on its way to your device" in ann.get("/play/profile").get_data(as_text=True)
    assert _count(app, PushMessage) == 1
    device_id = made.get_json()["id"]
    gone = ann.post(f"/play/profile/devices/{device_id}/remove", data={"csrf_token": token})
    assert gone.status_code == 303
    assert "Pixel no longer gets notifications." in ann.get("/play/profile").get_data(as_text=True)
    assert _count(app, PushSubscription) == 0 and _count(app, PushMessage) == 0
