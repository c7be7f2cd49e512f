"""Rebuilding standings: from the ledger, and from the raw events, beside SUM + RANK in SQL.

An organisation of 1,000 reps in several live challenges (+points per call) is fed call events
through the game engine in deliveries of 1,000, until the ledgers hold 1,000,000 rows
(`--scale full`; quick holds 20,000). That incremental state is then checked and rebuilt:
- from the ledger (`gameplay.ops.ledger_standings`): every participant's points, times and rank
  derived from the ledger and compared with the materialised standings;
- from the raw events (`gameplay.ops.rebuild.rebuild_game`, what `flask rebuild --game-only`
  runs): every ledger entry derived again by replaying the deliveries through the rules.
Differences are counted against the incremental state. The baseline is SUM(points) GROUP BY
rep + RANK() for every challenge in plain SQL, measured in the same run.

    .venv/bin/python -m bench.bench_rebuild [--scale quick|full] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench.bench_engine import START, _engine, _users
from bench.harness import Figure, median_seconds, scaled_main
from gameplay.core.models import Challenge, LedgerEntry, Participant, ScoringRule
from gameplay.ops.ledger_standings import check_standings
from gameplay.ops.rebuild import rebuild_game
from gameplay.scoring.engine import record_sales_events
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import SalesEvent

REPS = 1_000
SIZES = {"quick": (4, 5_000), "full": (10, 100_000)}  # challenges, call events
DELIVERY = 1_000
NOW = START + timedelta(days=20)
SUM_AND_RANK = """
SELECT challenge_id, user_id, total,
       RANK() OVER (PARTITION BY challenge_id ORDER BY total DESC) FROM (
  SELECT challenge_id, user_id, SUM(points) AS total FROM ledger_entry
  GROUP BY challenge_id, user_id) AS totals
"""


def _challenges(session: Session, users: list[int], count: int) -> list[int]:
    ids = []
    for number in range(count):
        challenge = Challenge(
            name=f"Rebuild {number}", kind="custom", format="leaderboard",
            starts_at=START, ends_at=START + timedelta(days=30), timezone="UTC",
            audience={"user_ids": []}, launched_at=START, version=0, created_at=START,
        )  # fmt: skip
        challenge.rules = [
            ScoringRule(fact="activity", activity_kind="call", points=1 + number % 5)
        ]
        session.add(challenge)
        session.flush()
        session.execute(
            insert(Participant),
            [
                {"challenge_id": challenge.id, "user_id": uid, "points": 0,
                 "reached_at": START, "rank": 1, "joined_at": START, "baseline": 0}
                for uid in users
            ],
        )  # fmt: skip
        ids.append(challenge.id)
    return ids


def feed(session: Session, emails: list[str], events: int) -> float:
    """Deliveries of call events through the engine, committed one by one; events per second."""
    rng = random.Random(7)
    start = time.perf_counter()
    for first in range(0, events, DELIVERY):
        batch = [
            SalesEvent(
                f"call-{n}", "activity.logged",
                START + timedelta(seconds=rng.randrange(0, 19 * 86400)),
                rng.choice(emails), {"kind": "call"},
            )
            for n in range(first, min(first + DELIVERY, events))
        ]  # fmt: skip
        record_sales_events(session, batch, source="bench", now=NOW)
        session.commit()
    return events / (time.perf_counter() - start)


def standings(session: Session) -> dict[tuple[int, int], tuple[Any, ...]]:
    query = select(
        Participant.challenge_id, Participant.user_id, Participant.points, Participant.rank,
        Participant.reached_at, Participant.target_reached_at,
    )  # fmt: skip
    return {(row[0], row[1]): tuple(row[2:]) for row in session.execute(query)}


def run(url: str | None, scale: str) -> list[Figure]:
    count, events = SIZES[scale]
    with tempfile.TemporaryDirectory() as folder:
        engine = _engine(url, Path(folder))
        with Session(engine) as session:
            users = _users(session, REPS)
            ids = _challenges(session, users, count)
            emails = list(session.scalars(select(User.email).where(User.id.in_(users))))
            session.commit()
            rate = feed(session, emails, events)
            ledger = session.scalar(select(text("count(*)")).select_from(LedgerEntry)) or 0
            challenges = list(session.scalars(select(Challenge).where(Challenge.id.in_(ids))))
            incremental = standings(session)
            sql = median_seconds(lambda: session.execute(text(SUM_AND_RANK)).all())
            found: list[Any] = []

            def from_ledger() -> None:
                found[:] = [d for c in challenges for d in check_standings(session, c)]

            checked = median_seconds(from_ledger)
            session.commit()
            start = time.perf_counter()
            rebuild_game(session, now=NOW)
            session.commit()
            replayed = time.perf_counter() - start
            after = standings(session)
            replay_differences = sum(after[k] != v for k, v in incremental.items())
        dialect = engine.dialect.name
    workload = f"rebuild standings, {ledger:,} ledger rows, {count} challenges ({dialect})"
    extra = {"ledger_rows": ledger, "fed_events_per_s": round(rate, 1), "events": events}
    baseline = "SUM ... GROUP BY + RANK in SQL, all challenges"
    return [
        Figure(workload, "from the ledger: seconds", checked, "s", baseline, sql,
            "0 differences; <= 10x", met=not found and checked <= 10 * sql,
            notes=f"{len(found)} differences", extra=extra),
        Figure(workload, "from raw events (replay): seconds", replayed, "s", baseline, sql,
            "0 differences; <= 10x", met=replay_differences == 0 and replayed <= 10 * sql,
            notes=f"{replay_differences} differences", extra=extra),
    ]  # fmt: skip


def main() -> None:
    scaled_main("rebuild", __doc__, SIZES, run)


if __name__ == "__main__":
    main()
