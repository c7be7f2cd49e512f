"""Reading a leaderboard while ingestion runs: top 50 + around me on a 10,000-participant board
whose ledger holds 1,000,000 rows (`--scale full`; quick holds 100,000).

Another process records activity events through the game engine into the same challenge, batch
after batch, committing each, for as long as the reads are measured. Baselines, measured in
the same run under the same ingestion, alternating with the reads:
- the same rows by one indexed SQL statement on the materialised standings (top 50 UNION ALL
  the keyset reads around the viewer, the viewer's points and time given);
- what materialising avoids: SUM(points) GROUP BY rep + RANK() over the challenge's ledger.

    .venv/bin/python -m bench.bench_board [--scale quick|full] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import count
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select, text, update
from sqlalchemy.orm import Session

from bench.bench_engine import NOW, START, _challenge, _engine, _users
from bench.harness import Figure, median_seconds, percentile, scaled_main
from gameplay.boards.leaderboards import around_me, top_rows
from gameplay.core.models import Challenge, LedgerEntry, Participant
from gameplay.core.standings import recompute_ranks
from gameplay.scoring.engine import record_sales_events
from kpi_engine.db import configure_sqlite, read_only
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import SalesEvent

PARTICIPANTS = 10_000
LEDGER = {"quick": 100_000, "full": 1_000_000}
READS = 300
INGEST_BATCH = 20
_keys = count()

SAME_ROWS = """
SELECT * FROM (SELECT p.id, p.user_id, p.points, p.rank, u.name FROM participant p
  JOIN "user" u ON u.id = p.user_id WHERE p.challenge_id = :c
  ORDER BY p.points DESC, p.reached_at, p.user_id LIMIT 50) AS top
UNION ALL
SELECT * FROM (SELECT p.id, p.user_id, p.points, p.rank, u.name FROM participant p
  JOIN "user" u ON u.id = p.user_id WHERE p.challenge_id = :c AND p.points > :points
  ORDER BY p.points, p.reached_at DESC, p.user_id DESC LIMIT 5) AS ahead
UNION ALL
SELECT * FROM (SELECT p.id, p.user_id, p.points, p.rank, u.name FROM participant p
  JOIN "user" u ON u.id = p.user_id WHERE p.challenge_id = :c AND p.points <= :points
  ORDER BY p.points DESC, p.reached_at, p.user_id LIMIT 6) AS mine_and_behind
"""
SUM_AND_RANK = """
SELECT user_id, total, RANK() OVER (ORDER BY total DESC) FROM (
  SELECT user_id, SUM(points) AS total FROM ledger_entry WHERE challenge_id = :c
  GROUP BY user_id) AS totals
