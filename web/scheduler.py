"""Time-driven work: finalising the challenges that ended, published like any other change.

`flask scheduled` and `flask finalize` run it once (cron, a systemd timer); the default
single-process server (`python wsgi.py`) also runs it every SCHEDULER_INTERVAL seconds in a
Socket.IO background task, so a challenge that ends while nobody watches still tells its
winners within seconds. Reads never finalise: a GET returns what is.

Two runs at once (an overlapping cron, a timer beside the server's task, two hosts) do no
double work: on PostgreSQL the writing transaction first takes a transaction-level advisory
lock, so the second run waits and then finds nothing left to do; on SQLite every transaction
begins with BEGIN IMMEDIATE (kpi_engine.db.configure_sqlite), which serialises writers the
same way; and finalisation itself is idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy import text

from gameplay.core.changes import Changes
from gameplay.manage.finalization import due_challenge_ids, finalize_due
from kpi_engine.db import read_only, utcnow
from web.board_relay import relay_tick
from web.extensions import db, socketio
from web.realtime import commit_and_publish

# Any constant all runs agree on; it names this job among the database's advisory locks.
ADVISORY_LOCK_KEY = 0x5A1E5_0001
# How often the server's own finalizer looks for ended challenges, unless configured.
DEFAULT_INTERVAL_SECONDS = 5.0


def take_scheduler_lock() -> None:
    """Hold the job's lock until this transaction ends (PostgreSQL; SQLite needs none)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def finalize_ended(now: datetime) -> tuple[list[int], Changes]:
    """Finalise every ended challenge in the current transaction (the caller publishes)."""
    take_scheduler_lock()
    return finalize_due(db.session(), now=now)


def finalize_ended_and_publish(app: Flask) -> list[int]:
    """One scheduler tick: look (read-only, so an idle tick never takes SQLite's write lock),
    and only when something ended, finalise it, commit, and publish its Changes."""
    with app.app_context():
        read_only(db.session())
        if not due_challenge_ids(db.session(), now=utcnow()):
            return []
    with app.app_context():
        finalized, changes = finalize_ended(utcnow())
        commit_and_publish(changes)
        return finalized


def start_finalizer(app: Flask, interval: float) -> bool:
    """Run the finalizer every `interval` seconds in the server process; 0 or less: off."""
    return run_every(app, interval, finalize_ended_and_publish, "scheduled finalisation")


_relaying: set[int] = set()
_relaying_lock = threading.Lock()


def start_live_relay(app: Flask) -> bool:
    """Start this process's board relay loop and heartbeat (web/board_relay.py) once per app,
    every LIVE_HEARTBEAT_SECONDS; 0 or less: off."""
    with _relaying_lock:
        if id(app) in _relaying:
            return False
        _relaying.add(id(app))
    return run_every(app, float(app.config["LIVE_HEARTBEAT_SECONDS"]), relay_tick, "live relay")


def run_every(
    app: Flask,
    interval: float,
    tick: Callable[[Flask], object],
    what: str,
    stop: threading.Event | None = None,
) -> bool:
    """Run `tick(app)` every `interval` seconds in a background task of the server, until
    `stop` is set (never, for the server); 0 or less: off."""
    if interval <= 0:
        return False
    socketio.start_background_task(
        _tick_forever, app, interval, tick, what, stop or threading.Event()
    )
    return True


def _tick_forever(
    app: Flask, interval: float, tick: Callable[[Flask], object], what: str, stop: threading.Event
) -> None:
    while not stop.is_set():
        socketio.sleep(interval)
        try:
            tick(app)
        except Exception:
            # Whatever went wrong (a database that is away, a bug), the task lives on and the
            # next tick tries again: the transaction was rolled back with its app context, and
            # each job is idempotent (finalisation; an unfinished post's claim runs out).
            app.logger.exception("%s failed; retrying next tick", what)
