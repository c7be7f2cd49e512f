"""Many writers at once: threads on one server, and processes on two servers sharing the database.

The five events of a deal's life sent at the same moment through two servers end as they would
in order (status, stage history, points), and a rebuild then changes nothing.

On SQLite no "database is locked" may reach a client (WAL, a busy timeout and BEGIN IMMEDIATE);
on PostgreSQL (TEST_DATABASE_URL) the same deliveries racing through several processes must
award their points exactly once and leave the standings exact.
"""

from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from gameplay.core.models import LedgerEntry, Participant
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.ops.rebuild import rebuild_game
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import rebuild_mirror
from kpi_engine.sales.models import Deal, DealStageChange
from tests.faults.conftest import stored
from tests.live.conftest import Org
from tests.live_server import running_server
from web.extensions import db

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


GameState = tuple[dict[str, tuple[str, int]], dict[str, int], dict[tuple[int, int], int]]


def deal_events(deal: str, rep: str, amount: int) -> list[dict[str, Any]]:
    """A deal's life in five events a minute apart: created, won, lost, reopened, won."""
    start = utcnow() - timedelta(hours=1)
    steps = [
        ("deal.created", {"amount": amount, "stage": "Prospecting"}),
        ("deal.won", {}),
        ("deal.lost", {}),
        ("deal.stage_changed", {"stage": "Negotiation"}),
        ("deal.won", {}),
    ]
    return [
        {
            "id": f"{deal}-{n}",
            "type": kind,
            "occurred_at": (start + timedelta(minutes=n)).isoformat(),
            "rep": rep,
            "data": {"deal_id": deal, **data},
        }
        for n, (kind, data) in enumerate(steps)
    ]


def game_state(app: Flask) -> GameState:
    """Each deal's status and stage-history length, its net points, and standings points."""
    with app.app_context():
        s = db.session()
        history = func.count(DealStageChange.id)
        deals = s.execute(
            select(Deal.crm_id, Deal.status, history)
            .join(DealStageChange, DealStageChange.deal_id == Deal.id)
            .group_by(Deal.crm_id, Deal.status)
        ).all()
        net = s.execute(
            select(LedgerEntry.source_ref, func.sum(LedgerEntry.points))
            .where(LedgerEntry.source_ref.like("deal:%"))
            .group_by(LedgerEntry.source_ref)
        ).all()
        points = s.execute(
            select(Participant.challenge_id, Participant.user_id, Participant.points)
        ).all()
        db.session.remove()
    return (
        {d: (status, n) for d, status, n in deals},
        {ref.removeprefix("deal:"): int(total) for ref, total in net},
        {(challenge, user): p for challenge, user, p in points},
    )


def rebuilt(app: Flask) -> GameState:
    with app.app_context():
        rebuild_mirror(db.session())
        rebuild_game(db.session(), now=utcnow())
        db.session.commit()
        db.session.remove()
    return game_state(app)


def test_the_five_events_of_each_deal_sent_at_once_over_two_servers_end_as_in_order(
    app: Flask, org: Org, database_url: str
) -> None:
    with app.app_context():
        manager = db.session.scalars(select(User).filter_by(email="boss@example.test")).one()
        team_id = db.session.get_one(User, org.ann).team_id
        spec = {
            "name": "Closers",
            "kind": "upsell",
            "format": "leaderboard",
            "starts_at": utcnow() - timedelta(days=1),
            "ends_at": utcnow() + timedelta(days=6),
            "timezone": "UTC",
            "audience": {"team_ids": [team_id]},
            "enrolment": "auto",
            "rules": [{"fact": "deal_won", "points": 50, "points_per_amount": "0.01"}],
        }
        challenge = create_challenge(db.session(), spec, manager, now=utcnow())
        launch_challenge(db.session(), challenge.id, manager, now=utcnow())
        db.session.commit()
        closers = challenge.id
        db.session.remove()
    amounts = {f"D{r}-{d}": 1000 * (d + 1) for r in range(4) for d in range(5)}
    with running_server(database_url) as a, running_server(database_url) as b:
        for round_ in range(4):
            events = [
                e
                for deal, amount in amounts.items()
                if deal.startswith(f"D{round_}-")
                for e in deal_events(deal, "ann@example.test", amount)
            ]
            jobs = [([a, b][n % 2], e) for n, e in enumerate(shuffled_copy(events, round_))]
            with ThreadPoolExecutor(10) as pool:
                answers = list(pool.map(lambda job: send(job[0], org.token, [job[1]]), jobs))
            assert [x for each in answers for x in each if x[0] != 200] == []
    live = game_state(app)
    deals, net, points = live
    assert deals == dict.fromkeys(amounts, ("won", 5))
    assert net == {deal: 50 + amount // 100 for deal, amount in amounts.items()}
    assert points[(closers, org.ann)] == sum(net.values())
    assert rebuilt(app) == live