"""


def fill_ledger(session: Session, challenge: Challenge, users: list[int], rows: int) -> None:
    """`rows` ledger entries spread over the participants; standings set to their sums."""
    rng = random.Random(11)
    totals = dict.fromkeys(users, 0)
    chunk: list[dict[str, object]] = []
    for n in range(rows):
        user_id, points = users[n % len(users)], rng.choice((5, 10, 10, 20))
        totals[user_id] += points
        chunk.append(
            {
                "challenge_id": challenge.id,
                "user_id": user_id,
                "points": points,
                "kind": "rule",
                "reason": "bench",
                "occurred_at": START + timedelta(seconds=n),
                "created_at": START,
            }
        )
        if len(chunk) == 20_000:
            session.execute(insert(LedgerEntry), chunk)
            chunk = []
    if chunk:
        session.execute(insert(LedgerEntry), chunk)
    ids = session.execute(
        select(Participant.user_id, Participant.id).where(Participant.challenge_id == challenge.id)
    )
    # ORM bulk UPDATE by primary key: one executemany for the whole board.
    session.execute(
        update(Participant),
        [{"id": pid, "points": totals[uid], "reached_at": START} for uid, pid in ids],
    )
    recompute_ranks(session, challenge.id)


def ingest(url: str, reps: list[str], stop: Event, done: Synchronized) -> None:
    """Record call events for the board's reps, committing each batch, until told to stop.

    Runs in a process of its own, as another server process would: in a thread of the
    reading process it would mostly measure the wait for the interpreter lock."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    rng = random.Random(5)
    with Session(engine) as session:
        while not stop.is_set():
            batch = [
                SalesEvent(
                    f"board-{next(_keys)}", "activity.logged", NOW, rng.choice(reps),
                    {"kind": "call"},
                )
                for _ in range(INGEST_BATCH)
            ]  # fmt: skip
            record_sales_events(session, batch, source="bench", now=NOW)
            session.commit()
            done.value += len(batch)


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def measure(engine: Engine, challenge_id: int, viewer: int) -> dict[str, list[float]]:
    """Reads and the same-rows baseline, alternating, each in a fresh read-only session as a
    GET request reads (web.read_requests: on SQLite DEFERRED, not behind the writer's lock)."""

    def read() -> None:
        with Session(engine) as session:
            read_only(session)
            challenge = session.get_one(Challenge, challenge_id)
            top_rows(session, challenge, viewer_id=viewer, reveal=False, limit=50)
            around_me(session, challenge, viewer_id=viewer, reveal=False)

    def same_rows() -> None:
        with Session(engine) as session:
            read_only(session)
            mine = session.execute(
                select(Participant.points).where(
                    Participant.challenge_id == challenge_id, Participant.user_id == viewer
                )
            ).scalar_one()
            session.execute(text(SAME_ROWS), {"c": challenge_id, "points": mine}).all()

    times: dict[str, list[float]] = {"read": [], "same_rows": []}
    for _ in range(READS):
        times["read"].append(timed(read))
        times["same_rows"].append(timed(same_rows))
    return times


def run(url: str | None, scale: str) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        engine = _engine(url, Path(folder))
        with Session(engine) as session:
            users = _users(session, PARTICIPANTS)
            challenge = _challenge(session, users, random.Random(3))
            fill_ledger(session, challenge, users, LEDGER[scale])
            session.commit()
            challenge_id = challenge.id
            emails = list(session.scalars(select(User.email).where(User.id.in_(users[:200]))))
        viewer = users[len(users) // 2]
        spawn = multiprocessing.get_context("spawn")
        stop, done = spawn.Event(), spawn.Value("i", 0)
        writer = spawn.Process(
            target=ingest,
            args=(engine.url.render_as_string(hide_password=False), emails, stop, done),
        )
        writer.start()
        deadline = time.monotonic() + 120
        while done.value == 0:  # the writer is up and committing
            if not writer.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the ingesting process did not start committing")
            time.sleep(0.1)
        started = time.perf_counter()
        times = measure(engine, challenge_id, viewer)

        def recompute() -> None:
            with Session(engine) as session:
                session.execute(text(SUM_AND_RANK), {"c": challenge_id}).all()

        full = median_seconds(recompute, runs=3) * 1000
        stop.set()
        writer.join()
        rate = done.value / (time.perf_counter() - started)
        dialect = engine.dialect.name
    workload = (
        f"leaderboard read, top 50 + around me, {PARTICIPANTS:,} participants, "
        f"{LEDGER[scale]:,}-row ledger, while ingestion runs ({dialect})"
    )
    extra = {"ingested_events_per_s": round(rate, 1), "reads": READS}
    rows = []
    for q in (50, 99):
        read, same = percentile(times["read"], q), percentile(times["same_rows"], q)
        rows.append(
            Figure(workload, f"p{q}", read, "ms", "the same rows by one indexed SQL statement",
                same, "<= 3x", met=read <= 3 * same, extra=extra)
        )  # fmt: skip
    read = percentile(times["read"], 50)
    rows.append(
        Figure(workload, "p50", read, "ms", "full SUM + RANK over the ledger (median of 3)",
            full, ">= 100x faster", met=full >= 100 * read, extra=extra)
    )  # fmt: skip
    return rows


def main() -> None:
    scaled_main("board", __doc__, LEDGER, run)


if __name__ == "__main__":
    main()
