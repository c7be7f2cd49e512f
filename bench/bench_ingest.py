"""Batch ingestion of sales events, in events per second, on SQLite and PostgreSQL.

The events (fixed seed) are what a CRM sends for a sales org: 60 % activities (calls, emails,
meetings, demos; some booking a meeting), 40 % deal events (each deal created, moved through
stages, then won or lost or left open; a few won deals reopened), delivered roughly in time
order with some late ones, and 5 % of them delivered a second time. They go through the one
ingest path (`gameplay.scoring.engine.record_sales_events`, then commit) in batches of 500: with no
live challenge, and with N live challenges (a tenth of them org-wide, the others for one team
each, with caps, gaps, per-amount points and missions), so a rep plays in a few of them; and
through `kpi_engine.sales.ingest.ingest_events` alone (store + mirror, no game), to show which layer
the time goes to.

Baselines, measured in the same run: SQLAlchemy Core `executemany` of the same raw rows into
raw_event in one transaction, and on PostgreSQL COPY of the same rows — the floor of storing
the events, without idempotency checks, mirror or game.

Scales (`--scale`, default $BENCH_SCALE or quick): `full` is the issue's workload (200,000
events, 1,000 reps, 0 and 50 live challenges; one timed run of each, hours of work on 2 cores);
`quick` the same shape, small, the median of 3 runs. Baselines: the median of 3 after a warm-up.

    .venv/bin/python -m bench.bench_ingest [--scale quick|full] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, insert
from sqlalchemy.orm import Session

from bench.harness import Figure, machine, save
from gameplay.core import models as game_models  # noqa: F401  (registers the game tables)
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.scoring.engine import record_sales_events
from kpi_engine.db import Base, configure_sqlite
from kpi_engine.org.models import Team, User
from kpi_engine.sales.ingest import SalesEvent, ingest_events
from kpi_engine.sales.models import RawEvent

SEED = 20261122
TEAM_SIZE = 20
DUPLICATES = 0.05
START = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = 28
END = START + timedelta(days=DAYS)
RAW_COLUMNS = ("idempotency_key", "type", "rep_id", "subject", "occurred_at", "received_at")


@dataclass(frozen=True)
class Scale:
    events: int
    reps: int
    live: tuple[int, ...]  # the live-challenge counts measured besides "store + mirror only"
    runs: int  # timed runs of each ingest workload (the median counts)
    batch: int = 500


SCALES = {
    "quick": Scale(events=2_000, reps=100, live=(0, 10), runs=3),
    "full": Scale(events=200_000, reps=1_000, live=(0, 50), runs=1),
}


def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return engine


def _org(session: Session, scale: Scale) -> tuple[User, list[User], list[Team]]:
    admin = User(email="admin@bench.test", name="Admin", app_role="admin")
    teams = [Team(name=f"Team {n}", manager=admin) for n in range(scale.reps // TEAM_SIZE)]
    reps = [
        User(
            email=f"rep{n}@bench.test",
            name=f"Rep {n}",
            sales_role="AE",
            team=teams[n % len(teams)],
        )
        for n in range(scale.reps)
    ]
    session.add_all([admin, *teams, *reps])
    session.commit()
    return admin, reps, teams


def sales_events(scale: Scale, emails: list[str]) -> list[SalesEvent]:
    """The delivered stream: distinct events in rough time order, some late, some repeated."""
    rng = random.Random(SEED)
    unique = scale.events - int(scale.events * DUPLICATES)
    made: list[SalesEvent] = []
    deal = 0
    while len(made) < unique * 0.4:
        made.extend(_deal_events(rng, f"D{deal}", rng.choice(emails)))
        deal += 1
    while len(made) < unique:
        made.append(_activity(rng, f"a{len(made)}", rng.choice(emails)))
    made = made[:unique]
    # Most events arrive when they happen, a tenth up to a day late; a repeat up to 3 days later.
    arrival = {e.id: _late(rng, e.occurred_at, 24 if rng.random() < 0.1 else 0) for e in made}
    repeats = [(_late(rng, arrival[e.id], 72), e) for e in rng.sample(made, scale.events - unique)]
    stream = sorted([(arrival[e.id], e) for e in made] + repeats, key=lambda pair: pair[0])
    return [e for _, e in stream]


def _late(rng: random.Random, at: datetime, hours: float) -> datetime:
    return at + timedelta(hours=hours * rng.random())


def _moment(rng: random.Random, after: datetime | None = None) -> datetime:
    if after is None:
        return START + timedelta(minutes=rng.randint(0, (DAYS - 7) * 24 * 60))
    return after + timedelta(minutes=rng.randint(30, 2 * 24 * 60))


def _activity(rng: random.Random, key: str, rep: str) -> SalesEvent:
    kind = rng.choice(["call", "call", "call", "email", "email", "meeting", "demo"])
    outcome = "meeting_booked" if rng.random() < 0.1 else rng.choice(["connected", "none"])
    at = START + timedelta(minutes=rng.randint(0, DAYS * 24 * 60 - 1))
    return SalesEvent(key, "activity.logged", at, rep, {"kind": kind, "outcome": outcome})


def _deal_events(rng: random.Random, deal: str, rep: str) -> list[SalesEvent]:
    """A deal's life: created, a few stage changes, then won, lost or still open."""
    at = _moment(rng)
    data = {
        "deal_id": deal,
        "amount": rng.randint(500, 20_000),
        "product": rng.choice(["GTX Basic", "GTX Pro", "MG Special"]),
        "segment": rng.choice(["SMB", "Mid-Market", "Enterprise"]),
        "account": f"Account {rng.randrange(3_000)}",
    }
    made = [SalesEvent(f"{deal}-c", "deal.created", at, rep, data)]
    for n, stage in enumerate(["Qualify", "Proposal", "Negotiation"][: rng.randint(0, 3)]):
        at = _moment(rng, at)
        made.append(SalesEvent(f"{deal}-s{n}", "deal.stage_changed", at, rep, _stage(deal, stage)))
    ending = rng.random()
    if ending < 0.7:
        at = _moment(rng, at)
        kind = "deal.won" if ending < 0.35 else "deal.lost"
        made.append(SalesEvent(f"{deal}-e", kind, at, rep, {"deal_id": deal}))
        if ending < 0.02:
            at = _moment(rng, at)
            made.append(
                SalesEvent(f"{deal}-r", "deal.stage_changed", at, rep, _stage(deal, "Negotiation"))
            )
    return made


