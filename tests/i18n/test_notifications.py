"""Notifications are written in each recipient's language, whoever's request sent them."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from gameplay.core.changes import note
from gameplay.core.models import LedgerEntry, ScoringRule
from gameplay.scoring.rules import what_counts
from kpi_engine.org.models import User
from tests.conftest import log_in
from tests.live.conftest import Org
from tests.live.test_board_wire import post_call
from tests.live.test_publishing import frames, live_client
from web import realtime
from web.extensions import db, socketio
from web.formats import written
from web.i18n import in_locale, locales_of, note_text
from web.realtime import notification_frame


def test_a_note_reads_in_each_recipients_language(app: Flask) -> None:
    badge = note(1, "badge_earned", "Badge earned: %(badge)s", badge="First deal won")
    mission = note(1, "mission_completed", "Mission completed: %(mission)s", mission="Call Acme")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert note_text(badge, "fr") == "Badge obtenu : Première affaire gagnée"
        assert note_text(badge, "en") == badge.message == "Badge earned: First deal won"
        assert note_text(mission, "fr") == "Mission accomplie : Call Acme"  # a name stays
        assert notification_frame(badge, "fr")["message"].startswith("Badge obtenu")


def test_points_are_counted_the_recipients_way(app: Flask) -> None:
    template = "+%(points)s points in %(challenge)s: %(reason)s"
    earned = note(1, "points_earned", template, 1, points=1200, challenge="Demo: upsell sprint",
                  reason="deal won")  # fmt: skip
    with app.app_context():
        assert note_text(earned, "fr") == (
            "+1\u202f200 points dans Démo : sprint montée en gamme : affaire gagnée"
        )


def test_each_recipients_language_comes_from_their_profile_then_the_organisation(
    app: Flask, org: Org
) -> None:
    app.config["ORG_LOCALE"] = "fr"
    with app.app_context():
        ann = db.session.get(User, org.ann)
        assert ann is not None
        ann.locale = "en"
        db.session.commit()
        assert locales_of(db.session(), {org.ann, org.bob}) == {org.ann: "en", org.bob: "fr"}


def test_a_points_notes_reason_reads_in_the_reps_language(app: Flask, org: Org) -> None:
    """The rule's words inside the note ("call (connected)") are the rep's language too, not
    only the sentence around them; the ledger keeps the English."""
    with app.app_context():
        rule = db.session.scalars(
            select(ScoringRule).where(ScoringRule.challenge_id == org.challenge_id)
        ).one()
        rule.outcome = "connected"
        db.session.get_one(User, org.ann).locale = "fr"
        db.session.commit()
    ann = live_client(app, "ann@example.test", org.challenge_id)
    post_call(app, org, "french-call-1")
    realtime.throttle.flush()
    [note_frame] = [f for f in frames(ann, "notification") if f["kind"] == "points_earned"]
    assert note_frame["message"] == "+10 points dans Call blitz : appel (joint)"
    with app.app_context():
        entry = db.session.scalars(select(LedgerEntry)).one()
        assert entry.reason == "call (connected)"


def test_what_a_rule_counts_is_one_sentence_in_each_language(app: Flask) -> None:
    rule = ScoringRule(fact="activity", activity_kind="call", outcome="meeting_booked",
                       product="Pro", min_amount=Decimal("1000"))  # fmt: skip
    counted = what_counts(rule)
    assert counted == "call (meeting booked), product Pro, of at least 1,000"
    with app.test_request_context(), in_locale("fr"):
        assert written(counted) == "appel (rendez-vous obtenu), produit Pro, d'au moins 1\u202f000"


def test_a_rep_who_chose_no_language_is_notified_in_their_browsers(app: Flask, org: Org) -> None:
    """Profile, organisation, then browser, for messages too: the browser's language is the one
    it asked for at their last login (a notification is written outside their requests)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    log_in(browser, "ann@example.test")
    live = socketio.test_client(app, flask_test_client=browser)
    assert live.emit("subscribe", {"challenge_id": org.challenge_id}, callback=True)["ok"]
    post_call(app, org, "browser-call-1")
    realtime.throttle.flush()
    [note_frame] = [f for f in frames(live, "notification") if f["kind"] == "points_earned"]
    assert note_frame["message"] == "+10 points dans Call blitz : appel"
    with app.app_context():
        assert locales_of(db.session(), {org.ann, org.bob}) == {org.ann: "fr", org.bob: "en"}
        app.config["ORG_LOCALE"] = "en"  # the organisation's default comes before the browser
        assert locales_of(db.session(), {org.ann}) == {org.ann: "en"}
