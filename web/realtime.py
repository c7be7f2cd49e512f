"""The live layer: committed Changes become Socket.IO frames.

`commit_and_publish` commits first and publishes after, so a rolled-back transaction pushes
nothing. Leaderboard frames are throttled per challenge: the first change of a quiet challenge
goes out at once (low latency for one event), later changes inside the window are coalesced
into one trailing frame, and the window doubles (up to LONGEST_WINDOW_SECONDS) while changes
keep coming, so a burst costs each subscriber a handful of frames however long it lasts.
With SOCKETIO_MESSAGE_QUEUE set, every emit goes through the queue, so a CLI command or another
process reaches the clients connected to any server process.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from gameplay.boards.board_news import write_board_news
from gameplay.channels.board_moments import board_moments
from gameplay.channels.outbox import queue_channel_posts
from gameplay.channels.pushes import queue_pushes
from gameplay.channels.wall_moments import wall_moments
from gameplay.core.changes import Changes, Moment, Notification
from gameplay.scoring.profiles import muted_kinds_of
from kpi_engine.db import read_only, utcnow
from kpi_engine.sales.folds import FoldedDeal
from web.board_relay import challenge_room as challenge_room  # where callers look for it
from web.board_relay import relay_boards
from web.extensions import db, socketio
from web.formats import words, written
from web.i18n import in_locale, locales_of, note_text, org_locale, push_words
from web.wall_links import walls_in_force

# At most one leaderboard frame per challenge in this window (seconds); see the module doc.
THROTTLE_SECONDS = 0.25
# A busy challenge's window grows to this: a board a rep watches still moves every 2 s.
LONGEST_WINDOW_SECONDS = 2.0


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def wall_room(wall_id: int) -> str:
    """The wall screens of one challenge's links (never a rep's connection)."""
    return f"wall:{wall_id}"


@dataclass(frozen=True)
class Recipients:
    """What the notes' frames need to know of their readers: their language and the kinds
    they muted, read once in the transaction that wrote the notes."""

    locales: dict[int, str]
    muted: dict[int, set[str]]


def commit_and_publish(changes: Changes) -> None:
    """Commit the request's transaction, then publish what it changed."""
    recipients = queue_news(changes, now=utcnow()) if changes else None
    db.session.commit()
    publish(changes, recipients)


def queue_news(changes: Changes, *, now: datetime, won: Sequence[FoldedDeal] = ()) -> Recipients:
    """Write the news for the boards, the team channels and the reps' phones to their
    outboxes, in the transaction that made it: a rollback takes them back (web/board_relay.py,
    web/channel_sender.py and web/push_sender.py send them after the commit). The walls'
    moments join the Changes, which are published only once the transaction committed.
    Returns the notes' recipients, for `publish` to write their frames without reading again."""
    session = db.session()
    if changes.standings:
        versions = {cid: move.version for cid, move in changes.boards.items()}
        write_board_news(session, changes.standings, now=now, versions=versions)
    with in_locale(org_locale()):
        queue_channel_posts(session, changes, now=now, won=won, words=words())
    locales = locales_of(session, {n.user_id for n in changes.notifications})
    queue_pushes(
        session,
        changes,
        now=now,
        link=note_link,
        write=lambda note, more: push_words(note, more, locales.get(note.user_id, "en")),
    )
    if changes.standings or won:  # the only news a wall celebrates
        walls = walls_in_force(session)
        changes.moments += wall_moments(session, changes, walls=walls, won=won, now=now)
    if won:  # the reps watching a board cheer for a deal won on it
        changes.moments += board_moments(session, changes, won=won, now=now)
    return Recipients(locales, muted_kinds_of(session, set(locales)))


def note_link(note: Notification) -> str:
    """The page a tap on a pushed note opens: its challenge, else the rep's profile."""
    urls = current_app.url_map.bind("")  # paths only: no request is needed to build them
    if note.challenge_id is not None:
        return urls.build("pages.play_challenge", {"challenge_id": note.challenge_id})
    return urls.build("pages.play_profile")


