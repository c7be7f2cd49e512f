"""KPI engine at scale: 1,000,000 deals and 5,000,000 activities (fixed seed), on SQLite and
PostgreSQL. Measures the org level-1 scorecard and a rep scorecard (time, peak memory) beside
two baselines measured in the same run: the same aggregates in plain SQL, and loading all rows
into pandas first (the design the engine avoids).

    .venv/bin/python -m bench.bench_kpis                     # full size, both databases
    .venv/bin/python -m bench.bench_kpis --scale 0.01        # a quick run
    .venv/bin/python -m bench.bench_kpis --backend sqlite

Generated data is kept between runs (bench/kpi_data.py): SQLite files under BENCH_CACHE_DIR
(default: <tmp>/salesquest-bench), PostgreSQL databases of their own on the server of
BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres); the database
named in that URL is never written.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, create_engine, func, make_url, select
from sqlalchemy.orm import Session

from bench.harness import Figure, machine, peak_memory_mib, peak_rss_mib, save
from bench.kpi_data import ACTIVITIES, DEALS, postgres_database, sqlite_database
from kpi_engine.db import configure_sqlite
from kpi_engine.kpis.registry import KpiDefinition, definition, level_one
from kpi_engine.kpis.scorecards import Scorecard, measure_all, role_for, role_kpis, scorecard
from kpi_engine.periods import Period, parse_period
from kpi_engine.sales.dataframes import Frames, Scope, load_activities, load_deals
from kpi_engine.sales.models import Activity, Deal

PERIOD = "2026-Q3"
NOW = datetime(2026, 9, 20, tzinfo=UTC)
REP_ID = 1
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CACHE = Path(os.environ.get("BENCH_CACHE_DIR", Path(tempfile.gettempdir()) / "salesquest-bench"))
TIME_TARGET, MEMORY_TARGET_MIB = 2.0, 1024.0


def card_kpis(session: Session, scope: Scope) -> list[KpiDefinition]:
    """Level 1 for the org, the rep's role scorecard for a rep."""
    if scope.kind == "org":
        return level_one()
    return [definition(k) for k in role_kpis(session, role_for(session, scope))]


def engine_card(session: Session, scope: Scope, period: Period) -> Scorecard:
    keys = [k.key for k in card_kpis(session, scope)]
    return scorecard(session, scope, period, now=NOW, keys=keys)


def _days(session: Session) -> Any:
    began = func.coalesce(Deal.engaged_on, Deal.created_on)
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(Deal.closed_on) - func.julianday(began)
    return Deal.closed_on - began


def _median(session: Session, value: Any, where: ColumnElement[bool]) -> float | None:
    """The median in portable SQL: the middle row (or the mean of the middle two) by rank."""
    ranked = (
        select(
            value.label("x"),
            func.row_number().over(order_by=value).label("rn"),
            func.count().over().label("n"),
        )
        .where(where)
        .subquery()
    )
    middle = (ranked.c.rn * 2 >= ranked.c.n) & (ranked.c.rn * 2 <= ranked.c.n + 2)
    found = session.scalar(select(func.avg(ranked.c.x)).where(middle))
    return None if found is None else float(found)