def _stage(deal: str, stage: str) -> dict[str, Any]:
    return {"deal_id": deal, "stage": stage}


def _live_challenges(session: Session, admin: User, teams: list[Team], count: int) -> None:
    """`count` challenges: a tenth (at least one) for every team, the others for one team."""
    org_wide = max(1, count // 10)
    everyone = [t.id for t in teams]
    for n in range(count):
        audience = everyone if n < org_wide else [teams[(n - org_wide) % len(teams)].id]
        spec = {
            "name": f"Bench {n}",
            "kind": "custom",
            "format": "race" if n % 3 == 2 else "leaderboard",
            "target": 500 if n % 3 == 2 else None,
            "starts_at": START,
            "ends_at": END,
            "timezone": "Europe/Berlin" if n % 2 else "UTC",
            "audience": {"team_ids": audience, "sales_roles": [], "user_ids": []},
            "enrolment": "auto",
            "rules": RULES,
            "missions": MISSIONS if n % 2 == 0 else [],
            "rewards": [],
        }
        challenge = create_challenge(session, spec, admin, now=START - timedelta(days=1))
        launch_challenge(session, challenge.id, admin, now=START - timedelta(days=1))
    session.commit()


RULES = [
    {"fact": "activity", "activity_kind": "call", "points": 5, "daily_cap": 50},
    {"fact": "activity", "outcome": "meeting_booked", "points": 20, "min_gap_minutes": 30},
    {"fact": "deal_won", "points": 50, "points_per_amount": "0.01"},
]
MISSIONS = [
    {"name": "Book 3 meetings", "fact": "activity", "outcome": "meeting_booked", "target": 3,
     "points": 30},
    {"name": "Win 2 deals", "fact": "deal_won", "target": 2, "points": 100, "badge": "closer"},
]  # fmt: skip


def _ingest_rate(url: str, scale: Scale, challenges: int | None) -> float:
    """Events per second through the game (or through ingest_events alone when None): the
    median of `scale.runs` runs, each on a fresh database."""
    times = []
    for _ in range(scale.runs):
        engine = _engine(url)
        with Session(engine) as session:
            admin, reps, teams = _org(session, scale)
            if challenges:
                _live_challenges(session, admin, teams, challenges)
            events = sales_events(scale, [r.email for r in reps])
            begin = time.perf_counter()
            for start in range(0, len(events), scale.batch):
                batch = events[start : start + scale.batch]
                now = max(e.occurred_at for e in batch)  # the clock as the batch arrives
                if challenges is None:
                    ingest_events(session, batch, source="bench", now=now)
                else:
                    record_sales_events(session, batch, source="bench", now=now)
                session.commit()
            times.append(time.perf_counter() - begin)
        engine.dispose()
    return scale.events / statistics.median(times)


def _baseline_rate(
    url: str, scale: Scale, store: Callable[[Engine, list[dict[str, Any]]], None]
) -> float:
    """Events per second of storing the raw rows alone: median of 3 runs after a warm-up."""
    engine = _engine(url)
    with Session(engine) as session:
        _, reps, _ = _org(session, scale)
        ids = {r.email: r.id for r in reps}
        rows = [_raw_row(e, ids, n) for n, e in enumerate(sales_events(scale, list(ids)))]

    def once() -> None:
        with engine.begin() as conn:
            conn.execute(delete(RawEvent))
        begin = time.perf_counter()
        store(engine, rows)
        times.append(time.perf_counter() - begin)

    times: list[float] = []
    for _ in range(4):
        once()
    engine.dispose()
    return len(rows) / statistics.median(times[1:])


def _executemany(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(RawEvent), rows)


def _copy(engine: Engine, rows: list[dict[str, Any]]) -> None:
    columns = (*RAW_COLUMNS, "source", "payload")
    sql = f"COPY raw_event ({', '.join(columns)}) FROM STDIN"
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(
                    [*(row[c] for c in RAW_COLUMNS), row["source"], json.dumps(row["payload"])]
                )
        connection.commit()
    finally:
        connection.close()


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
        "payload": json.loads(json.dumps(payload, default=str)),
    }


