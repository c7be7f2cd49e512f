"""Single-event POSTs from 8 concurrent senders, a 200-event burst into one challenge, and then,
on a board of BOARD participants, one sender's POST latency and a rep's warm top-10 read.

One server process (the app as `python wsgi.py` runs it, threading, on a migrated SQLite file or
the database --url names) with two extra routes, each the least work for the same answer: a
minimal Flask view that inserts one row and commits, the baseline for POST /api/v1/events, and
one that runs the top-10 SELECT (names joined) and answers it as JSON, the baseline for GET
/api/v1/challenges/<id>/leaderboard?limit=10. Each request of ours is timed right after its
baseline's, so both see the same load. Then 200 events posted as fast as 8 senders can into
the challenge 10 light clients watch: frames per client against one frame per event (the naive
design).

    .venv/bin/python -m bench.bench_post [--events 400] [--burst 200] [--reads 500] [--url URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from bench.bench_live import Clients, serve
from bench.harness import Figure, percentile, save
from tests.conftest import make_app, migrate_to_head
from tests.live.conftest import build_org, session_cookie

SENDERS = 8
WATCHERS = 10
BOARD = 1000  # participants on the board of the latency and read rows
WARMUP = 20
TOP10 = """
SELECT p.user_id, u.name, p.points, p.rank, p.team_id
FROM participant p JOIN "user" u ON u.id = p.user_id
WHERE p.challenge_id = :challenge_id
ORDER BY p.points DESC, p.reached_at, p.user_id
LIMIT 10
"""


def minimal_server() -> None:
    """The app plus POST /bench/minimal (insert one row, commit, answer) and GET
    /bench/top10/<id> (one SELECT of the top 10, as JSON)."""
    from flask import Blueprint, jsonify
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text

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

    @bp.get("/bench/top10/<int:challenge_id>")
    def top10(challenge_id: int) -> Any:
        rows = db.session.execute(text(TOP10), {"challenge_id": challenge_id})
        return jsonify([dict(row._mapping) for row in rows])

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


def post_rows(base: str, token: str, events: int, db_name: str) -> list[Figure]:
    auth = {"Authorization": f"Bearer {token}"}
    run = time.time_ns()
    hammer(f"{base}/bench/minimal", [{}] * 20, {})  # warm-up, discarded
    base_rate, base_times = hammer(f"{base}/bench/minimal", [{}] * events, {})
    bodies = [_call(f"post-{run}-{n}") for n in range(events)]
    rate, times = hammer(f"{base}/api/v1/events", bodies, auth)
    workload = f"single-event POST, {SENDERS} concurrent senders, {events} events ({db_name})"
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


def add_board(url: str, challenge_id: int, size: int) -> str:
    """Put `size` more reps with points on the challenge's board; a token of Ann, who reads."""
    import random

    from sqlalchemy import insert, select, update

    from gameplay.boards.leaderboards import competition_ranks
    from gameplay.core.models import Challenge, Participant
    from kpi_engine.db import utcnow
    from kpi_engine.org.models import User
    from web.auth import issue_token
    from web.extensions import db

    app, draw, now = make_app(url), random.Random(21), utcnow()
    with app.app_context():
        s = db.session()
        ann = s.scalars(select(User).where(User.email == "ann@example.test")).one()
        users = [
            {"name": f"Rep {n}", "email": f"rep{n}@bench.test", "app_role": "rep",
             "sales_role": "AE", "team_id": ann.team_id, "active": True, "session_version": 0}
            for n in range(size)
        ]  # fmt: skip
        ids = s.scalars(insert(User).returning(User.id), users).all()
        s.execute(insert(Participant), [
            {"challenge_id": challenge_id, "user_id": i, "team_id": ann.team_id,
             "sales_role": "AE", "joined_at": now, "points": draw.randrange(0, 500) * 10,
             "reached_at": now - timedelta(seconds=draw.randrange(86400)), "baseline": 0}
            for i in ids
        ])  # fmt: skip
        board = s.execute(
            select(Participant.id, Participant.points)
            .where(Participant.challenge_id == challenge_id)
            .order_by(Participant.points.desc())
        ).all()
        ranks = competition_ranks([float(points) for _, points in board])
        s.execute(update(Participant), [
            {"id": pid, "rank": rank} for (pid, _), rank in zip(board, ranks, strict=True)
        ])  # fmt: skip
        challenge = s.get(Challenge, challenge_id)
        assert challenge is not None
        challenge.version = (challenge.version or 0) + 1
        token = issue_token(ann)
        s.commit()
        db.engine.dispose()
    return token


