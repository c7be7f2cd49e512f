"""Notifications are written in each recipient's language, whoever's request sent them."""

from __future__ import annotations

from flask import Flask

from gameplay.core.changes import note
from kpi_engine.org.models import User
from tests.live.conftest import Org
from web.extensions import db
from web.i18n import locales_of, note_text
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
