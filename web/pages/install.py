"""The installable web app: manifest, service worker (served from the root for its scope), and
the page it shows when the phone is offline."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, send_from_directory, url_for

from web.pages import bp


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": "SalesQuest",
        "short_name": "SalesQuest",
        "description": "Your sales challenges, live.",
        "start_url": url_for("pages.play"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6fa",
        "theme_color": "#1f3a5f",
        "icons": [_icon(192), _icon(512), _icon("svg")],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


def _icon(size: int | str) -> dict[str, str]:
    if size == "svg":
        src = url_for("static", filename="icons/icon.svg")
        return {"src": src, "sizes": "any", "type": "image/svg+xml"}
    src = url_for("static", filename=f"icons/icon-{size}.png")
    return {"src": src, "sizes": f"{size}x{size}", "type": "image/png"}


@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder or "static", "js/sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    return render_template("offline.html")
