"""Server-rendered pages; each module adds its routes to this blueprint."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from web.pages import (  # noqa: E402,F401  (registers routes; live pages: issue 5)
    activity,
    avatars,
    channels,
    dashboards,
    devices,
    favicon,
    home,
    icons,
    impact,
    imports,
    install,
    manage,
    moments,
    people,
    rep,
    rewards,
    wall,
    wall_setup,
)
