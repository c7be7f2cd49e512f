"""Logging in and out, CSRF, API tokens, and the role wall."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token_from, log_in
from tests.factories import make_team, make_user
from web.auth import hash_password, issue_token
from web.extensions import db


@pytest.fixture
def people(app: Flask) -> dict[str, str]:
    with app.app_context():
        pw = hash_password(PASSWORD)
        manager = make_user(
            db.session, app_role="manager", email="boss@example.test", password_hash=pw
        )
        team = make_team(db.session, "Team Boss", manager=manager)
        make_user(db.session, email="rep@example.test", team=team, password_hash=pw)
        make_user(db.session, email="other@example.test", password_hash=pw)
        make_user(db.session, app_role="admin", email="admin@example.test", password_hash=pw)
        db.session.commit()
    return {
        "manager": "boss@example.test",
        "rep": "rep@example.test",
        "admin": "admin@example.test",
    }


def test_wrong_password_shows_an_error_and_logs_nobody_in(client: FlaskClient, people) -> None:
    token = csrf_token_from(client)
    response = client.post(
        "/login", data={"email": people["rep"], "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_csrf_token_is_refused(client: FlaskClient, people) -> None:
    response = client.post("/login", data={"email": people["rep"], "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_logout_needs_csrf_and_ends_the_session(client: FlaskClient, people) -> None:
    token = log_in(client, people["rep"])
    assert client.post("/logout").status_code == 400
    assert client.get("/api/v1/me").status_code == 200
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, people) -> None:
    token = csrf_token_from(client)
    response = client.post(
        "/login", data={"email": people["rep"], "password": PASSWORD, "csrf_token": token}
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_rep_gets_403_on_manager_api_and_pages(client: FlaskClient, people) -> None:
    log_in(client, people["rep"])
    response = client.get("/api/v1/users")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_manager_sees_only_their_team(client: FlaskClient, people) -> None:
    log_in(client, people["manager"])
    emails = {u["email"] for u in client.get("/api/v1/users").get_json()["users"]}
    assert emails == {"rep@example.test", "boss@example.test"}


def test_admin_sees_everyone_and_can_filter_by_email(client: FlaskClient, people) -> None:
    log_in(client, people["admin"])
    assert len(client.get("/api/v1/users").get_json()["users"]) == 4
    found = client.get("/api/v1/users?email=OTHER@example.test").get_json()["users"]
    assert [u["email"] for u in found] == ["other@example.test"]


def test_api_token_authenticates_and_revoked_or_wrong_tokens_do_not(
    app: Flask, client, people
) -> None:
    with app.app_context():
        from kpi_engine.org.membership import user_by_email
        from web.auth import revoke_token

        user = user_by_email(db.session, people["admin"])
        token = issue_token(user)
        db.session.commit()
        stored = db.session.scalar(db.select(db.Model.registry._class_registry["ApiToken"]))
        assert token not in (stored.digest, stored.prefix)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users", headers=auth).status_code == 200
    assert (
        client.get("/api/v1/users", headers={"Authorization": "Bearer sq_wrong"}).status_code == 401
    )
    with app.app_context():
        revoke_token(stored.id, user_by_email(db.session, people["admin"]))
        db.session.commit()
    assert client.get("/api/v1/users", headers=auth).status_code == 401


def test_login_attempts_are_rate_limited(client: FlaskClient, people) -> None:
    token = csrf_token_from(client)
    statuses = [
        client.post(
            "/login", data={"email": people["rep"], "password": "x", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429


def test_pages_redirect_anonymous_visitors_to_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
