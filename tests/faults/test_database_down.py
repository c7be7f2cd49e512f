"""The database goes away while deliveries arrive: 503 with Retry-After, nothing half-written,
and replaying the same deliveries afterwards gives exactly one ledger entry each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from kpi_engine.db import utcnow
from tests.faults.conftest import stored
from tests.live.conftest import build_org
from web.extensions import db


@contextmanager
def commits_fail(app: Flask) -> Iterator[None]:
    """Every COMMIT fails as if the server went away, after the transaction's work is sent."""

    def lost(_connection: Any) -> None:
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lost)
    try:
        yield
    finally:
        event.remove(engine, "commit", lost)


def deliveries(reps: list[str]) -> dict[str, Any]:
    return {
        "events": [
            {
                "id": f"call-{n}",
                "type": "activity.logged",
                "occurred_at": utcnow().isoformat(),
                "rep": rep,
                "data": {"kind": "call", "outcome": "connected"},
            }
            for n, rep in enumerate(reps)
        ]
    }


def test_deliveries_while_the_database_is_down_are_refused_whole_and_replay_once(
    app: Flask,
) -> None:
    org = build_org(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {org.token}"}
    body = deliveries(["ann@example.test", "bob@example.test", "ann@example.test"])
    with commits_fail(app):
        down = client.post("/api/v1/events", json=body, headers=headers)
    assert down.status_code == 503
    assert down.headers["Retry-After"].isdigit()
    assert down.get_json()["error"]["code"] == "unavailable"
    nothing = stored(app)
    assert (nothing.raw_events, nothing.ledger_per_event) == (0, {})
    assert set(nothing.points.values()) == {0}
    for _ in range(2):
        assert client.post("/api/v1/events", json=body, headers=headers).status_code == 200
    after = stored(app)
    assert after.raw_events == 3
    assert after.ledger_per_event == {"call-0": 1, "call-1": 1, "call-2": 1}
    assert after.points == {org.ann: 20, org.bob: 10}
