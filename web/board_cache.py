"""The warm leaderboard read: the rendered top N of a challenge kept per standings version, and
conditional GETs answered 304 from an ETag of that version.

Every change to the standings raises the challenge's version, so an entry keyed by it is never
stale for points and ranks. Names (of reps and teams) and anonymity are not versioned: a change
to one in this process starts a new generation of the cache at once (and again at its commit),
and entries and ETags also live at most DISPLAY_SECONDS, which bounds how long another process
of the same deployment can show an old name. What depends on the viewer (their own row,
revealed to them and marked as theirs; the manager's view revealing every name) is in the key
or applied to a copy of the shared rows.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from gameplay.boards.leaderboards import ANONYMOUS, around_me, read_leaderboard, top_rows
from gameplay.core.lifecycle import is_frozen
from gameplay.core.models import Challenge, PlayerProfile
from kpi_engine.org.models import Team, User
from web.schemas.challenges import RowSchema, board_answer

# How long a cached board (and its ETag) may show a name or an anonymity that changed in
# another process; a change in this process shows at once.
DISPLAY_SECONDS = 10
ENTRIES = 1024
_NAMES_CHANGED = "board_names_changed"


class _Lru:
    """A small thread-safe LRU of rendered boards."""

    def __init__(self, size: int) -> None:
        self.size, self.entries, self.lock = size, OrderedDict[Any, Any](), threading.Lock()
        self.generation = 0

    def get(self, key: Any) -> Any:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def forget_names(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()


_apps: weakref.WeakSet[_Lru] = weakref.WeakSet()


def init_app(app: Flask) -> None:
    """Each app keeps its own cache (tests build many apps on databases that reuse ids)."""
    lru = _Lru(ENTRIES)
    app.extensions["board_cache"] = lru
    _apps.add(lru)


@event.listens_for(User.name, "set")
@event.listens_for(PlayerProfile.anonymised, "set")
@event.listens_for(Team.name, "set")
def _display_changed(target: Any, *_args: Any) -> None:
    # Forget now, and again once the change commits: a read between the two, whose snapshot
    # still held the old name, may have cached it under the new generation.
    _forget_names()
    session = object_session(target)
    if session is not None:
        session.info[_NAMES_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _names_committed(session: Session) -> None:
    if session.info.pop(_NAMES_CHANGED, False):
        _forget_names()


def _forget_names() -> None:
    for lru in list(_apps):
        lru.forget_names()


def _boards() -> _Lru:
    return current_app.extensions["board_cache"]


def _stamp(challenge: Challenge) -> tuple[int, int, int, int]:
    return (challenge.id, challenge.version or 0, _boards().generation, _display_period())


def _display_period() -> int:
    return int(time.time() // DISPLAY_SECONDS)


def board_etag(
    challenge: Challenge, viewer: User, manager_view: bool, frozen: bool, query: Any
) -> str:
    """What the answer depends on: the standings version, the display generation and period,
    the viewer and their view, the freeze, and the query."""
    parts = (*_stamp(challenge), viewer.id, manager_view, frozen, sorted(query.items()))
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def board_response(
    session: Session,
    challenge: Challenge,
    *,
    viewer: User,
    manager_view: bool,
    now: datetime,
    query: dict[str, Any],
) -> Response:
    """The leaderboard answer, 304 when the client holds the same one."""
    frozen = is_frozen(challenge, now) and not manager_view
    tag = board_etag(challenge, viewer, manager_view, frozen, query)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    elif query["board"] == "individual" and not query.get("league") and not frozen:
        response = jsonify(_top_answer(session, challenge, viewer, manager_view, query["limit"]))
    else:
        board = read_leaderboard(
            session, challenge, viewer=viewer, manager_view=manager_view, now=now, **query
        )
        response = jsonify(board_answer(board))
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _top_answer(
    session: Session, challenge: Challenge, viewer: User, manager_view: bool, limit: int
) -> dict[str, Any]:
    """The individual board's top `limit` and the viewer's row, from the cache when warm."""
    top = _cached_top(session, challenge, manager_view, limit)
    mine = next((_as_viewer(item, viewer.id) for item in top if item[0] == viewer.id), None)
    if mine is None:
        mine = _cached_me(session, challenge, viewer, manager_view)
    return {
        "challenge_id": challenge.id,
        "version": challenge.version or 0,
        "board": "individual",
        "frozen": False,
        "rows": [_as_viewer(item, viewer.id) for item in top],
        "me": mine,
    }


def _cached_top(
    session: Session, challenge: Challenge, reveal: bool, limit: int
) -> list[tuple[int | None, str, dict[str, Any]]]:
    """(user id, real name, the row as an onlooker sees it) for each of the top `limit`."""
    key = (*_stamp(challenge), "top", reveal, limit)
    found = _boards().get(key)
    if found is None:
        rows = top_rows(session, challenge, viewer_id=0, reveal=True, limit=limit)
        dumped = RowSchema(many=True).dump(rows)
        found = [
            (r.user_id, r.name, _onlooker(d, r.anonymised and not reveal))
            for r, d in zip(rows, dumped, strict=True)
        ]
        _boards().put(key, found)
    return found


def _onlooker(row: dict[str, Any], hidden: bool) -> dict[str, Any]:
    return {**row, "user_id": None, "name": ANONYMOUS} if hidden else row


def _as_viewer(item: tuple[int | None, str, dict[str, Any]], viewer_id: int) -> dict[str, Any]:
    """The viewer's own row names them and is marked theirs; every other row is shared."""
    user_id, name, row = item
    if user_id != viewer_id:
        return row
    return {**row, "user_id": user_id, "name": name, "is_me": True}


def _cached_me(
    session: Session, challenge: Challenge, viewer: User, reveal: bool
) -> dict[str, Any] | None:
    key = (*_stamp(challenge), "me", viewer.id, reveal)
    found = _boards().get(key)
    if found is None:
        rows = around_me(session, challenge, viewer_id=viewer.id, reveal=reveal, span=0)
        found = (RowSchema().dump(rows[0]) if rows else None,)
        _boards().put(key, found)
    return found[0]
