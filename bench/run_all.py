"""`make bench`: run every bench/bench_*.py at one scale, then write docs/benchmarks.md.

Each benchmark runs in its own process with a time limit, so one that fails or overruns is
reported as "not measured" with its reason instead of stopping the others. Only result files
written during this run go into the document: figures from an earlier run on another load
would not stand beside baselines measured now.

    .venv/bin/python -m bench.run_all [--scale quick|full]
        (PostgreSQL rows need BENCH_PG_URL, the two-process live rows BENCH_REDIS_URL;
        `make bench` points them at the local servers)

BENCH_PG_URL names a scratch database: its public schema is emptied before each benchmark,
because each creates its own tables and one's foreign keys would stop the next one's drops.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, machine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Step:
    name: str
    args: list[str]
    needs_postgres: bool = False


def steps(scale: str, pg_url: str | None, redis_url: str | None) -> list[Step]:
    """The benchmarks and their options at this scale (quick fits ~10 minutes on 2 cores)."""
    quick = scale == "quick"
    pg = ["--url", pg_url] if pg_url else []
    queue = ["--queue", redis_url] if redis_url else []
    return [
        Step("ingest", ["-m", "bench.bench_ingest", "--scale", scale, *pg]),
        Step("engine (SQLite)", ["-m", "bench.bench_engine"]),
        Step("engine (PostgreSQL)", ["-m", "bench.bench_engine", *pg], needs_postgres=True),
        Step("impact (SQLite)", ["-m", "bench.bench_impact"]),
        Step("impact (PostgreSQL)", ["-m", "bench.bench_impact", *pg], needs_postgres=True),
        Step(
            "kpis",
            ["-m", "bench.bench_kpis", "--backend", "both" if pg_url else "sqlite"]
            + (["--scale", "0.01", "--runs", "1"] if quick else []),
        ),
        Step("rebuild (SQLite)", ["-m", "bench.bench_rebuild", "--scale", scale]),
        Step(
            "rebuild (PostgreSQL)",
            ["-m", "bench.bench_rebuild", "--scale", scale, *pg],
            needs_postgres=True,
        ),
        Step("board (SQLite)", ["-m", "bench.bench_board", "--scale", scale]),
        Step(
            "board (PostgreSQL)",
            ["-m", "bench.bench_board", "--scale", scale, *pg],
            needs_postgres=True,
        ),
        Step(
            "live",
            ["-m", "bench.bench_live", *queue]
            + (["--clients", "1,100", "--events", "10"] if quick else []),
        ),
        Step("post", ["-m", "bench.bench_post"] + (["--events", "200"] if quick else [])),
        Step(
            "post (PostgreSQL)",
            ["-m", "bench.bench_post", *pg] + (["--events", "200"] if quick else []),
            needs_postgres=True,
        ),
        Step(
            "async modes",
            ["-m", "bench.bench_async_modes", *pg]
            + (["--clients", "100,500", "--events", "5"] if quick else []),
        ),
        Step(
            "held connections",
            ["-m", "bench.bench_held", *pg]
            + (["--clients", "1000", "--hold", "60"] if quick else []),
            needs_postgres=True,
        ),
    ]


def load() -> dict[str, Any]:
    """The machine's load averages (1, 5, 15 minutes) and its processor count, now."""
    one, five, fifteen = os.getloadavg()
    return {"load": [round(one, 2), round(five, 2), round(fifteen, 2)], "nproc": os.cpu_count()}


def run_step(step: Step, pg_url: str | None, limit: float) -> dict[str, Any]:
    """Run one benchmark; its status, seconds, the machine's load before and after it, and the
    reason when it did not finish."""
    before = load()
    outcome = _run_step(step, pg_url, limit)
    return {**outcome, "load_before": before["load"], "load_after": load()["load"]}


def _run_step(step: Step, pg_url: str | None, limit: float) -> dict[str, Any]:
    if step.needs_postgres and not pg_url:
        return {"name": step.name, "status": "skipped", "reason": "BENCH_PG_URL not set"}
    env = {**os.environ, **({"BENCH_PG_URL": pg_url} if pg_url else {})}
    if pg_url:
        empty_schema(pg_url)
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, *step.args],
            cwd=ROOT,
            env=env,
            timeout=limit,
            capture_output=True,
            text=True,
        )
    except subprocess.TimeoutExpired:
        return {"name": step.name, "status": "timeout", "reason": f"over {limit:.0f} s"}
    print(done.stdout[-4000:], flush=True)
    seconds = time.monotonic() - start
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
        return {"name": step.name, "status": "failed", "reason": reason, "seconds": seconds}
    return {"name": step.name, "status": "ok", "seconds": seconds}


