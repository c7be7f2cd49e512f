"""/healthz (the process answers) and /readyz (its database and message queue answer)."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from web.errors import RETRY_AFTER_SECONDS
from web.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    checks = {"database": _check_database(), "message_queue": _check_queue()}
    ready = all(v in ("ok", "not configured") for v in checks.values())
    body = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
    if ready:
        return body, 200
    return body, 503, {"Retry-After": RETRY_AFTER_SECONDS}


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        db.session.rollback()
        return f"error: {type(exc).__name__}"


def _check_queue() -> str:
    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return "not configured"
    try:
        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
        return "ok"
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
