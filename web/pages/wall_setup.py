"""The manager's wall-screen page for a challenge: the playlist its TV rotates through (boards,
a team battle, a KPI tile, recent wins), how long each slide stays, how big a won deal
interrupts, and the wall-screen links themselves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gameplay.channels.wall_moments import board_ids, note_leaders
from gameplay.channels.wall_screens import (
    MOST_SLIDES,
    SLIDE_NAMES,
    Playlist,
    playlist_of,
    set_playlist,
)
from gameplay.manage.challenges import managed_challenge, managed_challenges
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.kpis.registry import REGISTRY
from kpi_engine.org.membership import teams_of
from web.error_words import in_words
from web.extensions import db, socketio
from web.formats import translated
from web.pages import bp
from web.permissions import actor, manager_required
from web.realtime import wall_room
from web.schemas.forms import form_fields
from web.schemas.wall import ROW, WallFormSchema, nest_slides, row_errors, slide_of
from web.wall_links import wall_links


@bp.get("/manage/challenges/<int:challenge_id>/wall")
@manager_required
def manage_wall(challenge_id: int):
    managed_challenge(db.session(), challenge_id, actor())
    return _page(challenge_id, _form(playlist_of(db.session(), challenge_id)), {})


@bp.post("/manage/challenges/<int:challenge_id>/wall")
@manager_required
def manage_save_wall(challenge_id: int):
    managed_challenge(db.session(), challenge_id, actor())
    form = form_fields()
    flat, used = nest_slides(form)
    try:
        data = WallFormSchema().load(flat)
        playlist = set_playlist(
            db.session(), actor(), challenge_id, [slide_of(row) for row in data["slides"]],
            seconds=data["seconds"], big_deal=data["big_deal"], now=utcnow(),
        )  # fmt: skip
    except (ValidationError, Invalid) as exc:
        db.session.rollback()
        messages = exc.messages if isinstance(exc, ValidationError) else exc.fields
        return _page(challenge_id, form, row_errors(_mapping(in_words(messages)), used), 422)
    note_leaders(db.session(), board_ids(playlist), now=utcnow())
    db.session.commit()
    socketio.emit("wall_changed", {}, to=wall_room(challenge_id))  # the TVs reload themselves
    flash(_("Playlist saved: the wall screens show it now."), "info")
    return redirect(url_for("pages.manage_wall", challenge_id=challenge_id), 303)


def _mapping(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_form": messages}


def _form(playlist: Playlist) -> dict[str, Any]:
    """The form's fields as the playlist fills them."""
    form: dict[str, Any] = {"seconds": playlist.seconds, "big_deal": _amount(playlist.big_deal)}
    for index, slide in enumerate(playlist.slides):
        for name in ("kind", "challenge_id", "kpi", "team_id", "period"):
            value = getattr(slide, name)
            if value is not None:
                form[f"slides-{index}-{name}"] = value
    return form


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}".rstrip("0").rstrip(".")


def _page(challenge_id: int, form: dict[str, Any], errors: dict[str, str], status: int = 200):
    user = actor()
    used = {int(m.group(1)) for k in form if (m := ROW.match(k)) and form[k]}
    rows = min(MOST_SLIDES, max(used, default=-1) + 3)
    page = render_template(
        "manage/wall.html",
        challenge=managed_challenge(db.session(), challenge_id, user),
        form=form,
        errors=errors,
        rows=range(rows),
        slide_names={kind: translated(name) for kind, name in SLIDE_NAMES.items()},
        challenges=[
            (c.id, translated(c.name)) for c in managed_challenges(db.session(), user, now=utcnow())
        ],
        kpis=sorted(
            ((k.key, translated(k.name) or k.key) for k in REGISTRY.values()),
            key=lambda kpi: kpi[1],
        ),
        teams=[(t.id, t.name) for t in teams_of(db.session(), user)],
        admin=user.app_role == "admin",
        links=wall_links(db.session(), challenge_id),
    )
    return page, status