def publish(changes: Changes, recipients: Recipients | None = None) -> None:
    """Push committed Changes: leaderboard frames (throttled), the walls' moments and
    unmuted notifications (to `recipients` as `queue_news` read them, else read now)."""
    if not changes:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for challenge_id, user_ids in sorted(changes.standings.items()):
        throttle.note(app, challenge_id, user_ids)
    for moment in changes.moments:
        if moment.audience == "board":  # its own event: the walls in that room ignore it
            socketio.emit("board_moment", moment_frame(moment), to=challenge_room(moment.wall_id))
        else:
            socketio.emit("moment", moment_frame(moment), to=wall_room(moment.wall_id))
    if not changes.notifications:
        return
    if recipients is None:
        recipients = _read_recipients(app, {n.user_id for n in changes.notifications})
    muted, locales = recipients.muted, recipients.locales
    for note in changes.notifications:
        if note.kind not in muted.get(note.user_id, set()):
            frame = notification_frame(note, locales[note.user_id])
            socketio.emit("notification", frame, to=user_room(note.user_id))


def _read_recipients(app: Flask, user_ids: set[int]) -> Recipients:
    # In a session of its own, never the caller's: on SQLite a transaction left open there
    # would hold the write lock that the next frame's read waits for.
    with app.app_context():
        session = read_only(db.session())
        return Recipients(locales_of(session, user_ids), muted_kinds_of(session, user_ids))


def notification_frame(note: Notification, locale: str = "en") -> dict[str, Any]:
    """The frame of a note, its message in the recipient's language."""
    return {
        "kind": note.kind,
        "message": note_text(note, locale),
        "challenge_id": note.challenge_id,
        "data": dict(note.data),
    }


def moment_frame(moment: Moment) -> dict[str, Any]:
    """A moment's frame, its words in the organisation's language (a room of many readers);
    its values let a wall write it again in the wall's own language (js/wall.js)."""
    with in_locale(org_locale()):
        title, line = written(moment.title), written(moment.line)
    frame: dict[str, Any] = {"kind": moment.kind, "title": title, "line": line}
    if moment.values:
        frame["values"] = dict(moment.values)
    # A board's moment also says which board, for pages showing more than one.
    if moment.audience == "board":
        frame["challenge_id"] = moment.wall_id
    return frame


@dataclass
class _Pending:
    window: float
    last_sent: float = float("-inf")
    users: set[int] = field(default_factory=set)
    scheduled: bool = False


class Throttle:
    """Per challenge: send now when quiet, otherwise once at the end of a window that doubles,
    up to `longest`, for as long as the challenge stays busy."""

    def __init__(self, seconds: float, longest: float = LONGEST_WINDOW_SECONDS) -> None:
        self.seconds, self.longest = seconds, longest
        self._lock = threading.Lock()
        self._state: dict[int, _Pending] = {}
        self._apps: dict[int, Flask] = {}

    def note(self, app: Flask, challenge_id: int, user_ids: set[int]) -> None:
        """Record a change; send it now or make sure a trailing frame is on its way."""
        with self._lock:
            state = self._state.setdefault(challenge_id, _Pending(self.seconds))
            state.users |= user_ids
            self._apps[challenge_id] = app
            if state.scheduled:
                return
            state.scheduled = True
            since = time.monotonic() - state.last_sent
            if since >= state.window:
                state.window = self.seconds
            else:
                state.window = min(state.window * 2, self.longest)
            wait = state.window - since
        # Even a frame due now goes out from a task of its own: the request that caused it
        # answers without waiting for the broadcast to a thousand phones.
        socketio.start_background_task(self._send_later, challenge_id, wait)

    def flush(self) -> None:
        """Send every pending frame now (a CLI process calls this before it exits)."""
        with self._lock:
            pending = [cid for cid, state in self._state.items() if state.scheduled]
        for challenge_id in pending:
            self._send(challenge_id)

    def _send_later(self, challenge_id: int, wait: float) -> None:
        if wait > 0:
            socketio.sleep(wait)
        self._send(challenge_id)

    def _send(self, challenge_id: int) -> None:
        with self._lock:
            state = self._state[challenge_id]
            if not state.scheduled:
                return
            users, state.users, state.scheduled = state.users, set(), False
            state.last_sent = time.monotonic()
            app = self._apps.pop(challenge_id)
        try:
            relay_boards(app, [challenge_id], also_moved={challenge_id: users})
        except SQLAlchemyError:
            # The news stays unrelayed: the relay loop sends it, and heartbeats re-sync pages.
            app.logger.exception("leaderboard frame for challenge %s not sent", challenge_id)


throttle = Throttle(THROTTLE_SECONDS)
atexit.register(throttle.flush)
