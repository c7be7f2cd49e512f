"""GET and HEAD requests read in a read-only transaction (web.read_requests): on SQLite it begins
DEFERRED, so a page or API read does not queue behind a held write lock; on PostgreSQL it is a
READ ONLY transaction, so a GET that wrote would fail instead of writing."""

from __future__ import annotations

import threading
import time
from itertools import count
from typing import Any

import pytest
from flask import Blueprint, Flask, jsonify
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kpi_engine.db import READ_ONLY
from kpi_engine.org.models import Team
from tests.factories import make_user
from web.auth import issue_token
from web.extensions import db

# Far below SQLite's 30 s busy timeout, which a reader beginning IMMEDIATE would wait out.
PROMPTLY = 3.0


@pytest.fixture
def token(app: Flask) -> str:
    with app.app_context():
        user = make_user(db.session(), email="ann@example.test", name="Ann")
        issued = issue_token(user)
        db.session.commit()
    return issued


def _writing_view_app(app: Flask) -> Flask:
    """The app plus GET and POST /test/team: read, note whether the transaction is read-only,
    then add a team and commit (what no GET may do)."""
    bp, names = Blueprint("writes", __name__), count()

    def write() -> Any:
        db.session.scalar(select(func.count()).select_from(Team))
        marked = db.session.connection().get_execution_options().get(READ_ONLY, False)
        db.session.execute(insert(Team).values(name=f"Written {next(names)}"))
        db.session.commit()
        return jsonify({"read_only": marked}), 200, {"X-Read-Only": str(marked)}

    bp.add_url_rule("/test/team", "team", write, methods=["GET", "POST"])
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)
    return app


def _teams(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Team)) or 0


def test_a_get_runs_in_a_read_only_transaction_and_cannot_write(app: Flask, engine: Engine) -> None:
    client = _writing_view_app(app).test_client()
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="read-only transaction"):
            client.get("/test/team")
        assert _teams(engine) == 0
    else:
        # SQLite has no read-only transaction: the mark is what makes it begin DEFERRED.
        assert client.get("/test/team").get_json() == {"read_only": True}
    assert client.post("/test/team").get_json() == {"read_only": False}
    assert _teams(engine) >= 1


def test_a_get_reads_while_another_connection_holds_the_write_lock(
    client: FlaskClient, engine: Engine, token: str
) -> None:
    answers: list[tuple[int, float]] = []

    def read() -> None:
        start = time.monotonic()
        answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        answers.append((answer.status_code, time.monotonic() - start))

    with Session(engine) as writer:
        writer.execute(insert(Team).values(name="Uncommitted"))  # holds the write lock
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(PROMPTLY)
        finished = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert finished, "a GET waited behind an open write transaction"
    assert answers[0][0] == 200


def test_a_head_request_is_a_read_too(app: Flask, engine: Engine) -> None:
    client = _writing_view_app(app).test_client()
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="read-only transaction"):
            client.head("/test/team")
    else:
        assert client.head("/test/team").headers["X-Read-Only"] == "True"
