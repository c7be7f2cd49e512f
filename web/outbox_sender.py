"""Delivery of an outbox after commit, off the request path: the loop every outbox shares
(Slack and Teams posts in web/channel_sender.py, phone pushes in web/push_sender.py).

Each delivery claims its row first, in a short transaction of its own, and sends with no
transaction open: a slow service never holds a database lock that ingestion waits for. An
answer that may get better (a 5xx, a 429, a timeout, a refused connection) is tried again
later with exponential backoff, up to <PREFIX>_MAX_ATTEMPTS tries, then the row is marked
failed; any other refusal fails it at once; a recipient that no longer exists (a phone's
expired subscription) is forgotten with its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

import requests
from flask import Flask, current_app
from sqlalchemy.orm import Session

from gameplay.channels.deliveries import Delivery, claim, due_ids, record_delivery, retry_delay
from kpi_engine.db import read_only, utcnow
from web.extensions import db

# A claimed row is left alone by other senders this long (longer than any one delivery).
LEASE = timedelta(seconds=60)
D = TypeVar("D", bound=Delivery)


@dataclass(frozen=True)
class Attempt:
    """How one delivery went: no error is success; `gone` says the recipient is no more."""

    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    gone: bool = False


@dataclass(frozen=True)
class Courier(Generic[D]):
    """One outbox: its rows, how to send one, and how to forget a recipient that is gone.

    `prepare` reads what a row needs inside the claim's transaction and returns the sending
    itself, which runs after that transaction ended."""

    model: type[D]
    what: str
    prepare: Callable[[Session, D], Callable[[], Attempt]]
    forget: Callable[[Session, D], None] | None = None
    # Its settings' prefix: <PREFIX>_MAX_ATTEMPTS, <PREFIX>_RETRY_BASE_SECONDS.
    settings: str = "CHANNEL"


def deliver_due(app: Flask, courier: Courier[D]) -> int:
    """Deliver every due row of one outbox; returns how many were tried."""
    with app.app_context():
        read_only(db.session())
        ids = due_ids(db.session(), courier.model, now=utcnow())
    for row_id in ids:
        _deliver(app, courier, row_id)
    return len(ids)


def _deliver(app: Flask, courier: Courier[D], row_id: int) -> None:
    with app.app_context():
        row = claim(db.session(), courier.model, row_id, now=utcnow(), lease=LEASE)
        if row is None:
            db.session.rollback()
            return
        send, attempts = courier.prepare(db.session(), row), row.attempts
        db.session.commit()
        _record(courier, row_id, attempts, send())


def _record(courier: Courier[D], row_id: int, attempts: int, attempt: Attempt) -> None:
    row = db.session.get(courier.model, row_id)
    if row is None:  # its recipient was removed meanwhile
        return
    if attempt.gone and courier.forget is not None:
        courier.forget(db.session(), row)
    else:
        retry_in = _retry_in(courier.settings, attempts, attempt)
        record_delivery(db.session(), row, error=attempt.error, retry_in=retry_in, now=utcnow())
    db.session.commit()
    if attempt.error is not None:
        current_app.logger.warning("%s %s: %s", courier.what, row_id, attempt.error)


def _retry_in(settings: str, attempts: int, attempt: Attempt) -> timedelta | None:
    config = current_app.config
    if attempt.error is None or not attempt.retryable:
        return None
    if attempts >= int(config.get(f"{settings}_MAX_ATTEMPTS", 6)):
        return None
    wait = retry_delay(attempts, base=float(config.get(f"{settings}_RETRY_BASE_SECONDS", 5.0)))
    if attempt.retry_after is not None:
        wait = max(wait, timedelta(seconds=min(attempt.retry_after, 3600)))
    return wait


def answered(answer: requests.Response) -> Attempt:
    """An HTTP answer as an Attempt: 2xx is sent; 5xx, 408 and 429 may be tried again."""
    if answer.ok:
        return Attempt()
    error = f"answered {answer.status_code}: {answer.text[:200]}"
    retryable = answer.status_code >= 500 or answer.status_code in (408, 429)
    return Attempt(error, retryable, _retry_after(answer))


def unreachable(exc: requests.RequestException) -> Attempt:
    """A request that got no answer: worth trying again."""
    if isinstance(exc, requests.Timeout):
        return Attempt("did not answer in time", True)
    return Attempt(f"could not be reached ({type(exc).__name__})", True)


def _retry_after(answer: requests.Response) -> float | None:
    try:
        return float(answer.headers.get("Retry-After", ""))
    except ValueError:
        return None
