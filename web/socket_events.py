"""Socket.IO handlers: who may connect and which challenge rooms they may join.

A refusal's reason is in the caller's language (the handlers run in the connection's request,
so the locale is chosen as for a page).

A connection needs a logged-in session (the same cookie as the pages) or a wall-screen link
token; each user joins a personal room for notifications. Subscribing to a challenge is
checked like reading it, and answers with the current standings at once, so a late or
reconnecting client never waits for the next change to see the board.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room, rooms
from sqlalchemy.exc import DisconnectionError, OperationalError

from gameplay.channels.wall_screens import playlist_of, shown_boards
from gameplay.core.access import may_view_challenge
from gameplay.core.models import Challenge
from kpi_engine.db import utcnow
from web.board_frames import snapshot_frame
from web.errors import RETRY_AFTER_SECONDS
from web.extensions import db, socketio
from web.permissions import actor
from web.realtime import challenge_room, user_room, wall_room
from web.schemas.fields import ID_MAX
from web.wall_links import wall_for_token


@socketio.on("connect")
def connect(auth: dict[str, Any] | None = None) -> None:
    """Accept a logged-in user (into their room) or a wall screen; refuse anyone else."""
    token = (auth or {}).get("wall") if isinstance(auth, dict) else None
    if token:
        return _connect_wall(str(token))
    if not current_user.is_authenticated:
        raise ConnectionRefusedError(_("log in first"))
    join_room(user_room(actor().id))
    return None


def _connect_wall(token: str) -> None:
    found = wall_for_token(db.session(), token)
    if found is None:
        raise ConnectionRefusedError(_("this wall-screen link is not valid or was revoked"))
    challenge, owner = found
    # Wall screens are read-only: the wall's own room (its moments) and the rooms of the boards
    # its playlist shows and its link's owner may still see; no user, so no personal room.
    join_room(wall_room(challenge.id))
    for board_id in shown_boards(db.session(), playlist_of(db.session(), challenge.id), owner):
        join_room(challenge_room(board_id))
    emit("leaderboard", snapshot_frame(db.session(), challenge, viewer_id=0, now=utcnow()))


@socketio.on("subscribe")
def subscribe(data: Any = None) -> dict[str, Any]:
    """Join a challenge's room exactly when the HTTP board read is allowed (gameplay.core.access);
    answer with the reason if not."""
    if not current_user.is_authenticated:
        return {"ok": False, "reason": _("log in first")}
    challenge_id = data.get("challenge_id") if isinstance(data, dict) else None
    if type(challenge_id) is not int or not 1 <= challenge_id <= ID_MAX:
        reason = _("challenge_id must be a whole number from 1 to %(most)s", most=ID_MAX)
        return {"ok": False, "reason": reason}
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not may_view_challenge(db.session(), actor(), challenge):
        return {"ok": False, "reason": _("you may not see this challenge's leaderboard")}
    join_room(challenge_room(challenge.id))
    frame = snapshot_frame(db.session(), challenge, actor().id, now=utcnow())
    emit("leaderboard", frame)
    return {"ok": True}


@socketio.on("snapshot")
def snapshot(data: Any = None) -> dict[str, Any]:
    """Send a board's snapshot again to a client already in its room (a page that saw a gap
    in the versions or a heartbeat newer than what it shows re-syncs this way)."""
    challenge_id = data.get("challenge_id") if isinstance(data, dict) else None
    if type(challenge_id) is not int or challenge_room(challenge_id) not in rooms():
        return {"ok": False, "reason": _("subscribe to this challenge first")}
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None:
        return {"ok": False, "reason": _("this challenge is gone")}
    viewer_id = actor().id if current_user.is_authenticated else 0
    emit("leaderboard", snapshot_frame(db.session(), challenge, viewer_id, now=utcnow()))
    return {"ok": True}


@socketio.on("unsubscribe")
def unsubscribe(data: Any = None) -> dict[str, Any]:
    challenge_id = data.get("challenge_id") if isinstance(data, dict) else None
    if isinstance(challenge_id, int):
        leave_room(challenge_room(challenge_id))
    return {"ok": True}


@socketio.on_error_default
def database_unavailable(exc: Exception) -> dict[str, Any]:
    """With the database gone, refuse a connection (or answer an event) at once, saying when
    to try again, instead of leaving the client waiting; live.js comes back by itself."""
    if not isinstance(exc, OperationalError | DisconnectionError):
        raise exc
    db.session.rollback()
    # Not translated: choosing the language would load the user from the database that is down.
    reason = "the database is not answering; trying again shortly"
    if request.event["message"] == "connect":  # type: ignore[attr-defined]
        # The second argument reaches the client as connect_error's err.data.
        raise ConnectionRefusedError(reason, {"retry_after": int(RETRY_AFTER_SECONDS)})
    return {"ok": False, "reason": reason, "retry_after": int(RETRY_AFTER_SECONDS)}
