"""create_app: the one place the Flask application is assembled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kpi_engine.db import configure_engine
from web import (
    api,
    auth,
    board_cache,
    cli,
    errors,
    health,
    i18n,
    input_bounds,
    observability,
    pages,
    read_requests,
    security_headers,
    socket_events,  # noqa: F401  (registers the Socket.IO handlers before init_app)
)
from web.config import engine_options, load_config, socketio_channel
from web.extensions import csrf, db, limiter, login_manager, migrate, socketio
from web.push_keys import vapid

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with overrides (tests pass theirs here)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(overrides or {})
    input_bounds.init_app(app)
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    observability.init_app(app)
    security_headers.init_app(app)
    _init_extensions(app)
    read_requests.init_app(app)
    board_cache.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    cli.init_app(app)
    if app.config.get("VAPID_PRIVATE_KEY"):
        vapid(app)  # a key that does not parse stops the start, not the first push
    return app


def _init_extensions(app: Flask) -> None:
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # SocketIO keeps the message-queue manager of an earlier init_app in its options; an app
    # built later in the same process (tests build many) must not inherit another's queue.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=socketio_channel(app.config),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=app.config.get("SOCKETIO_ALLOWED_ORIGINS"),
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
    )