def sql_card(session: Session, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """The card's deal and activity aggregates in SQL, medians included, for the same three
    periods: one query per aggregate kind and period, over the deals closed or created in it
    (every aggregate's, as the card reads them)."""
    keys = {k.key for k in card_kpis(session, scope)}
    mine = Deal.owner_id == scope.ref_id if scope.kind == "rep" else None
    results = []
    for p in (period, period.previous(), period.same_last_year()):
        closed = (Deal.closed_on >= p.first_day) & (Deal.closed_on <= p.last_day)
        won = closed & (Deal.status == "won")
        created = (Deal.created_on >= p.first_day) & (Deal.created_on <= p.last_day)
        query = select(
            func.sum(case((won, Deal.amount))),
            func.count(case((closed & Deal.status.in_(("won", "lost")), 1))),
            func.count(case((won, 1))),
            func.avg(case((won, Deal.amount))),
            func.avg(case((won, _days(session)))),
            func.count(case((created, 1))),
            func.count(case((created & (Deal.status == "won"), 1))),
        ).where(created | closed)
        won_here = won if mine is None else won & mine
        row = session.execute(query if mine is None else query.where(mine)).one()
        got: dict[str, Any] = dict(
            zip(
                ("revenue", "closed", "won", "mean_amount", "mean_days", "created", "created_won"),
                row,
                strict=True,
            )
        )
        got["median_days"] = _median(session, _days(session), won_here)
        if "avg_deal_size" in keys:
            got["median_amount"] = _median(session, Deal.amount, won_here)
        if "tool_adoption" in keys:
            active = select(func.count(func.distinct(Activity.rep_id))).where(
                Activity.occurred_at >= p.start, Activity.occurred_at < p.end
            )
            got["active_reps"] = session.scalar(active)
        results.append(got)
    return results


def load_all_card(session: Session, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """The same formulas, but every row of the scope loaded into pandas first and filtered
    there: what the engine avoids by pushing filters down to SQL."""
    early, late = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    deals, acts = (
        load_deals(session, scope, early.date(), late.date()),
        load_activities(session, scope, early, late),
    )
    kpis = card_kpis(session, scope)
    out = []
    for p in (period, period.previous(), period.same_last_year()):
        frames = Frames(session, scope, p, {}, NOW)
        alive = (deals["created_on"] <= pd.Timestamp(p.last_day)) & (
            deals["closed_on"].isna() | (deals["closed_on"] >= pd.Timestamp(p.first_day))
        )
        frames.__dict__["deals"] = deals[alive]
        frames.__dict__["activities"] = acts[
            (acts["occurred_at"] >= p.start) & (acts["occurred_at"] < p.end)
        ]
        out.append(measure_all(frames, kpis))
    return out


def expected(sql: list[dict[str, Any]], reps: int) -> dict[str, list[float | None]]:
    """The card's KPI values for the three periods from the SQL aggregates."""

    def share(a: Any, b: Any) -> float | None:
        return float(a) / float(b) if a is not None and b else None

    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    values: dict[str, list[float | None]] = {
        "revenue_won": [number(s["revenue"] or 0) if s["closed"] else None for s in sql],
        "win_rate": [share(s["won"], s["closed"]) for s in sql],
        "pipeline_conversion": [share(s["created_won"], s["created"]) for s in sql],
        "sales_cycle_days": [number(s["mean_days"]) for s in sql],
        "avg_deal_size": [number(s["mean_amount"]) for s in sql],
        "tool_adoption": [share(s.get("active_reps"), reps) for s in sql],
    }
    values["sales_cycle_days.median"] = [sql[0]["median_days"]]
    values["avg_deal_size.median"] = [sql[0].get("median_amount")]
    return values


def differences(card: Scorecard, sql: list[dict[str, Any]], reps: int) -> list[str]:
    """Where the engine and the SQL baseline disagree: the baseline must compute the same
    numbers for the comparison to mean anything (KPIs needing inputs have none here)."""
    want, found = expected(sql, reps), []
    for row in card.rows:
        if row.kpi.key not in want:
            continue
        got = [row.measure.value, row.previous, row.last_year]
        pairs = list(zip(got, want[row.kpi.key], strict=True))
        if f"{row.kpi.key}.median" in want:
            pairs.append((row.measure.extra.get("median"), want[f"{row.kpi.key}.median"][0]))
        if not all(_same(a, b) for a, b in pairs):
            found.append(f"{row.kpi.key}: engine {pairs}")
    return found


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9)


VARIANTS: dict[str, Callable[[Session, Scope, Period], Any]] = {
    "engine": engine_card,
    "sql": sql_card,
    "load_all": load_all_card,
}


def measure(session: Session, scope: Scope, rounds: int) -> dict[str, dict[str, Any]]:
    """Per variant: the median seconds of `rounds` timed calls after a discarded warm-up (none
    for a single round), taken in turns (engine, SQL, load-all, engine, ...) so a change of
    load on the shared machine hits every variant alike, and the last result; then the peak
    heap (tracemalloc, which slows the call) from a call of its own."""
    period = parse_period(PERIOD)
    runs = {name: partial(f, session, scope, period) for name, f in VARIANTS.items()}
    for run in runs.values() if rounds > 1 else ():
        run()
    got: dict[str, dict[str, Any]] = {name: {"times": []} for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            got[name]["result"] = run()
            got[name]["times"].append(time.perf_counter() - started)
    for name, run in runs.items():
        got[name]["seconds"] = statistics.median(got[name]["times"])
        got[name]["heap"] = peak_memory_mib(run)
    return got


def fresh_rss(url: str, scope: Scope, variant: str) -> float:
    """The peak RSS of one call in a fresh process: in this one, the memory an earlier call
    leaves to the allocator would raise the next one's figure."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return float(pool.apply(_rss_of, (url, scope, variant)))


def _rss_of(url: str, scope: Scope, variant: str) -> float:
    """The process's peak RSS during one call, the interpreter and its imports included."""
    engine = _engine(url)
    with Session(engine) as session:
        rss = peak_rss_mib(partial(VARIANTS[variant], session, scope, parse_period(PERIOD)))
    engine.dispose()
    return rss


def bench_backend(url: str, scale: float, rounds: int) -> list[Figure]:
    engine, rows = _engine(url), []
    for scope in (Scope("org"), Scope("rep", str(REP_ID))):
        with Session(engine) as session:
            got = measure(session, scope, rounds)
            reps = len(Frames(session, scope, parse_period(PERIOD), {}, NOW).reps)
        for name in VARIANTS:
            got[name]["rss"] = fresh_rss(url, scope, name)
        wrong = differences(got["engine"]["result"], got["sql"]["result"], reps)
        if wrong:
            raise SystemExit("the SQL baseline disagrees with the engine:\n" + "\n".join(wrong))
        rows += _rows(f"{engine.dialect.name} {scope.label} scorecard ({scale:g}x)", got)
    engine.dispose()
    return rows


def profile(url: str) -> None:
    """Where the engine's time goes: a pyinstrument profile of each scorecard (after a warm-up)."""
    from pyinstrument import Profiler

    engine = _engine(url)
    with Session(engine) as session:
        for scope in (Scope("org"), Scope("rep", str(REP_ID))):
            engine_card(session, scope, parse_period(PERIOD))
            with Profiler() as profiler:
                engine_card(session, scope, parse_period(PERIOD))
            print(profiler.output_text(unicode=False, color=False))
    engine.dispose()


def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def _rows(workload: str, got: dict[str, dict[str, Any]]) -> list[Figure]:
    me, sql, everything = got["engine"], got["sql"], got["load_all"]
    within = f"<= {TIME_TARGET:g}x plain SQL"
    under = f"< {MEMORY_TARGET_MIB:g} MiB"
    return [
        Figure(workload, "seconds", me["seconds"], "s", "plain SQL aggregates", sql["seconds"],
            within, me["seconds"] <= TIME_TARGET * sql["seconds"]),
        Figure(workload, "seconds", me["seconds"], "s", "all rows into pandas first",
            everything["seconds"], "report"),
        Figure(workload, "peak heap MiB", me["heap"], "MiB", "all rows into pandas first",
            everything["heap"], under, me["heap"] < MEMORY_TARGET_MIB,
            extra={"plain SQL": sql["heap"]}),
        Figure(workload, "peak RSS MiB", me["rss"], "MiB", "all rows into pandas first",
            everything["rss"], under, me["rss"] < MEMORY_TARGET_MIB,
            extra={"plain SQL": sql["rss"]}),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M deals, 5M activities")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (median)")
    parser.add_argument("--profile", action="store_true", help="profile the engine instead")
    args = parser.parse_args()
    print(machine())
    urls = {}
    if args.backend in ("sqlite", "both"):
        urls["sqlite"] = sqlite_database(CACHE, args.scale, args.seed)
    if args.backend in ("postgresql", "both"):
        server = os.environ.get("BENCH_PG_URL", PG_SERVER)
        urls["postgresql"] = postgres_database(server, args.scale, args.seed)
    info = {
        "scale": args.scale,
        "deals": int(DEALS * args.scale),
        "activities": int(ACTIVITIES * args.scale),
        "seed": args.seed,
        "period": PERIOD,
        "runs": args.runs,
    }
    for backend, url in urls.items():
        if args.profile:
            profile(url)
            continue
        rows = bench_backend(url, args.scale, args.runs)
        # The size keeps a file of its own, so a quick run does not overwrite it.
        name = f"bench_kpis_{backend}" + ("_full" if args.scale == 1 else "")
        save(name, rows, info | {"database": make_url(url).database})


if __name__ == "__main__":
    main()
