"""`python -m web.serve_prod`: several single-worker gunicorn processes, one port each, and
JOB_WORKERS (default 1) import-job workers (`flask --app wsgi jobs worker`) on the Redis queue.

Flask-SocketIO keeps each client's session in the memory of the process that accepted it, so
a process runs exactly one worker and a reverse proxy with sticky sessions spreads the clients
over the ports (docs/deployment.md). The processes reach each other's clients through the
Redis message queue. Each worker is a gevent worker: gunicorn monkey-patches the standard
library before it imports the app, so psycopg 3 (>= 3.1.14) sees the patched socket module and
waits for PostgreSQL cooperatively instead of blocking the loop.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

# gevent-websocket's worker answers the WebSocket upgrade itself; python-engineio's gevent
# driver uses it whenever the package is installed.
WORKER_CLASS = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
REQUIRED = ("DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE")
WORKER_CONNECTIONS = 10_000


def gunicorn_args(app: str = "wsgi:serving()") -> list[str]:
    """`python` arguments for one process: one gevent worker serving `app`."""
    return [
        "-m",
        "gunicorn",
        "--worker-class",
        WORKER_CLASS,
        "--workers",
        "1",
        # gunicorn's default of 1,000 counts every held WebSocket: the 1,001st client, or a
        # POST arriving while 1,000 phones watch a board, would wait in the accept queue.
        "--worker-connections",
        os.environ.get("WORKER_CONNECTIONS", str(WORKER_CONNECTIONS)),
        "--graceful-timeout",
        "10",
        # Every process would share gunicorn's one default control-socket path; none needs it.
        "--no-control-socket",
        app,
    ]


def gunicorn_command(host: str, port: int) -> list[str]:
    """One process: one gevent worker on its own port, serving the app with its
    boards' relay loop and heartbeat (wsgi.serving)."""
    return [sys.executable, *gunicorn_args(), "--bind", f"{host}:{port}"]


def production_env() -> dict[str, str]:
    """The environment with async_mode pinned to gevent and import jobs on the Redis queue
    (JOBS_REDIS_URL, by default the message queue's Redis); refuses to run without the
    engines."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"serve-prod needs {', '.join(missing)} (see docs/deployment.md)")
    jobs = os.environ.get("JOBS_REDIS_URL") or os.environ["SOCKETIO_MESSAGE_QUEUE"]
    return {**os.environ, "SOCKETIO_ASYNC_MODE": "gevent", "JOBS_REDIS_URL": jobs}


def worker_command() -> list[str]:
    """One import-job worker: `flask --app wsgi jobs worker` (docs/ingest.md)."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]


def start(
    processes: int, host: str, base_port: int, workers: int = 1
) -> list[subprocess.Popen[bytes]]:
    env = production_env()
    web = [
        subprocess.Popen(gunicorn_command(host, base_port + i), env=env)  # noqa: S603
        for i in range(processes)
    ]
    # A worker runs jobs in plain threads: it serves no Socket.IO client, it only publishes.
    plain = {**env, "SOCKETIO_ASYNC_MODE": "threading"}
    return web + [
        subprocess.Popen(worker_command(), env=plain)  # noqa: S603
        for _ in range(workers)
    ]


def supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a child exits or we are told to stop; then stop every child."""
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: stopping.append(number))
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.terminate()
    return max(child.wait() for child in children)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--processes", type=int, default=int(os.environ.get("PROCESSES", "2")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("BASE_PORT", "5001")))
    parser.add_argument("--job-workers", type=int, default=int(os.environ.get("JOB_WORKERS", "1")))
    args = parser.parse_args(argv)
    children = start(args.processes, args.host, args.base_port, args.job_workers)
    urls = ", ".join(f"http://{args.host}:{args.base_port + i}" for i in range(args.processes))
    print(
        f"serving on {urls} (gevent, one worker each); {args.job_workers} import-job worker(s)",
        flush=True,
    )
    return supervise(children)


if __name__ == "__main__":
    sys.exit(main())
