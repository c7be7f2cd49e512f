"""Held connections: ramp one server process to N clients and keep them, with pings, for minutes.

The real server runs as `make serve-prod` runs each process: one gunicorn gevent worker, on
PostgreSQL (SQLite's locks would block the gevent loop). Every client logs in, connects over
Engine.IO websocket and subscribes to a live challenge, as a rep's phone does. The baseline
is a bare python-socketio server in the same gunicorn gevent worker, whose clients subscribe
to a room the same way. For each: clients still held at the end (0 disconnects is the
target), the ping/pong exchanges answered, and resident memory per 1,000 clients (the
process's growth from the first to the last client). The load generator is bench_live's
light client: one selector thread answers every ping; its CPU is reported beside the
server's.

    .venv/bin/python -m bench.bench_held --url postgresql+psycopg://... [--clients 3000]
        [--hold 300]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from typing import Any

from bench.bench_async_modes import tree_cpu_seconds, tree_rss_mib
from bench.bench_live import Clients, serve
from bench.harness import Figure, machine, save
from tests.conftest import make_app, migrate_to_head
from tests.live.conftest import build_org, session_cookie
from web.serve_prod import gunicorn_args

# Short pings so a five-minute hold sees many exchanges per client, as a day on a phone would.
PING_INTERVAL, PING_TIMEOUT = "10", "10"


def bare_app() -> Any:
    """The baseline: python-socketio alone under the same gevent worker; subscribe = a room."""
    import socketio

    sio = socketio.Server(
        async_mode="gevent",
        ping_interval=float(PING_INTERVAL),
        ping_timeout=float(PING_TIMEOUT),
    )

    @sio.on("subscribe")
    def subscribe(sid: str, data: Any) -> dict[str, bool]:
        sio.enter_room(sid, "board")
        return {"ok": True}

    return socketio.WSGIApp(sio)


def hold(base: str, cookie: str, challenge_id: int, n: int, seconds: float, pid: int) -> dict:
    clients = Clients()
    reader = threading.Thread(target=clients.read, daemon=True)
    reader.start()
    rss_start = tree_rss_mib(pid)
    cpu_start = tree_cpu_seconds(pid)
    load_start = resource.getrusage(resource.RUSAGE_SELF)
    ramp_start = time.monotonic()
    connected = 0
    for _ in range(n):
        try:
            clients.connect(base, cookie, challenge_id, 1)
            connected += 1
        except Exception:
            break
    ramp = time.monotonic() - ramp_start
    rss_ramped = tree_rss_mib(pid)
    time.sleep(seconds)
    load_end = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "asked": n,
        "connected": connected,
        "held": connected - clients.dropped,
        "dropped": clients.dropped,
        "pongs": clients.pongs,
        "ramp_s": round(ramp, 1),
        "rss_start_mib": round(rss_start, 1),
        "rss_end_mib": round(tree_rss_mib(pid), 1),
        "mib_per_1000": (rss_ramped - rss_start) / max(connected, 1) * 1000,
        "server_cpu_s": round(tree_cpu_seconds(pid) - cpu_start, 1),
        "load_generator_cpu_s": round(
            load_end.ru_utime + load_end.ru_stime - load_start.ru_utime - load_start.ru_stime, 1
        ),
    }
    clients.stop.set()
    reader.join()
    clients.close()
    return result


def run(url: str, n: int, seconds: float) -> list[Figure]:
    app = make_app(url)
    migrate_to_head(app)
    org = build_org(app)
    pings = {"SOCKETIO_PING_INTERVAL": PING_INTERVAL, "SOCKETIO_PING_TIMEOUT": PING_TIMEOUT}
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SOCKETIO_ASYNC_MODE": "gevent",
        **pings,
    }
    with serve(gunicorn_args(), env) as server:
        cookie = session_cookie(server.base, "boss@example.test")
        real = hold(server.base, cookie, org.challenge_id, n, seconds, server.process.pid)
    with serve(gunicorn_args("bench.bench_held:bare_app()"), {}) as server:
        bare = hold(server.base, "none=1", 1, n, seconds, server.process.pid)
    workload = (
        f"held connections, ramp to {n:,} clients, pings every {PING_INTERVAL} s for {seconds:g} s"
    )
    extra = {"real": real, "bare": bare}
    return [
        Figure(workload, "clients held, 0 disconnects", real["held"], "clients",
            "bare python-socketio server (gevent)", bare["held"], ">= 3,000 per process",
            met=real["held"] >= 3000 and real["dropped"] == 0, extra=extra),
        Figure(workload, "RSS MiB per 1,000 clients", real["mib_per_1000"], "MiB",
            "bare python-socketio server (gevent)", bare["mib_per_1000"], "report",
            extra=extra),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="a PostgreSQL database to fill")
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--hold", type=float, default=300.0, help="seconds")
    args = parser.parse_args()
    print(machine())
    rows = run(args.url, args.clients, args.hold)
    save("held", rows, {"clients": args.clients, "hold_seconds": args.hold, "async_mode": "gevent"})


if __name__ == "__main__":
    main()
