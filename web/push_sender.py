"""Delivery of the push outbox to reps' devices: Web Push (RFC 8030) with the payload encrypted
for the device (aes128gcm, RFC 8291) and signed by the server's VAPID key (RFC 8292), by
pywebpush.

The messages are written by gameplay.channels.pushes in the transaction that made the news;
this module sends only what is committed, through the loop every outbox shares
(web/outbox_sender.py: claims, retries with backoff, giving up). A push service that answers
404 or 410 says the subscription expired (the app was removed, the permission withdrawn): the
device is forgotten with its queue. `python wsgi.py` runs the sender every PUSH_SEND_INTERVAL
seconds; other deployments run `flask send-pushes` from a timer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import click
import requests
from flask import Flask, current_app
from pywebpush import WebPushException, webpush
from sqlalchemy.orm import Session

from gameplay.channels.phones import forget_endpoint
from gameplay.channels.pushes import PushMessage, push_target
from web.outbox_sender import Attempt, Courier, answered, deliver_due, unreachable
from web.push_keys import vapid
from web.scheduler import run_every

# A note about a leaderboard is stale after a working day: a phone off until then drops it.
TIME_TO_LIVE_SECONDS = 12 * 3600
GONE = (404, 410)


def push_now(subscription: dict[str, Any], payload: dict[str, Any]) -> Attempt:
    """Encrypt, sign and post one message to a device's push service."""
    config = current_app.config
    try:
        webpush(
            subscription,
            json.dumps(payload),
            vapid_private_key=vapid(),
            vapid_claims={"sub": config["VAPID_SUBJECT"]},  # a new dict: webpush adds aud
            ttl=TIME_TO_LIVE_SECONDS,
            timeout=float(config.get("PUSH_TIMEOUT_SECONDS", 5.0)),
            headers={"Urgency": "normal"},
        )
    except WebPushException as exc:
        return _refused(exc)
    except requests.RequestException as exc:
        return unreachable(exc)
    return Attempt()


def _refused(exc: WebPushException) -> Attempt:
    if exc.response is None:
        return Attempt(str(exc.message)[:200])
    if exc.status_code in GONE:
        return Attempt(f"answered {exc.status_code}: the subscription expired", gone=True)
    return answered(exc.response)


def _prepare(session: Session, message: PushMessage) -> Callable[[], Attempt]:
    device = push_target(session, message)
    subscription = {
        "endpoint": device.endpoint,
        "keys": {"p256dh": device.p256dh, "auth": device.auth},
    }
    payload = dict(message.payload)
    return lambda: push_now(subscription, payload)


def _forget(session: Session, message: PushMessage) -> None:
    forget_endpoint(session, message.subscription_id)


PUSHES = Courier(PushMessage, "phone push", _prepare, _forget, settings="PUSH")


def send_due_pushes(app: Flask) -> int:
    """One sender tick: deliver every due push; returns how many were tried."""
    return deliver_due(app, PUSHES)


@click.command("send-pushes")
def send_pushes_command() -> None:
    """Send the due phone pushes once (for a timer when the server's sender is off)."""
    tried = send_due_pushes(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"phone pushes tried: {tried}")


def start_push_sender(app: Flask, interval: float, stop: threading.Event | None = None) -> bool:
    """Run the sender every `interval` seconds in the server process, until `stop` is set
    (never, for the server); 0 or less: off. Apart from the channels' sender, so a slow chat
    service never holds up a phone."""
    return run_every(app, interval, send_due_pushes, "push sender tick", stop)
