"""From POST /api/v1/events to the leaderboard frame on every connected client.

The real server (wsgi.py, in a subprocess, on a migrated SQLite file) with 1, 100 and 1,000
clients subscribed to one challenge; the baseline is a bare python-socketio server, same async
mode and web server, that emits a frame of the same size to the same clients when it gets a
POST. The clients are raw Engine.IO websocket connections (websocket-client), read by one
selector thread, so the load generator stays light; its CPU is printed beside the server's.
Events are spaced wider than the live layer's throttle window, so each one yields one frame.

    .venv/bin/python -m bench.bench_live [--clients 1,100,1000] [--events 30]
        [--queue redis://127.0.0.1:6379/0]   (then also two processes joined by Redis)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import websocket

from bench.harness import Figure, percentile, save
from tests.conftest import make_app, migrate_to_head
from tests.live.conftest import build_org, session_cookie
from tests.live_server import ROOT, free_port
from web.realtime import THROTTLE_SECONDS

GAP = THROTTLE_SECONDS + 0.15  # between events: each one leaves a quiet window behind it
FRAME_TIMEOUT = 15.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


@contextmanager
def serve(args: list[str], env: dict[str, str]) -> Iterator[Server]:
    """A server process on a free port, up when /healthz answers; stopped afterwards."""
    port = free_port()
    environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **env}
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=environment, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _text(ws: websocket.WebSocket) -> str:
    message = ws.recv()
    return message.decode() if isinstance(message, bytes) else message


@dataclass
class Clients:
    """Raw Engine.IO v4 websocket clients; one thread reads them all and stamps each frame.

    The reader runs while the others connect, so early clients answer the server's pings
    during a long ramp-up instead of being dropped for a missed pong.
    """

    sockets: list[websocket.WebSocket] = field(default_factory=list)
    frames: list[list[float]] = field(default_factory=list)
    size: int = 0
    dropped: int = 0
    pongs: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def connect(self, base: str, cookie: str, challenge_id: int, count: int) -> None:
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        for _ in range(count):
            ws = websocket.create_connection(
                url, header=[f"Cookie: {cookie}"], origin=base, timeout=30
            )
            ws.recv()  # Engine.IO open
            ws.send("40")
            assert _text(ws).startswith("40"), "the Socket.IO connect was refused"
            ws.send("420" + json.dumps(["subscribe", {"challenge_id": challenge_id}]))
            self._until_ack(ws)
            self.sockets.append(ws)
            self.frames.append([])
            self.selector.register(ws, selectors.EVENT_READ, len(self.sockets) - 1)

    @staticmethod
    def _until_ack(ws: websocket.WebSocket) -> None:
        while not _text(ws).startswith("430"):
            pass

    def read(self) -> None:
        while not self.stop.is_set():
            if not self.selector.get_map():
                time.sleep(0.01)
                continue
            for key, _ in self.selector.select(timeout=0.2):
                self._receive(key.data)

    def _receive(self, index: int) -> None:
        ws = self.sockets[index]
        try:
            message = _text(ws)
        except websocket.WebSocketException:
            self.selector.unregister(ws)
            self.dropped += 1
            return
        if message == "2":
            ws.send("3")  # Engine.IO ping → pong
            self.pongs += 1
        elif message.startswith('42["leaderboard"'):
            self.frames[index].append(time.perf_counter())
            self.size = len(message)

    def received(self) -> int:
        return min(len(f) for f in self.frames)

    def close(self) -> None:
        for ws in self.sockets:
            ws.close()


def measure(
    base: str, post: Any, cookie: str, challenge_id: int, n: int, events: int
) -> dict[str, Any]:
    """Latencies (ms) from just before each POST to each client's frame, and frames lost."""
    clients = Clients()
    reader = threading.Thread(target=clients.read, daemon=True)
    reader.start()
    clients.connect(base, cookie, challenge_id, n)
    time.sleep(GAP)
    for f in clients.frames:
        f.clear()
    sent: list[float] = []
    answered: list[float] = []
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    for number in range(events):
        sent.append(time.perf_counter())
        post(number)
        answered.append((time.perf_counter() - sent[-1]) * 1000)
        deadline = time.monotonic() + FRAME_TIMEOUT
        while clients.received() <= number and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(GAP)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    clients.stop.set()
    reader.join()
    clients.close()
    latencies = [
        (stamps[i] - sent[i]) * 1000
        for stamps in clients.frames
        for i in range(min(len(stamps), events))
    ]
    lost = sum(max(0, events - len(stamps)) for stamps in clients.frames)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return {
        "latencies": latencies,
        "lost": lost,
        "dropped": clients.dropped,
        "size": clients.size,
        "client_cpu": cpu,
        "post_ms_p50": percentile(answered, 50),
    }


@contextmanager
def pair(args: list[str], env: dict[str, str], queue: str | None) -> Iterator[list[Server]]:
    """One server, or two joined by the Redis queue (clients on the second, POSTs to the first)."""
    if queue is None:
        with serve(args, env) as server:
            yield [server]
        return
    joined = {**env, "SOCKETIO_MESSAGE_QUEUE": queue}
    with serve(args, joined) as first, serve(args, joined) as second:
        yield [first, second]