def run(urls: dict[str, str], scale: Scale) -> list[Figure]:
    rows = []
    for name, url in urls.items():
        baselines = {"Core executemany of the raw rows": _baseline_rate(url, scale, _executemany)}
        if url.startswith("postgresql"):
            baselines["COPY of the raw rows"] = _baseline_rate(url, scale, _copy)
        workloads: dict[str, int | None] = {"store + mirror only (ingest_events)": None}
        workloads |= {_label(n): n for n in scale.live}
        for label, challenges in workloads.items():
            rate = _ingest_rate(url, scale, challenges)
            for baseline, value in baselines.items():
                rows.append(_row(scale, name, label, challenges, rate, baseline, value))
    return rows


def _label(challenges: int) -> str:
    return f"{challenges} live challenges" if challenges else "no live challenge"


def _row(
    scale: Scale,
    db: str,
    label: str,
    challenges: int | None,
    rate: float,
    baseline: str,
    value: float,
) -> Figure:
    """The issue's targets hold against executemany: 1/2 with no challenge, 1/4 with some."""
    share = None
    if challenges is not None and baseline.startswith("Core"):
        share = 0.25 if challenges else 0.5
    sizes = f"{scale.events:,} events, {scale.reps:,} reps, batches of {scale.batch}"
    return Figure(
        workload=f"ingest {sizes}, {db}, {label}",
        measure="events per second",
        value=rate,
        unit="ev/s",
        baseline=baseline,
        baseline_value=value,
        target=f">= {share:g} of the baseline" if share else "report",
        met=None if share is None else rate / value >= share,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", choices=sorted(SCALES), default=os.environ.get("BENCH_SCALE", "quick")
    )
    parser.add_argument("--url", help="a PostgreSQL URL to measure beside SQLite")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    print(json.dumps(machine(), indent=2))
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite": f"sqlite:///{Path(folder) / 'ingest.db'}"}
        if args.url:
            urls["PostgreSQL"] = args.url
        rows = run(urls, scale)
    save("ingest", rows, {"scale": args.scale, **asdict(scale), "seed": SEED})


if __name__ == "__main__":
    main()
