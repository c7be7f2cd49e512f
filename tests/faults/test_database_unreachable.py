"""With the database gone, every path answers 503 with Retry-After at once, a logged-in page
included, and nothing waits on a host that does not answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from tests.conftest import PASSWORD, log_in, make_app
from tests.factories import make_user
from web.auth import hash_password
from web.extensions import db


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
