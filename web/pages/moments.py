"""Moments on the rep's pages: the winner screen of a challenge that ended (shown on the next
visit when the rep was away; the browser remembers which were seen), fetched again live when
the challenge's end reaches an open page."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from gameplay.boards.finales import Finale, recent_finales
from kpi_engine.db import utcnow
from web.extensions import db
from web.pages import bp
from web.permissions import login_required


@bp.app_template_global("my_finales")
def my_finales() -> list[Finale]:
    """The signed-in rep's recent finales (none for a visitor)."""
    if not current_user.is_authenticated:
        return []
    return recent_finales(db.session(), current_user.id, now=utcnow())


@bp.get("/play/finales")
@login_required
def play_finales():
    return render_template("rep/_finale.html")
