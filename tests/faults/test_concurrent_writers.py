"""Many writers at once: threads on one server, and processes on two servers sharing the database.

On SQLite no "database is locked" may reach a client (WAL, a busy timeout and BEGIN IMMEDIATE);
on PostgreSQL (TEST_DATABASE_URL) the same deliveries racing through several processes must
award their points exactly once and leave the standings exact.
"""

from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask

from kpi_engine.db import utcnow
from tests.faults.conftest import stored
from tests.live.conftest import Org
from tests.live_server import running_server

pytestmark = [pytest.mark.live, pytest.mark.slow]


def call(key: str, rep: str) -> dict[str, Any]:
    return {
        "id": key,
        "type": "activity.logged",
        "occurred_at": utcnow().isoformat(),
        "rep": rep,
        "data": {"kind": "call", "outcome": "connected"},
    }


def send(base: str, token: str, events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Post each event alone, as a chatty integration would; every status and error body."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    answers = []
    for body in events:
        answer = http.post(f"{base}/api/v1/events", json=body, timeout=60)
        answers.append((answer.status_code, answer.text if answer.status_code != 200 else ""))
    return answers


def test_eight_writer_threads_get_every_event_recorded_and_never_database_is_locked(
    app: Flask, server: str, org: Org
) -> None:
    batches = [
        [call(f"t{t}-{n}", "ann@example.test" if n % 2 else "bob@example.test") for n in range(8)]
        for t in range(8)
    ]
    with ThreadPoolExecutor(8) as pool:
        answers = [
            a for each in pool.map(lambda b: send(server, org.token, b), batches) for a in each
        ]
    assert [a for a in answers if a[0] != 200] == []
    after = stored(app)
    assert after.raw_events == 64
    assert set(after.ledger_per_event.values()) == {1} and len(after.ledger_per_event) == 64
    assert after.points == {org.ann: 320, org.bob: 320}


def shuffled_copy(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    copy = list(events)
    random.Random(seed).shuffle(copy)
    return copy


def test_the_same_deliveries_racing_through_four_processes_and_two_servers_count_once(
    app: Flask, org: Org, database_url: str
) -> None:
    events = [call(f"race-{n}", "ann@example.test") for n in range(15)]
    events += [call(f"race-b-{n}", "bob@example.test") for n in range(5)]
    with running_server(database_url) as a, running_server(database_url) as b:
        jobs = [
            (base, org.token, shuffled_copy(events, seed)) for seed, base in enumerate([a, b] * 2)
        ]
        with ProcessPoolExecutor(4) as pool:
            answers = [x for each in pool.map(send, *zip(*jobs, strict=True)) for x in each]
    assert [a for a in answers if a[0] != 200] == []
    after = stored(app)
    assert after.raw_events == 20
    assert after.ledger_per_event == {e["id"]: 1 for e in events}
    assert after.points == {org.ann: 150, org.bob: 50}
