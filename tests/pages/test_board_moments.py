"""A deal won on a board the rep watches is celebrated there, after the commit only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.manage.finalization import finalize_due
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import SalesEvent
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db, socketio
from web.ingest import ingest
from web.realtime import commit_and_publish


def _deal_race(app: Flask, org: Org) -> int:
    """A second live challenge for the same team, won deals scoring 10."""
    with app.app_context():
        s, now = db.session(), utcnow()
        blitz = s.get(Challenge, org.challenge_id)
        manager = s.scalar(select(User).where(User.email == "boss@example.test"))
        assert blitz is not None and manager is not None
        spec = {
            "name": "Deal race", "kind": "custom", "format": "leaderboard",
            "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=6),
            "timezone": "UTC", "audience": blitz.audience, "enrolment": "auto",
            "rules": [{"fact": "deal_won", "points": 10}],
        }  # fmt: skip
        challenge = create_challenge(s, spec, manager, now=now)
        launch_challenge(s, challenge.id, manager, now=now)
        s.commit()
        return challenge.id


def test_a_won_deal_is_celebrated_on_its_board_after_the_commit_and_never_for_a_rollback(
    app: Flask, org: Org
) -> None:
    race = _deal_race(app, org)
    flask_client = app.test_client()
    log_in(flask_client, "bob@example.test")
    bob = socketio.test_client(app, flask_test_client=flask_client)
    assert bob.emit("subscribe", {"challenge_id": race}, callback=True) == {"ok": True}
    bob.get_received()
    now, deal = utcnow(), {"deal_id": "D-1", "account": "Acme", "amount": 1200}
    with app.test_request_context(), pytest.raises(Invalid):
        ingest(
            [SalesEvent("w-1", "deal.won", now, "ann@example.test", deal),
             SalesEvent("w-2", "deal.won", now, "nobody@example.test", {"deal_id": "D-2"})],
            source="api", whole=True,
        )  # fmt: skip
    assert [m for m in bob.get_received() if m["name"] == "board_moment"] == []
    with app.test_request_context():
        ingest([SalesEvent("w-3", "deal.won", now, "ann@example.test", deal)], source="api")
    moments = [m["args"][0] for m in bob.get_received() if m["name"] == "board_moment"]
    assert moments == [
        {"kind": "deal_won", "title": "Ann won a deal", "line": "Deal race · 1,200 USD",
         "challenge_id": race}
    ]  # fmt: skip


def test_a_won_deal_is_celebrated_in_the_organisations_language(app: Flask, org: Org) -> None:
    race = _deal_race(app, org)
    app.config["ORG_LOCALE"] = "fr"
    flask_client = app.test_client()
    log_in(flask_client, "bob@example.test")
    bob = socketio.test_client(app, flask_test_client=flask_client)
    assert bob.emit("subscribe", {"challenge_id": race}, callback=True) == {"ok": True}
    bob.get_received()
    deal = {"deal_id": "D-1", "account": "Acme", "amount": 1200}
    with app.test_request_context():
        ingest([SalesEvent("w-1", "deal.won", utcnow(), "ann@example.test", deal)], source="api")
    (moment,) = [m["args"][0] for m in bob.get_received() if m["name"] == "board_moment"]
    assert moment["title"] == "Ann a gagné une affaire"
    # French groups thousands with a narrow no-break space.
    assert moment["line"].replace("\u202f", " ") == "Deal race · 1 200 USD"


def test_everyone_watching_a_board_hears_when_its_challenge_is_over(app: Flask, org: Org) -> None:
    flask_client = app.test_client()
    log_in(flask_client, "bob@example.test")
    bob = socketio.test_client(app, flask_test_client=flask_client)
    assert bob.emit("subscribe", {"challenge_id": org.challenge_id}, callback=True) == {"ok": True}
    bob.get_received()
    with app.test_request_context():
        challenge = db.session.get(Challenge, org.challenge_id)
        assert challenge is not None
        challenge.ends_at = utcnow() - timedelta(seconds=1)
        _, changes = finalize_due(db.session(), now=utcnow())
        commit_and_publish(changes)  # nobody scored: no winner, no note; the screen still shows
    moments = [m["args"][0] for m in bob.get_received() if m["name"] == "board_moment"]
    assert moments == [
        {"kind": "finale", "title": "Call blitz is over", "line": "",
         "challenge_id": org.challenge_id}
    ]  # fmt: skip
