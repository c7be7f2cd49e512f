"""Wall-screen mode: a full-screen, read-only TV page opened by a revocable link. It rotates
through the playlist the challenge's manager set up (web/pages/wall_setup.py), fetching each
slide fresh before showing it, and stops to celebrate a moment (a new leader, a big deal).
It speaks the language of the manager whose link opened it (else the organisation's, else the
TV browser's): nobody logs in on a TV."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, render_template
from flask_babel import gettext as _

from gameplay.channels.wall_screens import SLIDE_NAMES, Playlist, playlist_of, slide_problem
from gameplay.channels.wall_slides import show_slide, shown_slides
from gameplay.core.models import Challenge
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from web.extensions import db, limiter
from web.formats import translated
from web.i18n import in_locale, locale_for
from web.pages import bp
from web.pages.dashboards import STATUS_WORDS
from web.rep_view import time_left
from web.wall_links import wall_for_token


def _wall(token: str) -> tuple[Challenge, User, Playlist]:
    found = wall_for_token(db.session(), token)
    if found is None:
        abort(404, description=_("this wall-screen link is not valid or was revoked"))
    challenge, owner = found
    return challenge, owner, playlist_of(db.session(), challenge.id)


@bp.get("/wall/<token>")
@limiter.limit("60 per minute")
def wall(token: str):
    challenge, owner, playlist = _wall(token)
    now, tz = utcnow(), current_app.config["ORG_TIMEZONE"]
    slides = shown_slides(db.session(), playlist, owner, now=now, tz=tz)
    with in_locale(locale_for(owner)):
        # A moment names its challenge as stored: js/wall.js shows the name as this wall does.
        boards = [getattr(view, "challenge", None) for _index, view in slides]
        names = {c.name: translated(c.name) for c in [challenge, *boards] if c is not None}
        return render_template(
            "wall.html", challenge=challenge, playlist=playlist, slides=slides, token=token,
            names=names, **_helpers(now),
        )  # fmt: skip


@bp.get("/wall/<token>/slides/<int:index>")
@limiter.limit("240 per minute")
def wall_slide(token: str, index: int):
    """One slide as it is now, for the TV to swap in before showing it."""
    _challenge, owner, playlist = _wall(token)
    if index >= len(playlist.slides) or slide_problem(db.session(), owner, playlist.slides[index]):
        abort(404, description=_("this slide is no longer on the wall"))
    now, tz = utcnow(), current_app.config["ORG_TIMEZONE"]
    view = show_slide(db.session(), playlist, playlist.slides[index], now=now, tz=tz)
    with in_locale(locale_for(owner)):
        return render_template(
            "wall/_slide.html", index=index, view=view, token=token, shown=True, **_helpers(now)
        )


def _helpers(now: datetime) -> dict[str, object]:
    return {
        "time_left": lambda challenge: time_left(challenge, now),
        "status_words": STATUS_WORDS,
        "slide_names": SLIDE_NAMES,
    }

