"""With the database gone, every path answers 503 with Retry-After at once, a logged-in page
included, and nothing waits on a host that does not answer."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from socketio import packet
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from tests.conftest import PASSWORD, log_in, make_app
from tests.factories import make_user
from web.auth import hash_password
from web.extensions import db, socketio


@contextmanager
def statements_fail(app: Flask) -> Iterator[None]:
    """Every statement fails as if the server went away."""

    def gone(*_args: Any) -> None:
        raise OperationalError("SELECT", {}, ConnectionError("server closed the connection"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", gone)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", gone)


def test_a_logged_in_page_answers_503_with_retry_after_not_500(app: Flask) -> None:
    with app.app_context():
        make_user(
            db.session(),
            email="mia@example.test",
            app_role="manager",
            password_hash=hash_password(PASSWORD),
        )
        db.session.commit()
    client = app.test_client()
    log_in(client, "mia@example.test")
    with statements_fail(app):
        page = client.get("/manage")
    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    assert "text/html" in page.content_type
    assert b"unreachable" in page.data
    assert client.get("/manage").status_code == 200


def test_readyz_tells_a_balancer_when_to_come_back(app: Flask) -> None:
    with statements_fail(app):
        ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert app.test_client().get("/readyz").headers.get("Retry-After") is None


@contextmanager
def silent_host() -> Iterator[int]:
    """A port that accepts connections and never says a word, like a stalled server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_database_host_that_never_answers_gives_503_within_seconds() -> None:
    with silent_host() as port:
        url = f"postgresql+psycopg://app@127.0.0.1:{port}/sales"
        app = make_app(url, DATABASE_CONNECT_TIMEOUT=1)
        started = time.monotonic()
        ready = app.test_client().get("/readyz")
        took = time.monotonic() - started
    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert took < 5, f"/readyz took {took:.1f} s on a silent database host"


def test_a_socket_io_connection_is_refused_at_once_with_when_to_come_back(app: Flask) -> None:
    with app.app_context():
        make_user(db.session(), email="mia@example.test", password_hash=hash_password(PASSWORD))
        db.session.commit()
    browser = app.test_client()
    log_in(browser, "mia@example.test")
    live = socketio.test_client(app, flask_test_client=browser)
    sent: list[Any] = []
    record = socketio.server._send_packet

    def keep(eio_sid: str, pkt: Any) -> None:
        sent.append(pkt)
        record(eio_sid, pkt)

    socketio.server._send_packet = keep  # type: ignore[method-assign]
    try:
        with statements_fail(app):
            answer = live.emit("subscribe", {"challenge_id": 1}, callback=True)
            live.disconnect()
            live.connect()
    finally:
        socketio.server._send_packet = record  # type: ignore[method-assign]
    assert answer["ok"] is False and answer.get("retry_after", 0) > 0, answer
    assert not live.is_connected()
    [refusal] = [p for p in sent if p.packet_type == packet.CONNECT_ERROR]
    assert "database" in refusal.data["message"] and refusal.data["data"]["retry_after"] > 0
    live.connect()
    assert live.is_connected()


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="a statement timeout is PostgreSQL's"
)
def test_a_stalled_database_answers_503_within_seconds_and_recovers(
    app: Flask, database_url: str
) -> None:
    app = make_app(database_url, DATABASE_STATEMENT_TIMEOUT=1)
    with app.app_context():
        make_user(db.session(), email="mia@example.test", password_hash=hash_password(PASSWORD))
        db.session.commit()
    client = app.test_client()
    log_in(client, "mia@example.test")
    staller = create_engine(database_url)
    with staller.connect() as other:
        other.execute(text('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE'))
        started = time.monotonic()
        page = client.get("/play")
        took = time.monotonic() - started
        other.rollback()
    staller.dispose()
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert took < 3, f"a page took {took:.1f} s on a stalled database"
    assert client.get("/play").status_code == 200