def create_database(pg_url: str) -> None:
    """Create the scratch database when it does not exist yet (a fresh machine)."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(pg_url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


def empty_schema(pg_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


# The issue's table, each workload with the result files that measure it (or why none does).
ISSUE_ROWS: list[tuple[str, tuple[str, ...], str]] = [
    ("batch ingestion, events/s beside a Core executemany", ("ingest",), ""),
    ("single-event POST, 8 concurrent senders", ("post",), ""),
    ("POST -> leaderboard frame, 1/100/1,000 clients", ("live",), ""),
    ("a 200-event burst into one challenge: frames per client", ("post",), ""),
    ("leaderboard read, top 50 + around me, 10,000 participants", ("board_", "engine_"), ""),
    ("rebuild from raw events and ledger, 1,000,000 ledger rows", ("rebuild_",), ""),
    ("org level-1 scorecard and a rep scorecard", ("bench_kpis_",), ""),
    ("held connections, clients per process", ("held", "async_modes"), ""),
]


NOTES = [
    "- `quick` runs smaller sizes than the issue's table (the workload names say which); the",
    "  issue's sizes need `BENCH_SCALE=full` and hours on this machine. Full-scale figures",
    "  measured so far are in the sections below, kept from run to run.",
    "- On SQLite a writing transaction takes the write lock up front (BEGIN IMMEDIATE, so no",
    "  'database is locked' reaches a client). Reads begin DEFERRED and do not wait behind",
    "  it: GET and HEAD requests (web.read_requests) and the live layer's frames and",
    "  notification mutes; on PostgreSQL they run in READ ONLY transactions. bench_board",
    "  reads through the domain functions in a session of its own (see its docstring).",
    "- Small reads suffer most from a loaded machine (a 1 ms query waits for a core like a",
    "  1 s one): read ratios against a long baseline (SUM + RANK) move with the load.",
]


def fresh_results(since: float) -> dict[str, dict[str, Any]]:
    """The result files this run wrote, by name."""
    found = {}
    for path in sorted(RESULTS.glob("*.json")):
        if path.stat().st_mtime >= since:
            found[path.stem] = json.loads(path.read_text())
    return found


def _figure(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "reported"}[met]


def _loads(values: list[float] | None) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "-"


def document(
    results: dict[str, dict[str, Any]],
    ran: list[dict[str, Any]],
    scale: str,
    started: dict[str, Any],
) -> str:
    box = machine()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (scale `{scale}`) on {time.strftime('%Y-%m-%d %H:%M UTC')}.",
        "Every figure stands beside a baseline measured in the same run on the same machine; the",
        "ratio (figure / baseline) is the verdict. Absolute times on a shared 2-core machine move",
        "from run to run, and other work was running on this one, so read the ratios.",
        "",
        "## Machine",
        "",
        f"- cores: {box['cores']}; CPU: {box['cpu']}; memory: {box['memory_gib']} GiB",
        f"- load average (1/5/15 min) at the start: {_loads(started['load'])}, at the end: "
        f"{_loads(load()['load'])}; nproc {started['nproc']} (the load of each run is beside it "
        "below)",
        f"- Python {box['python']} on {box['platform']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in box["versions"].items()),
        "- async mode: `threading` for the dev server (`python wsgi.py`, bench_live); `gevent`",
        "  (a gunicorn worker per process) for `make serve-prod`; bench_async_modes runs both.",
        "",
        "## Runs",
        "",
        "| benchmark | status | seconds | load before / after (1 min) | note |",
        "|---|---|---|---|---|",
    ]
    for r in ran:
        loads = f"{_loads(r.get('load_before')[:1])} / {_loads(r.get('load_after')[:1])}"
        lines.append(
            f"| {r['name']} | {r['status']} | {_figure(r.get('seconds'))} | {loads} "
            f"| {r.get('reason', '')} |"
        )
    lines += [
        "",
        "## Results",
        "",
        "| workload | measure | figure | baseline | ratio | target | verdict |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for payload in results.values():
        for row in payload["rows"]:
            lines.append(
                f"| {row['workload']} | {row['measure']} | {_figure(row['value'])} {row['unit']} "
                f"| {row['baseline']}: {_figure(row['baseline_value'])} | {_figure(row['ratio'])} "
                f"| {row['target']} | {_verdict(row['met'])} |"
            )
    lines += ["", "## The issue's table", "", "| workload | covered by |", "|---|---|"]
    for workload, prefixes, reason in ISSUE_ROWS:
        names = [n for n in results if any(n.startswith(p) for p in prefixes)]
        if names:
            cover = ", ".join(f"`{n}`" for n in names)
        else:
            cover = "not measured: " + (reason or "its benchmark did not finish in this run")
        lines.append(f"| {workload} | {cover} |")
    lines += ["", "## Reading these figures", "", *NOTES]
    details = {n: p.get("info", {}) for n, p in results.items() if p.get("info")}
    lines += ["", "## Parameters", ""]
    lines += [f"- `{n}`: {json.dumps(info)}" for n, info in details.items()]
    return "\n".join(lines) + "\n"


# Full-scale runs take hours; their sections, written from their result files, stay when a
# quick run rewrites the rest of the document.
KEEP = "<!-- make bench keeps everything below this line -->"


def kept_sections() -> str:
    text = DOC.read_text() if DOC.exists() else ""
    return "\n" + text[text.index(KEEP) :] if KEEP in text else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", choices=["quick", "full"], default="quick")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_PG_URL") or None
    redis_url = os.environ.get("BENCH_REDIS_URL") or None
    if pg_url:
        create_database(pg_url)
    since, started = time.time(), load()
    limit = 600.0 if args.scale == "quick" else 7200.0
    ran = [run_step(step, pg_url, limit) for step in steps(args.scale, pg_url, redis_url)]
    results = fresh_results(since)
    DOC.write_text(document(results, ran, args.scale, started) + kept_sections())
    print_ratios(results, ran)
    print(f"wrote {DOC.relative_to(ROOT)}")


def print_ratios(results: dict[str, dict[str, Any]], ran: list[dict[str, Any]]) -> None:
    """Every row's ratio and verdict, and each run's load, at the end of the output."""
    print("\nload (1 min) before -> after each run, nproc", os.cpu_count())
    for r in ran:
        before, after = r.get("load_before") or [None], r.get("load_after") or [None]
        print(f"  {r['name']:<24} {r['status']:<8} load {before[0]} -> {after[0]}")
    print("\nratio      verdict    workload / measure")
    for payload in results.values():
        for row in payload["rows"]:
            print(
                f"{_figure(row['ratio']):<10} {_verdict(row['met']):<10} "
                f"{row['workload']} / {row['measure']} (target {row['target']})"
            )


if __name__ == "__main__":
    main()
