"""How many SQL statements one single-event POST /api/v1/events costs, pinned so they do not
creep back: an activity of a rep who plays in a live challenge, scored and published."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from gameplay.manage.challenges import create_challenge, launch_challenge
from kpi_engine.db import utcnow
from tests.domain.game_setup import spec
from tests.factories import make_team, make_user
from web.auth import issue_token
from web.extensions import db

# The statements of one single-event POST by a rep who has played before, by database. Was
# 28 on both before the write path resolved a rep once, inserted new activities with ON
# CONFLICT DO NOTHING, read the rules with the live challenges and skipped idle rank shifts.
# PostgreSQL adds the per-deal advisory locks and the challenge lock (and re-read under it).
# The board news outbox then added its row and the read of the board's latest news (2), and
# notes in each recipient's language the read of their locale, in the transaction for the
# pushes and after it for the frames (2). Measured on the merge of those features. The notes'
# frames then took their readers' languages and mutes from the transaction instead of a
# second one after the commit (-2).
STATEMENTS_PER_EVENT = {"sqlite": 23, "postgresql": 26}


def _world(app: Flask) -> str:
    with app.app_context():
        s = db.session()
        admin = make_user(s, app_role="admin", email="admin@example.test")
        team = make_team(s)
        for name in ("ann", "bob", "cat"):
            make_user(s, email=f"{name}@example.test", team=team)
        now = utcnow()
        board = spec([team.id], starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6))
        challenge = create_challenge(s, board, admin, now=now - timedelta(days=2))
        launch_challenge(s, challenge.id, admin, now=now - timedelta(days=2))
        token = issue_token(admin)
        s.commit()
        return token


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []
    request_thread = threading.get_ident()  # the test client serves requests on it

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # A leaderboard frame of an earlier POST may be read on the throttle's timer thread.
        if threading.get_ident() == request_thread:
            seen.append(statement)

    with app.app_context():
        engine: Engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def _call(n: int, rep: str) -> dict[str, Any]:
    return {
        "id": f"call-{n}",
        "type": "activity.logged",
        "occurred_at": utcnow().isoformat(),
        "rep": rep,
        "data": {"kind": "call", "outcome": "connected"},
    }


def test_one_event_costs_a_pinned_number_of_statements(
    app: Flask, client: FlaskClient, statements: list[str]
) -> None:
    headers = {"Authorization": f"Bearer {_world(app)}"}
    # Ann's first call makes her game profile; the second is the everyday case counted here.
    first = client.post("/api/v1/events", json=_call(0, "ann@example.test"), headers=headers)
    assert first.status_code == 200
    statements.clear()
    answer = client.post("/api/v1/events", json=_call(1, "ann@example.test"), headers=headers)
    assert answer.status_code == 200 and answer.get_json()["accepted"] == 1
    listing = "\n".join(f"{n:2} {' '.join(s.split())[:120]}" for n, s in enumerate(statements))
    with app.app_context():
        dialect = db.engine.dialect.name
    assert len(statements) == STATEMENTS_PER_EVENT[dialect], listing
