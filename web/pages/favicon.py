"""The site icon browsers ask for at /favicon.ico on every page, served from static/icons."""

from __future__ import annotations

from flask import current_app, send_from_directory

from web.pages import bp

ONE_WEEK = 7 * 24 * 3600


@bp.get("/favicon.ico")
def favicon():
    folder = f"{current_app.static_folder}/icons"
    return send_from_directory(
        folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=ONE_WEEK
    )
