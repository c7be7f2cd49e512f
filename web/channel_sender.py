"""Delivery of the channel outbox to Slack and Teams, after commit, off the request path.

The posts are written by gameplay.channels.outbox in the transaction that made the news; this
module only sends what is committed. `python wsgi.py` runs the sender every
CHANNEL_SEND_INTERVAL seconds in a background task; other deployments run `flask
send-channel-posts` from a timer. A post that meets a 5xx, a 429, a timeout or a refused
connection is tried again later with exponential backoff, up to CHANNEL_MAX_ATTEMPTS tries,
then marked failed; any other answer (a 404 for a deleted webhook) fails it at once.

Each delivery claims its post first, in a short transaction of its own, and sends with no
transaction open: a slow chat service never holds a database lock that ingestion waits for.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta
from typing import Any

import click
import requests
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app

from gameplay.channels.outbox import (
    any_started_unannounced,
    claim_post,
    due_post_ids,
    post_channel,
    queue_started_challenges,
    record_delivery,
    retry_delay,
)
from gameplay.channels.team_channels import ChannelPost, TeamChannel
from kpi_engine.db import read_only, utcnow
from web.extensions import db
from web.scheduler import run_every

# A claimed post is left alone by other senders this long (longer than any one delivery).
LEASE = timedelta(seconds=60)
UNREADABLE = "the webhook URL can no longer be read (SECRET_KEY changed); connect it again"


def cipher(app: Flask | None = None) -> Fernet:
    """The Fernet key for webhook URLs, derived from SECRET_KEY (rotating it means
    connecting the channels again)."""
    secret = str((app or current_app).config["SECRET_KEY"]).encode()
    digest = hashlib.sha256(b"salesquest team-channel webhooks\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(url: str) -> str:
    return cipher().encrypt(url.encode()).decode()


def open_url(channel: TeamChannel) -> str | None:
    try:
        return cipher().decrypt(channel.webhook_sealed.encode()).decode()
    except InvalidToken:
        return None


def post_now(url: str, body: dict[str, Any]) -> tuple[str | None, bool, float | None]:
    """POST one body: (error or None, whether trying again may help, Retry-After seconds)."""
    timeout = float(current_app.config.get("CHANNEL_TIMEOUT_SECONDS", 5.0))
    try:
        answer = requests.post(url, json=body, timeout=timeout)
    except requests.Timeout:
        return "did not answer in time", True, None
    except requests.RequestException as exc:
        return f"could not be reached ({type(exc).__name__})", True, None
    if answer.ok:
        return None, False, None
    error = f"answered {answer.status_code}: {answer.text[:200]}"
    retryable = answer.status_code >= 500 or answer.status_code in (408, 429)
    return error, retryable, _retry_after(answer)


def _retry_after(answer: requests.Response) -> float | None:
    try:
        return float(answer.headers.get("Retry-After", ""))
    except ValueError:
        return None


def send_due(app: Flask) -> int:
    """One sender tick: announce challenges that started, then deliver every due post.
    Returns how many posts were tried."""
    _announce_started(app)
    with app.app_context():
        read_only(db.session())
        ids = due_post_ids(db.session(), now=utcnow())
    for post_id in ids:
        _deliver(app, post_id)
    return len(ids)


def _announce_started(app: Flask) -> None:
    with app.app_context():
        read_only(db.session())
        if not any_started_unannounced(db.session(), now=utcnow()):
            return
    with app.app_context():
        queue_started_challenges(db.session(), now=utcnow())
        db.session.commit()


def _deliver(app: Flask, post_id: int) -> None:
    with app.app_context():
        post = claim_post(db.session(), post_id, now=utcnow(), lease=LEASE)
        if post is None:
            db.session.rollback()
            return
        url, body, attempts = open_url(post_channel(db.session(), post)), post.body, post.attempts
        db.session.commit()
        error: str | None = UNREADABLE
        retryable, wait = False, None
        if url is not None:
            error, retryable, wait = post_now(url, body)
        _record(post_id, attempts, error, retryable, wait)


def _record(
    post_id: int, attempts: int, error: str | None, retryable: bool, wait: float | None
) -> None:
    config = current_app.config
    retry_in = None
    if error is not None and retryable and attempts < int(config.get("CHANNEL_MAX_ATTEMPTS", 6)):
        base = float(config.get("CHANNEL_RETRY_BASE_SECONDS", 5.0))
        retry_in = retry_delay(attempts, base=base)
        if wait is not None:
            retry_in = max(retry_in, timedelta(seconds=min(wait, 3600)))
    post = db.session.get(ChannelPost, post_id)
    if post is not None:  # the channel may have been disconnected meanwhile
        record_delivery(db.session(), post, error=error, retry_in=retry_in, now=utcnow())
    db.session.commit()
    if error is not None:
        current_app.logger.warning("channel post %s: %s", post_id, error)


@click.command("send-channel-posts")
def send_channels_command() -> None:
    """Send the team channels' due posts once (for a timer when the server's sender is off)."""
    tried = send_due(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"channel posts tried: {tried}")


def start_channel_sender(app: Flask, interval: float, stop: threading.Event | None = None) -> bool:
    """Run the sender every `interval` seconds in the server process, until `stop` is set
    (never, for the server); 0 or less: off."""
    return run_every(app, interval, send_due, "channel sender tick", stop)
