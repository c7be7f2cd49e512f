"""Configuration from environment variables, with defaults that are safe for a newcomer."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

# The push services of Chrome and Android (FCM), Firefox (Mozilla), Safari and iOS (Apple) and
# Edge (Windows): a subscription's endpoint must be on one of these hosts or below them.
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com,updates.push.services.mozilla.com,push.services.mozilla.com,"
    "push.apple.com,notify.windows.com"
)


def _instance_secret(instance_path: Path) -> str:
    """A random SECRET_KEY kept in the instance folder, so sessions survive a restart."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: Path) -> dict[str, Any]:
    """Settings read from the environment; see the README for each variable."""
    env = os.environ.get
    database_url = env("DATABASE_URL") or f"sqlite:///{instance_path / 'salesquest.db'}"
    return {
        "SECRET_KEY": env("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SOCKETIO_MESSAGE_QUEUE": env("SOCKETIO_MESSAGE_QUEUE") or None,
        "SOCKETIO_ASYNC_MODE": env("SOCKETIO_ASYNC_MODE", "threading"),
        # Pub/sub channel on the message queue; unset: derived from the database (see below).
        "SOCKETIO_CHANNEL": env("SOCKETIO_CHANNEL") or None,
        # Engine.IO heartbeat (seconds): a client that misses a pong is dropped after both.
        "SOCKETIO_PING_INTERVAL": float(env("SOCKETIO_PING_INTERVAL", "25")),
        "SOCKETIO_PING_TIMEOUT": float(env("SOCKETIO_PING_TIMEOUT", "20")),
        # Comma-separated origins allowed to open a Socket.IO connection; unset: same origin only.
        "SOCKETIO_ALLOWED_ORIGINS": [
            o.strip() for o in env("SOCKETIO_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ]
        or None,
        # Live boards (docs/live.md): how often each process tells its watchers every watched
        # board's latest version, and how old unrelayed board news must be before the relay
        # loop takes it over from the process that wrote it (longer than the throttle's 2 s).
        "LIVE_HEARTBEAT_SECONDS": float(env("LIVE_HEARTBEAT_SECONDS", "5")),
        "LIVE_RELAY_GRACE_SECONDS": float(env("LIVE_RELAY_GRACE_SECONDS", "3")),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "ORG_TIMEZONE": env("ORG_TIMEZONE", "UTC"),
        # The organisation's default language (en, fr) for people who chose none; unset: each
        # browser's Accept-Language decides (web/i18n.py).
        "ORG_LOCALE": env("ORG_LOCALE") or None,
        # The currency the KPIs' money is in (revenue won, deal size, costs): the deals' and
        # the KPI inputs' currency (the demo's CRM sample is in US dollars).
        "ORG_CURRENCY": env("ORG_CURRENCY", "USD").upper(),
        "WEBHOOK_SECRET": env("WEBHOOK_SECRET") or None,
        # Team channels (docs/notifications.md): tries per post and the first retry's wait.
        "CHANNEL_MAX_ATTEMPTS": int(env("CHANNEL_MAX_ATTEMPTS", "6")),
        "CHANNEL_RETRY_BASE_SECONDS": float(env("CHANNEL_RETRY_BASE_SECONDS", "5")),
        "CHANNEL_TIMEOUT_SECONDS": float(env("CHANNEL_TIMEOUT_SECONDS", "5")),
        # Phone pushes (docs/notifications.md): the VAPID key (unset: kept in the instance
        # folder, see web/push_keys.py), whom push services may contact about it, and the
        # hosts a subscription may point at.
        "VAPID_PRIVATE_KEY": env("VAPID_PRIVATE_KEY") or None,
        "VAPID_SUBJECT": env("VAPID_SUBJECT", "mailto:salesquest@example.com"),
        "PUSH_SERVICE_HOSTS": [
            h.strip().lower() for h in env("PUSH_SERVICE_HOSTS", PUSH_SERVICE_HOSTS).split(",")
            if h.strip()
        ],
        "PUSH_MAX_ATTEMPTS": int(env("PUSH_MAX_ATTEMPTS", "6")),
        "PUSH_RETRY_BASE_SECONDS": float(env("PUSH_RETRY_BASE_SECONDS", "5")),
        "PUSH_TIMEOUT_SECONDS": float(env("PUSH_TIMEOUT_SECONDS", "5")),
        "MAX_CONTENT_LENGTH": int(env("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        # CRM uploads (the Import page, POST /api/v1/imports) may be larger: 100,000 rows of a
        # HubSpot export are about 10 MiB.
        "IMPORT_MAX_CONTENT_LENGTH": int(env("IMPORT_MAX_CONTENT_LENGTH", str(64 * 1024 * 1024))),
        # Import jobs (docs/ingest.md): unset, they run in the web process; a Redis URL, on an
        # RQ queue taken by `flask --app wsgi jobs worker`. A running job whose heartbeat is
        # older than JOBS_STALE_SECONDS is resumed (or failed) by the next recovery.
        "JOBS_REDIS_URL": env("JOBS_REDIS_URL") or None,
        "JOBS_QUEUE": env("JOBS_QUEUE") or None,
        "JOBS_STALE_SECONDS": float(env("JOBS_STALE_SECONDS", "120")),
        # Where the reps' pictures are kept (web/avatars.py); empty: <instance>/avatars.
        "AVATAR_FOLDER": env("AVATAR_FOLDER") or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": env("PREFERRED_URL_SCHEME", "http"),
        "BEHIND_PROXY": env("BEHIND_PROXY", "0") == "1",
        # CSRF is checked in a before_request hook so bearer-token API calls can skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "10 per minute"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DATABASE_CONNECT_TIMEOUT": int(env("DATABASE_CONNECT_TIMEOUT", "3")),
        "DATABASE_STATEMENT_TIMEOUT": int(env("DATABASE_STATEMENT_TIMEOUT", "15")),
    }


def socketio_channel(config: dict[str, Any]) -> str:
    """The queue's pub/sub channel: one per deployment, so two deployments sharing a Redis
    (whatever its database number, which pub/sub ignores) never receive each other's frames.
    Processes of one deployment share a database, so the default derived from it matches."""
    if config.get("SOCKETIO_CHANNEL"):
        return str(config["SOCKETIO_CHANNEL"])
    database = make_url(config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    return "salesquest-" + hashlib.sha256(database.encode()).hexdigest()[:16]


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options: on PostgreSQL a connection attempt to a host that does not
    answer gives up after DATABASE_CONNECT_TIMEOUT seconds (default 3) instead of the
    operating system's minutes, so requests answer 503 quickly; a pool slot is waited for as
    long at most. A statement that runs or waits on a lock longer than
    DATABASE_STATEMENT_TIMEOUT seconds (default 15; 0 for none, as a long maintenance
    command may want) is cancelled, so a stalled database answers 503 too."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        timeout = int(config.get("DATABASE_CONNECT_TIMEOUT", 3))
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", timeout)
        statements = int(config.get("DATABASE_STATEMENT_TIMEOUT", 15)) * 1000
        connect_args.setdefault("options", f"-c statement_timeout={statements}")
        options.setdefault("pool_timeout", timeout)
    return options
