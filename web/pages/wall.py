"""Wall-screen mode: a full-screen, read-only live leaderboard opened by a revocable link."""

from __future__ import annotations

from flask import abort, render_template

from gameplay.boards.board_frames import snapshot_frame
from kpi_engine.db import utcnow
from web.extensions import db, limiter
from web.pages import bp
from web.rep_view import time_left
from web.wall_links import challenge_for_wall_token


@bp.get("/wall/<token>")
@limiter.limit("60 per minute")
def wall(token: str):
    challenge = challenge_for_wall_token(db.session(), token)
    if challenge is None:
        abort(404, description="this wall-screen link is not valid or was revoked")
    frame = snapshot_frame(db.session(), challenge, viewer_id=0)
    left = time_left(challenge, utcnow())
    return render_template(
        "wall.html", challenge=challenge, frame=frame, token=token, time_left=left
    )
