"""Delivery of the channel outbox to Slack and Teams, after commit, off the request path.

The posts are written by gameplay.channels.outbox in the transaction that made the news; this
module only sends what is committed, through the loop every outbox shares
(web/outbox_sender.py: claims, retries with backoff, giving up). `python wsgi.py` runs the
sender every CHANNEL_SEND_INTERVAL seconds in a background task; other deployments run `flask
send-channel-posts` from a timer. A 404 for a deleted webhook fails its post at once.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from typing import Any

import click
import requests
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app
from sqlalchemy.orm import Session

from gameplay.channels.outbox import (
    any_started_unannounced,
    post_channel,
    queue_started_challenges,
)
from gameplay.channels.team_channels import ChannelPost, TeamChannel
from kpi_engine.db import read_only, utcnow
from web.extensions import db
from web.formats import words
from web.i18n import in_locale, org_locale
from web.outbox_sender import Attempt, Courier, answered, deliver_due, unreachable
from web.scheduler import run_every

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


def post_now(url: str, body: dict[str, Any]) -> Attempt:
    """POST one body to a chat service's webhook."""
    timeout = float(current_app.config.get("CHANNEL_TIMEOUT_SECONDS", 5.0))
    try:
        return answered(requests.post(url, json=body, timeout=timeout))
    except requests.RequestException as exc:
        return unreachable(exc)


def _prepare(session: Session, post: ChannelPost) -> Callable[[], Attempt]:
    url, body = open_url(post_channel(session, post)), post.body
    if url is None:
        return lambda: Attempt(UNREADABLE)
    return lambda: post_now(url, body)


POSTS = Courier(ChannelPost, "channel post", _prepare)


def send_due(app: Flask) -> int:
    """One sender tick: announce challenges that started, then deliver every due post.
    Returns how many posts were tried."""
    _announce_started(app)
    return deliver_due(app, POSTS)


def _announce_started(app: Flask) -> None:
    with app.app_context():
        read_only(db.session())
        if not any_started_unannounced(db.session(), now=utcnow()):
            return
    with app.app_context():
        with in_locale(org_locale()):
            queue_started_challenges(db.session(), now=utcnow(), words=words())
        db.session.commit()


@click.command("send-channel-posts")
def send_channels_command() -> None:
    """Send the team channels' due posts once (for a timer when the server's sender is off)."""
    tried = send_due(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"channel posts tried: {tried}")


def start_channel_sender(app: Flask, interval: float, stop: threading.Event | None = None) -> bool:
    """Run the sender every `interval` seconds in the server process, until `stop` is set
    (never, for the server); 0 or less: off."""
    return run_every(app, interval, send_due, "channel sender tick", stop)
