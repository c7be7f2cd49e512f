"""KPI engine at scale: 1,000,000 deals and 5,000,000 activities (fixed seed), on SQLite and
PostgreSQL. Measures the org level-1 scorecard and a rep scorecard (time, peak Python heap),
beside two baselines measured in the same run: the same aggregates in plain SQL, and loading all
rows into pandas first.

    .venv/bin/python -m bench.bench_kpis                     # full size, both databases
    .venv/bin/python -m bench.bench_kpis --scale 0.02        # a quick run
    .venv/bin/python -m bench.bench_kpis --backend sqlite

PostgreSQL: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/helper_c).
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, create_engine, func, make_url, select, text
from sqlalchemy.orm import Session

from bench.harness import Row, machine, median_seconds, peak_memory_mib, save
from kpi_engine import kpi_models  # noqa: F401  (registers the KPI tables)
from kpi_engine.db import Base, configure_sqlite
from kpi_engine.frames import Frames, Scope, load_activities, load_deals
from kpi_engine.kpis import KpiDefinition, definition, level_one
from kpi_engine.models import Activity, Deal, Team, User
from kpi_engine.periods import Period, parse_period
from kpi_engine.scorecards import measure_all, role_for, role_kpis, scorecard

DEALS, ACTIVITIES, REPS, TEAMS = 1_000_000, 5_000_000, 500, 50
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN_DAYS = 730
PERIOD = "2026-Q3"
NOW = datetime(2026, 9, 20, tzinfo=UTC)
SEGMENTS = ["retail", "finance", "medical", "software", "telecom", "energy", "media", "services"]
PRODUCTS = ["GTX Basic", "GTX Plus", "GTX Pro", "MG Special", "MG Advanced", "GTK 500"]
KINDS, OUTCOMES = (
    ["call", "email", "meeting", "demo", "social"],
    ["none", "connected", "replied", "meeting_booked"],
)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/helper_c"


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    seconds = rng.integers(0, SPAN_DAYS * 86400, n)
    start = np.datetime64(END.replace(tzinfo=None), "us") - np.timedelta64(SPAN_DAYS, "D")
    return start + seconds.astype("timedelta64[s]")


def deal_frame(rng: np.random.Generator, n: int, rep_ids: np.ndarray) -> pd.DataFrame:
    created = _times(rng, n)
    status = rng.choice(np.array(["open", "won", "lost"]), n, p=[0.2, 0.45, 0.35])
    cycle = (rng.gamma(2.0, 22.0, n) * 86400).astype("timedelta64[s]")
    closed = np.where(status == "open", np.datetime64("NaT"), created + cycle)
    engaged = np.where(
        rng.random(n) < 0.8,
        created + (rng.random(n) * 5 * 86400).astype("timedelta64[s]"),
        np.datetime64("NaT"),
    )
    stage = np.where(status == "won", "Won", np.where(status == "lost", "Lost", "Engaging"))
    return pd.DataFrame(
        {
            "crm_id": [f"D{i:08d}" for i in range(n)],
            "owner_id": rng.choice(rep_ids, n),
            "account": [f"Account {a}" for a in rng.integers(0, 20000, n)],
            "product": rng.choice(PRODUCTS, n),
            "segment": rng.choice(SEGMENTS, n),
            "source": "bench",
            "amount": np.round(rng.lognormal(7.5, 1.0, n), 2),
            "currency": "USD",
            "stage": stage,
            "status": status,
            "created_at": created,
            "engaged_at": engaged,
            "closed_at": closed,
            "updated_at": np.where(status == "open", created, closed),
        }
    )


def activity_frame(rng: np.random.Generator, n: int, rep_ids: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "crm_id": [f"A{i:09d}" for i in range(n)],
            "rep_id": rng.choice(rep_ids, n),
            "kind": rng.choice(KINDS, n, p=[0.5, 0.3, 0.1, 0.05, 0.05]),
            "outcome": rng.choice(OUTCOMES, n, p=[0.5, 0.25, 0.15, 0.1]),
            "occurred_at": _times(rng, n),
        }
    )


def _people(session: Session) -> np.ndarray:
    teams = [Team(name=f"Team {t}", region=f"Region {t % 10}") for t in range(TEAMS)]
    session.add_all(teams)
    session.flush()
    reps = [
        User(
            email=f"rep{i}@bench.test",
            name=f"Rep {i}",
            app_role="rep",
            sales_role="AE",
            team_id=teams[i % TEAMS].id,
        )
        for i in range(REPS)
    ]
    session.add_all(reps)
    session.commit()
    return np.array([r.id for r in reps])


def _sqlite_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as SQLite stores UTCDateTime: naive UTC text with a space, None for NaT."""
    out = frame.astype(object)
    for column in frame.columns:
        if frame[column].dtype.kind == "M":
            text_ = np.datetime_as_string(frame[column].to_numpy(), unit="us")
            out[column] = [None if t == "NaT" else t.replace("T", " ") for t in text_]
    return list(out.itertuples(index=False, name=None))


