"""The JSON API under /api/v1; each module adds its routes to this blueprint."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import (  # noqa: E402,F401  (registers routes)
    avatars,
    challenges,
    devices,
    events,
    impact,
    imports,
    kpis,
    me,
    openapi,
    teams,
    users,
    webhooks,
)