def _ms(http: requests.Session, method: str, url: str, **kwargs: Any) -> float:
    start = time.perf_counter()
    answer = http.request(method, url, timeout=60, **kwargs)
    assert answer.status_code in (200, 304), answer.text
    return (time.perf_counter() - start) * 1000


def paired(ours: Any, bare: Any, count: int) -> tuple[list[float], list[float]]:
    """Time `bare` then `ours`, `count` times after WARMUP discarded pairs: (ours, bare) ms."""
    mine, baseline = [], []
    for n in range(count + WARMUP):
        b, o = bare(n), ours(n)
        if n >= WARMUP:
            mine.append(o)
            baseline.append(b)
    return mine, baseline


def latency_rows(
    base: str, token: str, reader: str, challenge_id: int, events: int, reads: int, db_name: str
) -> list[Figure]:
    """One sender's POST of one event, and a rep's warm top-10 read (200, then 304)."""
    http, run = requests.Session(), time.time_ns()
    post, events_url = {"Authorization": f"Bearer {token}"}, f"{base}/api/v1/events"
    ours, bare = paired(
        lambda n: _ms(http, "POST", events_url, json=_call(f"one-{run}-{n}"), headers=post),
        lambda n: _ms(http, "POST", f"{base}/bench/minimal", json={}),
        events,
    )
    workload = f"single-event POST, one sender, {BOARD}-participant board ({db_name})"
    rows = _pair_rows(workload, ours, bare, "minimal insert+commit view, same server", 3.0)
    board = f"{base}/api/v1/challenges/{challenge_id}/leaderboard?limit=10"
    read = {"Authorization": f"Bearer {reader}"}
    minimal = f"{base}/bench/top10/{challenge_id}"
    ours, bare = paired(
        lambda n: _ms(http, "GET", board, headers=read),
        lambda n: _ms(http, "GET", minimal),
        reads,
    )
    workload = f"warm top-10 read by a rep (token), {BOARD}-participant board ({db_name})"
    rows += _pair_rows(workload, ours, bare, "one top-10 SELECT as JSON, same server", 1.5)
    tag = http.get(board, headers=read, timeout=60).headers["ETag"]
    conditional = {**read, "If-None-Match": tag}
    ours, bare = paired(
        lambda n: _ms(http, "GET", board, headers=conditional),
        lambda n: _ms(http, "GET", minimal),
        reads,
    )
    workload = f"conditional top-10 read (304), {BOARD}-participant board ({db_name})"
    return rows + _pair_rows(workload, ours, bare, "one top-10 SELECT as JSON, same server", None)


def _pair_rows(
    workload: str, ours: list[float], bare: list[float], baseline: str, most: float | None
) -> list[Figure]:
    p50, base50 = percentile(ours, 50), percentile(bare, 50)
    target = f"p50 <= {most:g}x baseline" if most else "report"
    return [
        Figure(workload, "p50 latency", p50, "ms", baseline, base50, target,
            met=None if most is None else p50 <= most * base50),
        Figure(workload, "p99 latency", percentile(ours, 99), "ms", baseline,
            percentile(bare, 99), "report"),
    ]  # fmt: skip


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
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        minimal_server()
        return
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-post-')) / 'post.db'}"
    db_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    migrate_to_head(make_app(url))
    org = build_org(make_app(url))
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "LOGIN_RATE_LIMIT": "1000 per minute"}
    with serve(["-m", "bench.bench_post", "--server"], env) as server:
        rows = post_rows(server.base, org.token, args.events, db_name)
        rows.append(burst_row(server.base, org.token, org.challenge_id, args.burst))
        reader = add_board(url, org.challenge_id, BOARD)
        rows += latency_rows(
            server.base, org.token, reader, org.challenge_id, args.events, args.reads, db_name
        )
    info = {"senders": SENDERS, "events": args.events, "burst": args.burst, "reads": args.reads}
    save("post" if db_name == "SQLite" else "post_postgresql", rows, {**info, "board": BOARD})


if __name__ == "__main__":
    main()