def _bulk_insert(engine: Engine, table: str, frame: pd.DataFrame) -> None:
    """SQLite: executemany on the driver connection; PostgreSQL: COPY. Both in chunks."""
    columns = ", ".join(frame.columns)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for start in range(0, len(frame), 500_000):
            chunk = frame.iloc[start : start + 500_000]
            if engine.dialect.name == "sqlite":
                marks = ", ".join("?" * len(frame.columns))
                raw.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    _sqlite_rows(chunk),
                )
                continue
            buffer = io.StringIO()
            chunk.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S+00")
            with raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as cp:
                cp.write(buffer.getvalue())


def _existing(engine: Engine, scale: float) -> int | None:
    """A rep id of data generated earlier at this scale, if the database holds it."""
    try:
        with Session(engine) as session:
            deals = session.scalar(select(func.count()).select_from(Deal))
            rep_id = session.scalar(select(func.min(User.id)).where(User.app_role == "rep"))
    except Exception:  # noqa: BLE001 (no schema yet)
        return None
    return rep_id if deals == int(DEALS * scale) else None


def build(engine: Engine, scale: float, seed: int, reuse: bool) -> tuple[int, float]:
    """A fresh schema filled with generated data; returns a rep id and the seconds it took.
    With `reuse`, data of the same scale already in the database is kept."""
    started = time.perf_counter()
    kept = _existing(engine, scale) if reuse else None
    if kept is not None:
        return kept, 0.0
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rng = np.random.default_rng(seed)
    with Session(engine) as session:
        rep_ids = _people(session)
    _bulk_insert(engine, "deal", deal_frame(rng, int(DEALS * scale), rep_ids))
    _bulk_insert(engine, "activity", activity_frame(rng, int(ACTIVITIES * scale), rep_ids))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return int(rep_ids[0]), time.perf_counter() - started


def card_kpis(session: Session, scope: Scope) -> list[KpiDefinition]:
    """Level 1 for the org, the rep's role scorecard for a rep."""
    if scope.kind == "org":
        return level_one()
    return [definition(k) for k in role_kpis(session, role_for(session, scope))]


def engine_card(session: Session, scope: Scope, period: Period) -> Any:
    keys = [k.key for k in card_kpis(session, scope)]
    return scorecard(session, scope, period, now=NOW, keys=keys)


def _days(session: Session) -> Any:
    began = func.coalesce(Deal.engaged_at, Deal.created_at)
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(Deal.closed_at) - func.julianday(began)
    return func.extract("epoch", Deal.closed_at - began) / 86400