def bench_real(
    url: str, n: int, events: int, token: str, challenge_id: int, queue: str | None = None
) -> dict[str, Any]:
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "LOGIN_RATE_LIMIT": "1000 per minute"}
    with pair(["wsgi.py"], env, queue) as servers:
        poster, watched = servers[0], servers[-1]
        cookie = session_cookie(watched.base, "boss@example.test")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        run = f"{time.time_ns()}"

        def post(number: int) -> None:
            body: dict[str, Any] = {
                "id": f"bench-{run}-{number}",
                "type": "activity.logged",
                "rep": "ann@example.test",
                "occurred_at": _now(),
                "data": {"kind": "call", "outcome": "connected"},
            }
            answer = http.post(f"{poster.base}/api/v1/events", json=body, timeout=30)
            assert answer.status_code == 200

        cpu = sum(s.cpu_seconds() for s in servers)
        result = measure(watched.base, post, cookie, challenge_id, n, events)
        result["server_cpu"] = sum(s.cpu_seconds() for s in servers) - cpu
        return result


def bench_bare(n: int, events: int, size: int, queue: str | None = None) -> dict[str, Any]:
    with pair(["-m", "bench.bench_live", "--bare-server", str(size)], {}, queue) as servers:
        return _bare_run(servers, n, events)


def _bare_run(servers: list[Server], n: int, events: int) -> dict[str, Any]:
    poster, watched = servers[0], servers[-1]
    http = requests.Session()

    def post(number: int) -> None:
        assert http.post(f"{poster.base}/emit", timeout=30).status_code == 200

    cpu = sum(s.cpu_seconds() for s in servers)
    result = measure(watched.base, post, "none=1", 1, n, events)
    result["server_cpu"] = sum(s.cpu_seconds() for s in servers) - cpu
    return result


def _now() -> str:
    from kpi_engine.db import utcnow

    return utcnow().isoformat()


def bare_server(size: int) -> None:
    """The baseline: python-socketio alone, threading mode on werkzeug, as wsgi.py runs."""
    import socketio
    from werkzeug.serving import run_simple

    queue = os.environ.get("SOCKETIO_MESSAGE_QUEUE")
    manager = socketio.RedisManager(queue) if queue else None
    sio = socketio.Server(async_mode="threading", client_manager=manager)
    frame: dict[str, Any] = {"challenge_id": 1, "version": 0, "rows": [], "pad": ""}
    frame["pad"] = "x" * max(0, size - len('42["leaderboard",' + json.dumps(frame) + "]"))

    @sio.on("subscribe")
    def subscribe(sid: str, data: Any) -> dict[str, bool]:
        sio.enter_room(sid, "board")
        return {"ok": True}

    def web(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/emit":
            frame["version"] += 1
            sio.emit("leaderboard", frame, to="board")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = socketio.WSGIApp(sio, web)
    run_simple("127.0.0.1", int(os.environ["PORT"]), app, threaded=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", default="1,100,1000")
    parser.add_argument(
        "--queue", help="a Redis URL: also measure two processes joined by the message queue"
    )
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--bare-server", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server is not None:
        bare_server(args.bare_server)
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    url = f"sqlite:///{folder / 'live.db'}"
    app = make_app(url)
    migrate_to_head(app)
    org = build_org(app)
    rows = []
    for queue in (None, args.queue) if args.queue else (None,):
        for n in (int(c) for c in args.clients.split(",")):
            real = bench_real(url, n, args.events, org.token, org.challenge_id, queue)
            bare = bench_bare(n, args.events, real["size"], queue)
            rows += _rows(n, real, bare, two_processes=queue is not None)
    save(
        "live",
        rows,
        {
            "async_mode": "threading",
            "events_per_size": args.events,
            "gap_seconds": GAP,
            "db": "sqlite",
            "queue": args.queue,
        },
    )


def _rows(
    n: int, real: dict[str, Any], bare: dict[str, Any], *, two_processes: bool
) -> list[Figure]:
    where = ", two processes over Redis" if two_processes else ", one process"
    extra = {
        "frame_bytes": real["size"],
        "post_answered_ms_p50": round(real["post_ms_p50"], 1),
        "baseline_post_answered_ms_p50": round(bare["post_ms_p50"], 1),
        "lost": real["lost"],
        "baseline_lost": bare["lost"],
        "clients_dropped": real["dropped"],
        "baseline_clients_dropped": bare["dropped"],
        "server_cpu_s": round(real["server_cpu"], 2),
        "baseline_server_cpu_s": round(bare["server_cpu"], 2),
        "load_generator_cpu_s": round(real["client_cpu"], 2),
        "baseline_load_generator_cpu_s": round(bare["client_cpu"], 2),
    }
    rows = []
    for q, limit in ((50, 1.5), (99, 2.0)):
        value = percentile(real["latencies"], q)
        base = percentile(bare["latencies"], q)
        rows.append(
            Figure(
                f"POST -> leaderboard frame, {n} clients{where}",
                f"p{q} latency",
                value,
                "ms",
                "bare python-socketio emit, same clients",
                base,
                f"<= {limit}x baseline, 0 lost",
                met=value <= limit * base and real["lost"] == 0,
                extra=extra,
            )
        )
    return rows


if __name__ == "__main__":
    main()
