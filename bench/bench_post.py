"""Single-event POSTs from 8 concurrent senders, and a 200-event burst into one challenge.

One server process (the app as `python wsgi.py` runs it, threading, on a migrated SQLite file)
with one extra route: a minimal Flask view that inserts one row and commits, the baseline for
POST /api/v1/events in the same server. Then 200 events posted as fast as 8 senders can into
the challenge 10 light clients watch: frames per client against one frame per event (the naive
design).

    .venv/bin/python -m bench.bench_post [--events 400] [--burst 200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.bench_live import Clients, serve
from bench.harness import Figure, percentile, save
from tests.conftest import make_app, migrate_to_head
from tests.live.conftest import build_org, session_cookie

SENDERS = 8
WATCHERS = 10


def minimal_server() -> None:
    """The app plus POST /bench/minimal: insert one row, commit, answer."""
    from flask import Blueprint
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert

    from web.app import create_app
    from web.extensions import csrf, db, socketio

    table = Table(
        "bench_minimal", MetaData(), Column("id", Integer, primary_key=True), Column("k", String)
    )
    bp = Blueprint("bench_minimal", __name__)

    @bp.post("/bench/minimal")
    def minimal() -> str:
        db.session.execute(insert(table).values(k="x"))
        db.session.commit()
        return "ok"

    app = create_app({"EVENTS_RATE_LIMIT": "1000000 per minute"})
    csrf.exempt(bp)
    app.register_blueprint(bp)
    with app.app_context():
        table.create(db.engine, checkfirst=True)
    socketio.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), allow_unsafe_werkzeug=True)


def _call(key: str) -> dict[str, Any]:
    from kpi_engine.db import utcnow

    return {
        "id": key,
        "type": "activity.logged",
        "occurred_at": utcnow().isoformat(),
        "rep": "ann@example.test",
        "data": {"kind": "call", "outcome": "connected"},
    }


def hammer(url: str, bodies: list[Any], headers: dict[str, str]) -> tuple[float, list[float]]:
    """Post every body from SENDERS threads; (requests per second, request times in ms)."""
    local = threading.local()

    def one(body: Any) -> float:
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        start = time.perf_counter()
        answer = http.post(url, json=body, headers=headers, timeout=60)
        assert answer.status_code == 200, answer.text
        return (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    with ThreadPoolExecutor(SENDERS) as pool:
        times = list(pool.map(one, bodies))
    return len(bodies) / (time.perf_counter() - start), times


def post_rows(base: str, token: str, events: int) -> list[Figure]:
    auth = {"Authorization": f"Bearer {token}"}
    run = time.time_ns()
    hammer(f"{base}/bench/minimal", [{}] * 20, {})  # warm-up, discarded
    base_rate, base_times = hammer(f"{base}/bench/minimal", [{}] * events, {})
    bodies = [_call(f"post-{run}-{n}") for n in range(events)]
    rate, times = hammer(f"{base}/api/v1/events", bodies, auth)
    workload = f"single-event POST, {SENDERS} concurrent senders, {events} events (SQLite)"
    rows = [
        Figure(workload, "events per second", rate, "ev/s",
            "minimal insert+commit view, same server", base_rate, ">= 1/3 of the baseline",
            met=rate >= base_rate / 3),
    ]  # fmt: skip
    for q in (50, 99):
        rows.append(
            Figure(workload, f"p{q} request time", percentile(times, q), "ms",
                "minimal insert+commit view, same server", percentile(base_times, q), "report")
        )  # fmt: skip
    return rows


def burst_row(base: str, token: str, challenge_id: int, burst: int) -> Figure:
    clients = Clients()
    reader = threading.Thread(target=clients.read, daemon=True)
    reader.start()
    clients.connect(base, session_cookie(base, "boss@example.test"), challenge_id, WATCHERS)
    time.sleep(1)
    for frames in clients.frames:
        frames.clear()
    run = time.time_ns()
    bodies = [_call(f"burst-{run}-{n}") for n in range(burst)]
    hammer(f"{base}/api/v1/events", bodies, {"Authorization": f"Bearer {token}"})
    time.sleep(2)  # the trailing frame of the last throttle window
    clients.stop.set()
    reader.join()
    clients.close()
    per_client = sum(len(f) for f in clients.frames) / len(clients.frames)
    return Figure(
        f"a {burst}-event burst into one challenge, {WATCHERS} clients watching",
        "frames per client", per_client, "frames", "one frame per event (naive design)",
        float(burst), "<= 1/10 of the naive count", met=per_client <= burst / 10,
        extra={"fewest": min(len(f) for f in clients.frames)},
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        minimal_server()
        return
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-post-')) / 'post.db'}"
    migrate_to_head(make_app(url))
    org = build_org(make_app(url))
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "LOGIN_RATE_LIMIT": "1000 per minute"}
    with serve(["-m", "bench.bench_post", "--server"], env) as server:
        rows = post_rows(server.base, org.token, args.events)
        rows.append(burst_row(server.base, org.token, org.challenge_id, args.burst))
    save("post", rows, {"senders": SENDERS, "events": args.events, "burst": args.burst})


if __name__ == "__main__":
    main()
