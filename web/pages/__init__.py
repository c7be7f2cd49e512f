"""Server-rendered pages; each module adds its routes to this blueprint."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from web.pages import activity, home, imports  # noqa: E402,F401  (registers routes)
