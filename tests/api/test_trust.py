"""Trust boundaries of a request: which credential counts, when a session ends, what every
response carries in its headers, and what the access log never holds."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kpi_engine.org.models import User
from tests.conftest import PASSWORD, log_in
from tests.factories import make_user
from web.auth import hash_password, issue_token
from web.extensions import db

REP = "rep@example.test"


@pytest.fixture
def rep_token(app: Flask) -> str:
    with app.app_context():
        rep = make_user(db.session, email=REP, password_hash=hash_password(PASSWORD))
        token = issue_token(rep)
        db.session.commit()
    return token


def _captured_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replayed(app: Flask, cookie: str) -> FlaskClient:
    """Another browser that presents a session cookie captured earlier."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _change_user(app: Flask, **values: object) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == REP))
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


# 8. a made-up bearer token does not turn CSRF off for the cookie's session


def test_a_bogus_bearer_header_with_a_session_cookie_is_refused(
    app: Flask, client: FlaskClient, rep_token: str
) -> None:
    log_in(client, REP)
    bogus = {"Authorization": "Bearer not-a-token"}
    response = client.put("/api/v1/me/preferences", json={"sound": False}, headers=bogus)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/me", headers=bogus).status_code == 401
    assert client.get("/api/v1/me").status_code == 200  # the cookie alone still logs in


def test_a_valid_token_needs_no_csrf_and_the_cookie_is_ignored(
    app: Flask, client: FlaskClient, rep_token: str
) -> None:
    with app.app_context():
        admin = make_user(db.session, app_role="admin", email="admin@example.test",
                          password_hash=hash_password(PASSWORD))  # fmt: skip
        db.session.commit()
        admin_id = admin.id
    log_in(client, "admin@example.test")
    as_token = client.get("/api/v1/me", headers={"Authorization": f"Bearer {rep_token}"})
    assert as_token.status_code == 200 and as_token.json["id"] != admin_id


# 9. a session ends on logout, password change and deactivation, wherever it was captured


def test_a_cookie_captured_before_logout_no_longer_reads_me(
    app: Flask, client: FlaskClient, rep_token: str
) -> None:
    csrf = log_in(client, REP)
    cookie = _captured_cookie(client)
    assert _replayed(app, cookie).get("/api/v1/me").status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    assert _replayed(app, cookie).get("/api/v1/me").status_code == 401
    log_in(client, REP)  # logging in again opens a new, working session
    assert client.get("/api/v1/me").status_code == 200


def test_a_password_change_ends_every_open_session(
    app: Flask, client: FlaskClient, rep_token: str
) -> None:
    log_in(client, REP)
    _change_user(app, password_hash=hash_password("a brand new passphrase"))
    assert client.get("/api/v1/me").status_code == 401
    log_in(client, REP, "a brand new passphrase")
    assert client.get("/api/v1/me").status_code == 200


def test_deactivation_ends_the_session_even_after_reactivation(
    app: Flask, client: FlaskClient, rep_token: str
) -> None:
    log_in(client, REP)
    _change_user(app, active=False)
    assert client.get("/api/v1/me").status_code == 401
    _change_user(app, active=True)
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_ending_leaves_api_tokens_working(
    app: Flask, client: FlaskClient, rep_token: str
) -> None:
    csrf = log_in(client, REP)
    client.post("/logout", data={"csrf_token": csrf})
    bearer = {"Authorization": f"Bearer {rep_token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200


# 10. no credentials on the API: 401 with a Bearer challenge, in the JSON error shape


@pytest.mark.parametrize("method", ["get", "post", "put"])
def test_an_api_request_without_credentials_gets_401_with_a_bearer_challenge(
    client: FlaskClient, method: str
) -> None:
    path = {"get": "/api/v1/me", "post": "/api/v1/events", "put": "/api/v1/me/preferences"}[method]
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["code"] == "unauthorized"


def test_a_logged_in_session_without_its_csrf_token_is_still_refused(
    client: FlaskClient, rep_token: str
) -> None:
    log_in(client, REP)
    response = client.put("/api/v1/me/preferences", json={"sound": False})
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf"


# 11. security headers on pages and the API; no secret in the access log


@pytest.mark.parametrize("path", ["/login", "/api/v1/me", "/healthz"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_access_log_never_holds_a_token_from_the_query_string(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("web.access")
    access.setLevel(logging.INFO)
    access.addHandler(caplog.handler)
    try:
        client.get("/wall?token=sq_wall_secret_value&team=3")
        client.get("/api/v1/me?access_token=sq_other_secret")
        client.get("/wall/wall_link_secret")
    finally:
        access.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if r.name == "web.access"]
    assert len(lines) == 3
    assert all("secret" not in line for line in lines)
    assert "token=[redacted]" in lines[0] and "team=3" in lines[0]
    assert "/wall/[redacted]" in lines[2]