def sql_card(session: Session, scope: Scope, period: Period) -> list[Any]:
    """The deal and activity aggregates of the scorecard, in SQL, for the same three periods."""
    results = []
    for p in (period, period.previous(), period.same_last_year()):
        closed = (Deal.closed_at >= p.start) & (Deal.closed_at < p.end)
        won, created = (
            closed & (Deal.status == "won"),
            (Deal.created_at >= p.start) & (Deal.created_at < p.end),
        )
        deals = select(
            func.sum(case((won, Deal.amount))),
            func.count(case((closed, 1))),
            func.count(case((won, 1))),
            func.avg(case((won, _days(session)))),
            func.count(case((created, 1))),
            func.count(case((created & (Deal.status == "won"), 1))),
        ).where(Deal.created_at < p.end, Deal.closed_at.is_(None) | (Deal.closed_at >= p.start))
        acts = select(func.count(func.distinct(Activity.rep_id))).where(
            Activity.occurred_at >= p.start, Activity.occurred_at < p.end
        )
        if scope.kind == "rep":
            deals = deals.where(Deal.owner_id == scope.ref_id)
            acts = acts.where(Activity.rep_id == scope.ref_id)
        results.append((session.execute(deals).one(), session.scalar(acts)))
    return results


def load_all_card(session: Session, scope: Scope, period: Period) -> Any:
    """The same formulas, but every row of the scope loaded into pandas first and filtered
    there: what the engine avoids by pushing filters down to SQL."""
    early, late = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    deals, acts = (
        load_deals(session, scope, early, late),
        load_activities(session, scope, early, late),
    )
    kpis = card_kpis(session, scope)
    out = []
    for p in (period, period.previous(), period.same_last_year()):
        frames = Frames(session, scope, p, {}, NOW)
        alive = (deals["created_at"] < p.end) & (
            deals["closed_at"].isna() | (deals["closed_at"] >= p.start)
        )
        frames.__dict__["deals"] = deals[alive]
        frames.__dict__["activities"] = acts[
            (acts["occurred_at"] >= p.start) & (acts["occurred_at"] < p.end)
        ]
        out.append(measure_all(frames, kpis))
    return out


def measure(name: str, run: Callable[[], object], runs: int) -> tuple[float, float]:
    seconds = median_seconds(run, runs=runs, warmup=1 if runs > 1 else 0)
    return seconds, peak_memory_mib(run)


def bench_backend(url: str, scale: float, seed: int, runs: int, reuse: bool) -> list[Row]:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    rep_id, built = build(engine, scale, seed, reuse)
    print(
        f"{engine.dialect.name}: generated {int(DEALS * scale):,} deals and "
        f"{int(ACTIVITIES * scale):,} activities in {built:.1f} s"
    )
    period, rows = parse_period(PERIOD), []
    for scope in (Scope("org"), Scope("rep", str(rep_id))):
        with Session(engine) as session:

            def run(f: Callable[..., Any]) -> Callable[[], object]:
                return lambda: f(session, scope, period)  # noqa: B023

            got = {
                n: measure(n, run(f), runs)
                for n, f in (
                    ("engine", engine_card),
                    ("sql", sql_card),
                    ("load_all", load_all_card),
                )
            }
        workload = f"{engine.dialect.name} {scope.label} scorecard ({scale:g}x)"
        for baseline in ("sql", "load_all"):
            label = "plain SQL aggregates" if baseline == "sql" else "all rows into pandas first"
            rows.append(
                Row(
                    workload,
                    "seconds",
                    got["engine"][0],
                    "s",
                    label,
                    got[baseline][0],
                    "engine < load-all; near SQL",
                )
            )
            rows.append(
                Row(
                    workload,
                    "peak MiB",
                    got["engine"][1],
                    "MiB",
                    label,
                    got[baseline][1],
                    "engine < load-all",
                )
            )
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M deals, 5M activities")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (median)")
    parser.add_argument("--reuse", action="store_true", help="keep data of the same scale")
    args = parser.parse_args()
    urls = []
    if args.backend in ("sqlite", "both"):
        urls.append("sqlite:////tmp/bench_kpis.db")
    if args.backend in ("postgresql", "both"):
        urls.append(os.environ.get("BENCH_PG_URL", PG_URL))
    print(machine())
    for url in urls:
        rows = bench_backend(url, args.scale, args.seed, args.runs, args.reuse)
        name = f"bench_kpis_{make_url(url).get_backend_name()}"
        save(name, rows, {"scale": args.scale, "seed": args.seed, "period": PERIOD})


if __name__ == "__main__":
    main()
