"""Batch ingestion of sales events, in events per second, on SQLite and PostgreSQL.

Each workload posts the same 10,000 events (fixed seed: 60 % activities, 40 % deal events over
1,500 deals, some out of order, 5 % repeated ids) in batches of 500 through the one ingest path
(`gameplay.engine.record_sales_events`, then commit): once with no live challenge, once with
three live challenges covering every rep; and once through `kpi_engine.events.ingest_events`
alone (store + mirror, no game), to show which layer the time goes to. Baseline, measured in
the same run: SQLAlchemy Core `executemany` of the same raw rows into raw_event in one
transaction — the floor of storing the events, without idempotency checks, mirror or game.

    .venv/bin/python -m bench.bench_ingest [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.orm import Session

from bench.harness import Row, machine, save
from gameplay import models as game_models  # noqa: F401  (registers the game tables)
from gameplay.challenges import create_challenge, launch_challenge
from gameplay.engine import record_sales_events
from kpi_engine.db import Base, configure_sqlite
from kpi_engine.events import SalesEvent, ingest_events
from kpi_engine.models import RawEvent, Team, User

EVENTS, BATCH, REPS, DEALS, SEED = 10_000, 500, 40, 1_500, 20261122
START = datetime(2026, 3, 2, tzinfo=UTC)
END = START + timedelta(days=28)


def _engine(url: str, folder: Path) -> Engine:
    engine = create_engine(url.replace("{folder}", str(folder)))
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return engine


def _org(session: Session) -> tuple[User, list[User], Team]:
    admin = User(email="admin@bench.test", name="Admin", app_role="admin")
    team = Team(name="Bench", manager=admin)
    reps = [
        User(email=f"rep{n}@bench.test", name=f"Rep {n}", sales_role="AE", team=team)
        for n in range(REPS)
    ]
    session.add_all([admin, team, *reps])
    session.commit()
    return admin, reps, team


def _events(reps: list[User]) -> list[SalesEvent]:
    rng = random.Random(SEED)
    made: list[SalesEvent] = []
    for n in range(EVENTS):
        rep = rng.choice(reps).email
        at = START + timedelta(minutes=rng.randint(0, 27 * 24 * 60))
        if rng.random() < 0.6:
            kind = rng.choice(["call", "email", "meeting", "demo"])
            data: dict[str, Any] = {"kind": kind, "outcome": "connected"}
            made.append(SalesEvent(f"a{n}", "activity.logged", at, rep, data))
            continue
        deal = f"D{rng.randrange(DEALS)}"
        type_ = rng.choice(["deal.created", "deal.stage_changed", "deal.won", "deal.lost"])
        data = {"deal_id": deal, "stage": "Proposal", "amount": rng.randint(500, 9000)}
        made.append(SalesEvent(f"d{n}", type_, at, rep, data))
    repeats = rng.sample(made, EVENTS // 20)
    return made[: EVENTS - len(repeats)] + repeats


def _live_challenges(session: Session, admin: User, team: Team) -> None:
    rules = [
        [{"fact": "activity", "activity_kind": "call", "points": 10}],
        [{"fact": "deal_won", "points": 50}],
        [{"fact": "activity", "activity_kind": "meeting", "points": 25}],
    ]
    for n, rule in enumerate(rules):
        spec = {
            "name": f"Bench {n}",
            "kind": "custom",
            "format": "leaderboard",
            "starts_at": START,
            "ends_at": END,
            "timezone": "UTC",
            "audience": {"team_ids": [team.id], "sales_roles": [], "user_ids": []},
            "enrolment": "auto",
            "rules": rule,
            "missions": [],
            "rewards": [],
        }
        challenge = create_challenge(session, spec, admin, now=START - timedelta(days=1))
        launch_challenge(session, challenge.id, admin, now=START - timedelta(days=1))
    session.commit()


def _ingest_rate(url: str, challenges: bool, *, game: bool = True) -> float:
    with tempfile.TemporaryDirectory() as folder:
        engine = _engine(url, Path(folder))
        with Session(engine) as session:
            admin, reps, team = _org(session)
            if challenges:
                _live_challenges(session, admin, team)
            events = _events(reps)
            begin = time.perf_counter()
            for start in range(0, len(events), BATCH):
                batch = events[start : start + BATCH]
                if game:
                    record_sales_events(session, batch, source="bench", now=END)
                else:
                    ingest_events(session, batch, source="bench", now=END)
                session.commit()
            elapsed = time.perf_counter() - begin
        engine.dispose()
    return len(events) / elapsed


def _baseline_rate(url: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        engine = _engine(url, Path(folder))
        with Session(engine) as session:
            _, reps, _ = _org(session)
            ids = {r.email: r.id for r in reps}
            rows = [_raw_row(e, ids, n) for n, e in enumerate(_events(reps))]
        begin = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(RawEvent), rows)
        elapsed = time.perf_counter() - begin
        engine.dispose()
    return len(rows) / elapsed


def _raw_row(event: SalesEvent, ids: dict[str, int], n: int) -> dict[str, Any]:
    # Repeated ids would break the unique key a plain insert does not check: number them.
    payload = {"id": event.id, "type": event.type, "rep": event.rep, "data": event.data}
    return {
        "idempotency_key": f"{event.id}#{n}",
        "type": event.type,
        "rep_id": ids[event.rep],
        "subject": str(event.data.get("deal_id") or event.id),
        "occurred_at": event.occurred_at,
        "received_at": END,
        "source": "bench",
        "payload": json.loads(json.dumps(payload)),
    }


def run(urls: dict[str, str]) -> list[Row]:
    rows = []
    for name, url in urls.items():
        baseline = _baseline_rate(url)
        workloads = {
            "store + mirror only (ingest_events)": (False, False),
            "no live challenge": (False, True),
            "3 live challenges": (True, True),
        }
        for label, (challenges, game) in workloads.items():
            rate = _ingest_rate(url, challenges, game=game)
            rows.append(
                Row(
                    workload=f"ingest {EVENTS} events, batches of {BATCH}, {name}, {label}",
                    measure="events per second",
                    value=rate,
                    unit="ev/s",
                    baseline="Core executemany of the raw rows",
                    baseline_value=baseline,
                    target="report",
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL URL to measure beside SQLite")
    args = parser.parse_args()
    urls = {"SQLite": "sqlite:///{folder}/ingest.db"}
    if args.url:
        urls["PostgreSQL"] = args.url
    print(json.dumps(machine(), indent=2))
    save("ingest", run(urls), {"events": EVENTS, "batch": BATCH, "reps": REPS, "seed": SEED})


if __name__ == "__main__":
    main()
