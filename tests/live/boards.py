"""A Socket.IO client that keeps a board the way web/static/js/live.js does, and what the
database says the board is, for the convergence tests.

The watcher drops a frame whose version it has, applies one that follows its version, and asks
for a snapshot when a frame's `since` is newer than its version (a frame went missing) or when a
heartbeat names a newer version. It never subscribes again by itself: a re-sync is a snapshot.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
import socketio
from flask import Flask
from sqlalchemy import select

from gameplay.boards.board_news import BoardNews
from gameplay.core.models import Participant
from tests.live_server import ROOT, _wait_until_up, free_port
from web.extensions import db


@dataclass
class BoardWatcher:
    """One page watching one board."""

    sio: socketio.Client
    challenge_id: int
    version: int = 0
    points: dict[int, int] = field(default_factory=dict)  # participant id -> points
    broadcasts: int = 0  # non-snapshot frames applied
    resyncs: int = 0
    heartbeats: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_frame(self, frame: dict[str, Any]) -> None:
        if frame["challenge_id"] != self.challenge_id:
            return
        with self.lock:
            if frame["snapshot"]:
                if frame["version"] >= self.version:
                    self.version = frame["version"]
                    self.points = {r["id"]: r["points"] for r in frame["rows"]}
                return
            if frame["version"] <= self.version:
                return  # already shown: at-least-once delivery sends some frames twice
            if frame["since"] > self.version:
                gap = True
            else:
                gap = False
                self.version = frame["version"]
                self.points.update({r["id"]: r["points"] for r in frame["rows"]})
                self.broadcasts += 1
        if gap:
            self.resync()

    def on_heartbeat(self, beat: dict[str, Any]) -> None:
        mine = [b for b in beat["boards"] if b["challenge_id"] == self.challenge_id]
        with self.lock:
            self.heartbeats += 1
            behind = bool(mine) and mine[0]["version"] > self.version
        if behind:
            self.resync()

    def resync(self) -> None:
        with self.lock:
            self.resyncs += 1
        # From a task of its own: a handler must not wait for an answer on its own connection.
        self.sio.start_background_task(
            self.sio.emit, "snapshot", {"challenge_id": self.challenge_id}
        )

    def wait_until(self, test: Callable[[BoardWatcher], bool], timeout: float) -> float:
        """Seconds until the test held; fails after the timeout with what the page shows."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            with self.lock:
                if test(self):
                    return time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError(f"board never matched: version {self.version}, {self.points}")


def watch(base: str, cookie: str, challenge_id: int) -> BoardWatcher:
    """Connect with the session cookie, subscribe, and wait for the snapshot."""
    sio = socketio.Client(reconnection=False)
    watcher = BoardWatcher(sio, challenge_id)
    sio.on("leaderboard", watcher.on_frame)
    sio.on("heartbeat", watcher.on_heartbeat)
    sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=5)
    answer = sio.call("subscribe", {"challenge_id": challenge_id}, timeout=5)
    assert answer == {"ok": True}, answer
    watcher.wait_until(lambda w: bool(w.points), timeout=5)
    return watcher


def database_board(app: Flask, challenge_id: int) -> dict[int, int]:
    """Participant id -> points, as the database has them now."""
    with app.app_context():
        rows = db.session.execute(
            select(Participant.id, Participant.points).where(
                Participant.challenge_id == challenge_id
            )
        ).all()
        db.session.remove()
        return dict(rows)  # type: ignore[arg-type]


def unrelayed_news(app: Flask) -> int:
    with app.app_context():
        count = len(
            db.session.scalars(select(BoardNews).where(BoardNews.relayed_at.is_(None))).all()
        )
        db.session.remove()
        return count


@contextmanager
def running_script(script: str, database_url: str, **env: str) -> Iterator[tuple[str, Any]]:
    """Start a server script from tests/ (like wsgi.py, with a fault built in) on a free port."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-test-secret",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SCHEDULER_INTERVAL": "0",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / script)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr:
            process.stderr.close()


@contextmanager
def own_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A private redis-server on this port, without persistence; stopped afterwards."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen([*command, "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
