"""Board news (gameplay/boards/board_news.py) becomes leaderboard frames, at least once.

Three ways a board's change reaches its watchers:

- the process that committed it relays its news after the commit (web/realtime.py's throttle
  calls `relay_boards` for the challenge), with every rep who moved since the board's last
  relayed news;
- every server process runs `relay_tick` every LIVE_HEARTBEAT_SECONDS: it relays news left
  unrelayed for longer than LIVE_RELAY_GRACE_SECONDS (its writer was killed after COMMIT, or
  its publish failed) and sends a heartbeat;
- the heartbeat tells this process's own clients, directly and not through the message queue
  (so it arrives while Redis is away), each watched board's latest relayed version; a page
  that holds an older version (a lost frame, a lost queue) asks for a snapshot.

A row is marked relayed after its frame was handed to Socket.IO, so a process dying in between
relays it again; clients drop a frame whose version they already have.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from gameplay.boards.board_news import (
    BoardUpdate,
    forget_old_news,
    mark_relayed,
    pending_updates,
    relayed_versions,
)
from kpi_engine.db import read_only, utcnow
from web.board_frames import changed_rows_frame, heartbeat_frame
from web.extensions import db, socketio

ROOM_PREFIX = "challenge:"
# Relayed news is deleted this often at most (a write: not on every tick).
FORGET_EVERY_SECONDS = 60.0
_last_forget = {"at": float("-inf")}


def challenge_room(challenge_id: int) -> str:
    return f"{ROOM_PREFIX}{challenge_id}"


def relay_boards(
    app: Flask,
    challenge_ids: Iterable[int] | None = None,
    *,
    written_before: datetime | None = None,
    also_moved: dict[int, set[int]] | None = None,
) -> set[int]:
    """Send one frame per board with unrelayed news (of these boards, written before that
    time), then mark the news relayed; returns the boards sent.

    `also_moved` adds reps who moved on a board (the throttle's own knowledge); a board there
    with no news (a change that wrote none) still gets a frame, from the version before."""
    moved = also_moved or {}
    with app.app_context():
        session, now = read_only(db.session()), utcnow()
        updates = pending_updates(
            session, challenge_ids=challenge_ids, written_before=written_before
        )
        frames = [_update_frame(update, moved, now) for update in updates]
        with_news = {update.challenge_id for update in updates}
        for challenge_id in sorted(set(moved) - with_news):
            # Only the version before is known to be covered: a page further behind re-syncs.
            frames.append(changed_rows_frame(session, challenge_id, moved[challenge_id], now=now))
    for frame in frames:
        if frame is not None:
            send_frame(frame)
    if updates:
        with app.app_context():
            news = [news_id for update in updates for news_id in update.news_ids]
            mark_relayed(db.session(), news, now=utcnow())
            db.session.commit()
    return {frame["challenge_id"] for frame in frames if frame is not None}


def _update_frame(
    update: BoardUpdate, moved: dict[int, set[int]], now: datetime
) -> dict[str, Any] | None:
    users = set(update.user_ids) | moved.get(update.challenge_id, set())
    return changed_rows_frame(
        db.session(),
        update.challenge_id,
        users,
        now=now,
        version=update.version,
        since=update.since,
    )


def send_frame(frame: dict[str, Any]) -> None:
    """Hand a board frame to Socket.IO (through the message queue when there is one)."""
    socketio.emit("leaderboard", frame, to=challenge_room(frame["challenge_id"]))


def watched_boards() -> set[int]:
    """The challenges whose room has a client connected to this process."""
    rooms = socketio.server.manager.rooms.get("/", {}) if socketio.server else {}
    return {
        int(room[len(ROOM_PREFIX) :])
        for room, members in list(rooms.items())
        if isinstance(room, str) and room.startswith(ROOM_PREFIX) and members
    }


def send_heartbeats(app: Flask) -> int:
    """Tell this process's watchers each watched board's latest relayed version."""
    watched = watched_boards()
    if not watched:
        return 0
    with app.app_context():
        read_only(db.session())
        versions = relayed_versions(db.session(), watched)
    every, now = float(app.config["LIVE_HEARTBEAT_SECONDS"]), utcnow()
    for challenge_id, version in versions.items():
        frame = heartbeat_frame({challenge_id: version}, every=every, now=now)
        # Straight to this process's clients: a heartbeat must not depend on the queue.
        socketio.emit("heartbeat", frame, to=challenge_room(challenge_id), ignore_queue=True)
    return len(versions)


def relay_tick(app: Flask) -> None:
    """Relay what was left unrelayed, forget old news, then send the heartbeats."""
    grace = timedelta(seconds=float(app.config["LIVE_RELAY_GRACE_SECONDS"]))
    relay_boards(app, written_before=utcnow() - grace)
    if time.monotonic() - _last_forget["at"] >= FORGET_EVERY_SECONDS:
        _last_forget["at"] = time.monotonic()
        with app.app_context():
            forget_old_news(db.session(), now=utcnow())
            db.session.commit()
    send_heartbeats(app)
