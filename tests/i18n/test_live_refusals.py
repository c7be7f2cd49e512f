"""A live board's refusals (Socket.IO answers) are in the caller's language, as live.js shows
them in place of "live"."""

from __future__ import annotations

from flask import Flask

from kpi_engine.org.models import User
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db, socketio


def test_a_refused_subscription_says_why_in_the_callers_language(app: Flask, org: Org) -> None:
    with app.app_context():
        cat = db.session.query(User).filter_by(email="cat@example.test").one()
        cat.locale = "fr"
        db.session.commit()
    http = app.test_client()
    log_in(http, "cat@example.test")
    client = socketio.test_client(app, flask_test_client=http)
    answer = client.emit("subscribe", {"challenge_id": org.challenge_id}, callback=True)
    assert answer["reason"] == "vous ne pouvez pas voir le classement de ce challenge"
    answer = client.emit("subscribe", {"challenge_id": 0}, callback=True)
    assert answer["reason"] == "challenge_id doit être un nombre entier de 1 à 2147483647"
    answer = client.emit("snapshot", {"challenge_id": org.challenge_id}, callback=True)
    assert answer == {"ok": False, "reason": "abonnez-vous d'abord à ce challenge"}
