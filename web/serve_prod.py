"""`python -m web.serve_prod`: several single-worker gunicorn processes, one port each.

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
    """The environment with async_mode pinned to gevent; refuses to run without the engines."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"serve-prod needs {', '.join(missing)} (see docs/deployment.md)")
    return {**os.environ, "SOCKETIO_ASYNC_MODE": "gevent"}


def start(processes: int, host: str, base_port: int) -> list[subprocess.Popen[bytes]]:
    env = production_env()
    return [
        subprocess.Popen(gunicorn_command(host, base_port + i), env=env)  # noqa: S603
        for i in range(processes)
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
    args = parser.parse_args(argv)
    children = start(args.processes, args.host, args.base_port)
    urls = ", ".join(f"http://{args.host}:{args.base_port + i}" for i in range(args.processes))
    print(f"serving on {urls} (gevent, one worker each)", flush=True)
    return supervise(children)


if __name__ == "__main__":
    sys.exit(main())
