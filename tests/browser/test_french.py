"""The rep's and the manager's main pages walked in French on a phone: no English string and
French formats; the same walk in English passes too. Screenshots in test-artifacts/screenshots/
(french-*, english-*). The organisation's default language (ORG_LOCALE) sets the language here;
tests/i18n/test_negotiation.py covers the profile's choice and the browser's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from gameplay.core.models import Challenge, Participant
from kpi_engine.org.models import User
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD
from tests.live_server import running_server
from web.extensions import db

pytestmark = pytest.mark.browser

REP, MANAGER = "darcel.schlecht@example.com", "melvin.marxen@example.com"

# Words and phrases of the English pages; none may show on a French page (words French shares,
# such as "Challenges", "Badges" or "Participation", are left out).
ENGLISH = [
    "My challenges", "Log out", "Log activity", "Profile", "Leaderboard",
    "How to win", "My missions", "Standings", "Rewards", "Level", "points to spend",
    "day streak", " left", "rank", "Redeem", "Save", "Language", "Mute these", "My recent",
    "No deals", "closed ", "opened ", "My teams", "Won revenue", "Win rate", "no data",
    "New challenge", "Proofs to review", "Wall screen", "live leaderboard",
    "Approve", "Reject", "Scorecard", "scorecard", "Revenue won", "Stage funnel", "on track",
    "off track", "watch", "Export CSV", "Decision log", "Target", "Period", "Show", "previous",
    "last year", "projected", "Demo:", " per ", " win", "Rookie", "Coffee voucher",
    "Complete the product training", "waiting for", "Skip to content", "scheduled", "ended",
    "activity",
]  # fmt: skip
FRENCH_FORMATS = {
    # a decimal comma, a space before % (no-break), a French date or a euro/dollar amount
    "percent": re.compile(r"\d,\d\s%"),
    "date": re.compile(r"\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.?"
                       r" \d{4}|\d{2}/\d{2}/\d{4}"),
}  # fmt: skip


def _pages(app: Flask) -> dict[str, list[tuple[str, str]]]:
    """The rep's and the manager's main pages, by role: (name, path)."""
    with app.app_context():
        s = db.session()
        rep = s.scalars(select(User).where(User.email == REP)).one()
        live = select(Participant.challenge_id).where(Participant.user_id == rep.id)
        challenge = s.scalars(select(Challenge).where(Challenge.id.in_(live))).first()
        assert challenge is not None
        db.engine.dispose()
    return {
        REP: [
            ("rep-home", "/"),
            ("rep-challenges", "/play"),
            ("rep-challenge", f"/play/challenges/{challenge.id}"),
            ("rep-profile", "/play/profile"),
            ("rep-kpis", "/dashboards"),
        ],
        MANAGER: [
            ("manager-home", "/"),
            ("manager-challenges", "/manage"),
            ("manager-challenge", f"/manage/challenges/{challenge.id}"),
            ("manager-kpis", "/dashboards"),
        ],
    }


@pytest.fixture(params=["fr", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(demo_world_app: Flask, language: str) -> Iterator[str]:
    with demo_world_app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url, ORG_LOCALE=language, ORG_TIMEZONE="Europe/Paris") as base:
        yield base


def _visible_text(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def test_the_main_pages_speak_the_organisations_language(
    browser: webdriver.Chrome, server: str, demo_world_app: Flask, language: str
) -> None:
    seen: dict[str, str] = {}
    for email, pages in _pages(demo_world_app).items():
        browser.delete_all_cookies()
        sign_in(browser, server, email, PASSWORD)
        for name, path in pages:
            browser.get(server + path)
            text = _visible_text(browser)
            assert "Erreur 4" not in text and "Error 4" not in text, (path, text[:300])
            screenshot(browser, f"{'french' if language == 'fr' else 'english'}-{name}")
            seen[name] = text
    everything = "\n".join(seen.values())
    if language == "fr":
        found = {w: n for n, t in seen.items() for w in ENGLISH if w in t}
        assert not found, found
        assert "Mes challenges" in seen["rep-challenges"] and "Comment gagner" in everything
        assert "il reste" in seen["rep-challenges"]
        assert FRENCH_FORMATS["percent"].search(seen["manager-home"]), seen["manager-home"]
        assert FRENCH_FORMATS["date"].search(everything)
        assert re.search(r"\d\s\$", seen["rep-home"]), seen["rep-home"][:500]  # 1 234 $
    else:
        assert "My challenges" in seen["rep-challenges"] and "How to win" in everything
        assert " left" in seen["rep-challenges"] and "win rate" in seen["manager-home"].lower()
        assert re.search(r"\d\.\d%", seen["manager-home"])
        assert not [w for w in ("Mes challenges", "Comment gagner", "il reste") if w in everything]
