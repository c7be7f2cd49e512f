"""The game engine's two hot paths, each beside a baseline measured in the same run.

1. Applying one sales event when 50 challenges are live with 1,000 participants each (the
   rep takes part in all 50): `record_sales_events` for one call. Baselines: storing the same
   event with `ingest_events` alone (what the game adds on top), and one bare UPDATE of the
   rep's 50 standing rows (the least any engine must write).
2. Reading a 10,000-participant leaderboard: top 50 plus the 11 rows around a mid-table rep.
   Baseline: the bare indexed SQL for the top 50 on the standings table.

    .venv/bin/python -m bench.bench_engine [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select, text, update
from sqlalchemy.orm import Session

from bench.harness import Figure, machine, median_seconds, save
from gameplay.boards.leaderboards import around_me, top_rows
from gameplay.core import models  # noqa: F401  (registers the game tables)
from gameplay.core.models import Challenge, Participant, ScoringRule
from gameplay.core.standings import recompute_ranks
from gameplay.scoring.engine import record_sales_events
from kpi_engine.db import Base, configure_sqlite
from kpi_engine.org.models import Team, User
from kpi_engine.sales.ingest import SalesEvent, ingest_events

LIVE, FEW, PER_CHALLENGE, BIG_BOARD = 50, 5, 1_000, 10_000
START = datetime(2026, 3, 2, tzinfo=UTC)
NOW = START + timedelta(days=3)
_keys = count()


def _engine(url: str | None, folder: Path) -> Engine:
    engine = create_engine(url or f"sqlite:///{folder / 'engine.db'}")
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return engine


def _users(session: Session, n: int) -> list[int]:
    team = Team(name="Bench")
    session.add(team)
    session.flush()
    rows = [
        {
            "email": f"rep{i}@bench.test",
            "name": f"Rep {i}",
            "app_role": "rep",
            "sales_role": "AE",
            "team_id": team.id,
            "active": True,
            "created_at": START,
        }
        for i in range(n)
    ]
    session.execute(insert(User), rows)
    return list(session.scalars(select(User.id).order_by(User.id)))


def _challenge(session: Session, users: list[int], rng: random.Random) -> Challenge:
    """A live challenge whose participants already hold a spread of points."""
    challenge = Challenge(
        name="Bench",
        kind="custom",
        format="leaderboard",
        starts_at=START,
        ends_at=START + timedelta(days=30),
        timezone="UTC",
        audience={"user_ids": []},
        launched_at=START,
        version=0,
        created_at=START,
    )
    challenge.rules = [ScoringRule(fact="activity", activity_kind="call", points=10)]
    session.add(challenge)
    session.flush()
    rows = [
        {
            "challenge_id": challenge.id,
            "user_id": uid,
            "points": rng.randrange(0, 2000),
            "reached_at": START,
            "rank": 1,
            "joined_at": START,
            "baseline": 0,
        }
        for uid in users
    ]
    session.execute(insert(Participant), rows)
    recompute_ranks(session, challenge.id)
    return challenge


def _call(email: str) -> SalesEvent:
    return SalesEvent(f"bench-{next(_keys)}", "activity.logged", NOW, email, {"kind": "call"})


def _apply_one(session: Session, rep: User) -> float:
    call = lambda: record_sales_events(session, [_call(rep.email)], source="bench", now=NOW)  # noqa: E731
    return median_seconds(call, runs=15)


def event_rows(session: Session, users: list[int], rng: random.Random) -> list[Figure]:
    """The same event with FEW then LIVE challenges: the cost should grow with them, linearly."""
    rep = session.get(User, users[len(users) // 2])
    assert rep is not None
    for _ in range(FEW):
        _challenge(session, users, rng)
    few = _apply_one(session, rep)
    for _ in range(LIVE - FEW):
        _challenge(session, users, rng)
    many = _apply_one(session, rep)
    ids = list(session.scalars(select(Challenge.id)))
    bump = (
        update(Participant)
        .where(Participant.user_id == rep.id, Participant.challenge_id.in_(ids))
        .values(points=Participant.points + 10)
    )
    bare = median_seconds(lambda: session.execute(bump), runs=15)
    alone = median_seconds(lambda: ingest_events(session, [_call(rep.email)], now=NOW), runs=15)
    workload = f"apply one event, {LIVE} live challenges x {PER_CHALLENGE} participants"
    linear = f"ratio < {1.5 * LIVE / FEW:g} (linear in challenges)"
    return [
        Figure(
            workload,
            "median wall time",
            many * 1000,
            "ms",
            f"same event, {FEW} live challenges",
            few * 1000,
            linear,
            met=many / few < 1.5 * LIVE / FEW,
        ),
        Figure(
            workload,
            "median wall time",
            many * 1000,
            "ms",
            "ingest_events alone (no game)",
            alone * 1000,
            "(context)",
        ),
        Figure(
            workload,
            "median wall time",
            many * 1000,
            "ms",
            "bare UPDATE of the rep's 50 standings",
            bare * 1000,
            "(context)",
        ),
    ]


def board_rows(session: Session, challenge: Challenge, users: list[int]) -> list[Figure]:
    viewer = users[len(users) // 2]

    def read() -> None:
        top_rows(session, challenge, viewer_id=viewer, reveal=False, limit=50)
        around_me(session, challenge, viewer_id=viewer, reveal=False)

    top50 = text(
        "SELECT user_id, points, rank FROM participant WHERE challenge_id = :c "
        "ORDER BY points DESC, reached_at, user_id LIMIT 50"
    )
    bare = median_seconds(lambda: session.execute(top50, {"c": challenge.id}).all(), runs=15)
    seconds = median_seconds(read, runs=15)
    workload = f"read a {BIG_BOARD:,}-participant board: top 50 + around me"
    return [
        Figure(
            workload,
            "median wall time",
            seconds * 1000,
            "ms",
            "bare indexed SQL top 50",
            bare * 1000,
            "(context)",
            notes="adds names, anonymity and 4 keyset reads around the viewer",
        )
    ]


def run(url: str | None) -> list[Figure]:
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as folder, Session(_engine(url, Path(folder))) as session:
        users = _users(session, BIG_BOARD)
        session.commit()
        rows = event_rows(session, users[:PER_CHALLENGE], rng)
        session.rollback()
        big = _challenge(session, users, rng)
        session.commit()
        rows += board_rows(session, big, users)
        dialect = session.get_bind().dialect.name
    for row in rows:
        row.workload += f" ({dialect})"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    print(machine())
    dialect = "postgresql" if args.url and args.url.startswith("postgresql") else "sqlite"
    save(f"engine_{dialect}", run(args.url))


if __name__ == "__main__":
    main()
