"""`flask --app wsgi demo simulate`: a stream of realistic sales events so the boards move.

Events go through the same ingest path as the API. With SOCKETIO_MESSAGE_QUEUE set, this
process ingests them itself and its frames reach every server process through the queue;
without a queue, it posts them to the running server's events API (the server publishes), so
a newcomer running `make demo` sees the boards move with nothing else installed.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click
import requests
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import Challenge, Participant
from kpi_engine.db import utcnow
from kpi_engine.org.models import ApiToken, User
from web.auth import issue_token, revoke_token
from web.extensions import db
from web.ingest import ingest
from web.realtime import throttle
from web.schemas.events import load_events

# What a rep does between two looks at the board, weighted as on a real sales floor.
ACTIONS: tuple[tuple[str, str, int], ...] = (
    ("call", "no_answer", 40),
    ("call", "connected", 25),
    ("email", "replied", 15),
    ("call", "meeting_booked", 12),
    ("deal", "won", 8),
)
TOKEN_NAME = "demo simulate"  # noqa: S105 (a label, not a secret)
PRODUCTS = ("GTX Basic", "GTX Pro", "MG Special", "MG Advanced", "GTX Plus Pro")


def live_reps(now: datetime) -> list[str]:
    """Emails of the reps taking part in a live challenge."""
    challenges = db.session.scalars(select(Challenge)).all()
    live = [c.id for c in challenges if challenge_status(c, now) == "live"]
    query = (
        select(User.email)
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.challenge_id.in_(live))
        .distinct()
    )
    return sorted(db.session.scalars(query))


def next_events(rng: random.Random, rep: str) -> list[dict[str, Any]]:
    """One rep's next action as events in the API's shape (a won deal is created, then won)."""
    kind, outcome, _ = rng.choices(ACTIONS, weights=[a[2] for a in ACTIONS])[0]
    at = utcnow()
    key = f"sim-{uuid.uuid4().hex[:12]}"
    if kind != "deal":
        data = {"kind": kind, "outcome": outcome}
        return [_event(key, "activity.logged", at, rep, data)]
    deal = {"deal_id": key, "amount": rng.randrange(1_000, 20_000), "product": rng.choice(PRODUCTS)}
    created = _event(f"{key}-c", "deal.created", at - timedelta(days=rng.randint(5, 40)), rep, deal)
    return [created, _event(f"{key}-w", "deal.won", at, rep, {"deal_id": key})]


def _event(key: str, type_: str, at: datetime, rep: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": key, "type": type_, "occurred_at": at.isoformat(), "rep": rep, "data": data}


def ingest_here(items: list[dict[str, Any]]) -> None:
    """Record in this process; the frames leave through the message queue."""
    valid, _ = load_events(items)
    ingest([event for _, event in valid], source="simulate")


def poster(url: str, token: str) -> Callable[[list[dict[str, Any]]], None]:
    """Send through the running server's events API, which publishes to its own clients."""

    def post(items: list[dict[str, Any]]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            answer = requests.post(
                f"{url}/api/v1/events", json={"events": items}, headers=headers, timeout=10
            )
        except requests.ConnectionError as exc:
            raise click.ClickException(
                f"no server at {url}: start it (make demo), or set SOCKETIO_MESSAGE_QUEUE"
            ) from exc
        if answer.status_code != 200:
            raise click.ClickException(f"the server refused the events: {answer.text[:300]}")

    return post


@click.command("simulate")
@click.option("--events", "count", default=200, show_default=True, help="How many actions.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between actions.")
@click.option("--seed", default=None, type=int, help="Repeat the same stream.")
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The server to post to when no message queue is configured.",
)
@with_appcontext
def simulate_command(count: int, interval: float, seed: int | None, url: str) -> None:
    """Play live sales events into the demo's challenges so the leaderboards move."""
    reps = live_reps(utcnow())
    if not reps:
        raise click.ClickException("no live challenge with participants: run `flask demo` first")
    if current_app.config["SOCKETIO_MESSAGE_QUEUE"]:
        _play(count, interval, random.Random(seed), reps, ingest_here)
        throttle.flush()
        return
    admin = db.session.scalars(select(User).where(User.app_role == "admin")).first()
    if admin is None:
        raise click.ClickException("the demo has no admin to post the events as")
    token = issue_token(admin, TOKEN_NAME)
    db.session.commit()
    try:
        _play(count, interval, random.Random(seed), reps, poster(url.rstrip("/"), token))
    finally:
        _revoke_own_tokens(admin)


def _revoke_own_tokens(admin: User) -> None:
    """The simulator's tokens live only while it runs (earlier crashed runs' included)."""
    query = select(ApiToken.id).where(
        ApiToken.user_id == admin.id, ApiToken.name == TOKEN_NAME, ApiToken.revoked_at.is_(None)
    )
    for token_id in db.session.scalars(query).all():
        revoke_token(token_id, admin)
    db.session.commit()


def _play(
    count: int,
    interval: float,
    rng: random.Random,
    reps: list[str],
    send: Callable[[list[dict[str, Any]]], None],
) -> None:
    for number in range(1, count + 1):
        rep = rng.choice(reps)
        items = next_events(rng, rep)
        send(items)
        click.echo(f"{number:>4} {rep:<40} {items[-1]['type']} {items[-1]['data']}")
        time.sleep(interval)
