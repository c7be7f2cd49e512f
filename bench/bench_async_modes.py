"""gevent against threading: our real server holding N light clients and pushing them frames.

The same app, the same org on PostgreSQL (`--url`; SQLite when none is given, whose locks
block the gevent loop, so the gevent figures there are not what serve-prod gives) and the
same light Engine.IO clients (bench_live's), served twice: by `python wsgi.py` (threading,
one OS thread per connection, the dev server) and by one gunicorn gevent worker (what
`make serve-prod` runs per process). For each N: clients held (connected and never dropped),
POST → frame latency p50/p99, frames lost, the server's CPU and resident memory. The gevent
figures stand beside the threading ones measured in the same run.

    .venv/bin/python -m bench.bench_async_modes [--url postgresql+psycopg://...]
        [--clients 100,1000] [--events 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.bench_live import TICKS, measure, serve
from bench.harness import Figure, percentile, save
from tests.conftest import make_app, migrate_to_head
from tests.live.conftest import build_org, session_cookie
from web.serve_prod import gunicorn_args

# gunicorn binds to $PORT when no --bind is given, which is how bench_live's serve() passes it.
COMMANDS = {"threading": ["wsgi.py"], "gevent": gunicorn_args()}


def _tree(pid: int) -> list[int]:
    """A process and its direct children (gunicorn's arbiter and worker)."""
    return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]


def tree_rss_mib(pid: int) -> float:
    total_kib = 0
    for each in _tree(pid):
        status = Path(f"/proc/{each}/status").read_text().splitlines()
        total_kib += int(next(x for x in status if x.startswith("VmRSS")).split()[1])
    return total_kib / 1024


def tree_cpu_seconds(pid: int) -> float:
    total = 0
    for each in _tree(pid):
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def run_mode(mode: str, url: str, token: str, challenge_id: int, n: int, events: int) -> dict:
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SOCKETIO_ASYNC_MODE": mode,
    }
    with serve(COMMANDS[mode], env) as server:
        cookie = session_cookie(server.base, "boss@example.test")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        run = f"{mode}-{n}-{time.time_ns()}"

        def post(number: int) -> None:
            body: dict[str, Any] = {
                "id": f"modes-{run}-{number}",
                "type": "activity.logged",
                "rep": "ann@example.test",
                "occurred_at": _now(),
                "data": {"kind": "call", "outcome": "connected"},
            }
            answer = http.post(f"{server.base}/api/v1/events", json=body, timeout=60)
            assert answer.status_code == 200, answer.text

        cpu = tree_cpu_seconds(server.process.pid)
        result = measure(server.base, post, cookie, challenge_id, n, events)
        result["server_cpu"] = tree_cpu_seconds(server.process.pid) - cpu
        result["rss_mib"] = tree_rss_mib(server.process.pid)
        return result


def _now() -> str:
    from kpi_engine.db import utcnow

    return utcnow().isoformat()


def rows_for(n: int, gevent: dict, threading: dict) -> list[Figure]:
    extra = {
        mode: {
            "held": n - r["dropped"],
            "lost": r["lost"],
            "server_cpu_s": round(r["server_cpu"], 2),
            "load_generator_cpu_s": round(r["client_cpu"], 2),
            "rss_mib": round(r["rss_mib"], 1),
        }
        for mode, r in (("gevent", gevent), ("threading", threading))
    }
    rows = [
        Figure(
            f"async mode: {n} clients held, POST -> frame",
            f"p{q} latency (gevent)",
            percentile(gevent["latencies"], q),
            "ms",
            "the same server under threading",
            percentile(threading["latencies"], q),
            "gevent <= threading",
            met=percentile(gevent["latencies"], q) <= percentile(threading["latencies"], q),
            extra=extra,
        )
        for q in (50, 99)
    ]
    rows.append(
        Figure(
            f"async mode: {n} clients held",
            "server RSS MiB (gevent)",
            gevent["rss_mib"],
            "MiB",
            "the same server under threading",
            threading["rss_mib"],
            "gevent <= threading",
            met=gevent["rss_mib"] <= threading["rss_mib"],
            extra=extra,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", default="100,1000")
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--url", help="a PostgreSQL database to fill (default: a SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-modes-')) / 'modes.db'}"
    app = make_app(url)
    migrate_to_head(app)
    org = build_org(app)
    rows: list[Figure] = []
    for n in (int(c) for c in args.clients.split(",")):
        results = {
            mode: run_mode(mode, url, org.token, org.challenge_id, n, args.events)
            for mode in ("gevent", "threading")
        }
        rows += rows_for(n, results["gevent"], results["threading"])
    info = {"async_modes": "gevent vs threading", "events": args.events, "db": url.split(":")[0]}
    save("async_modes", rows, info)


if __name__ == "__main__":
    main()
