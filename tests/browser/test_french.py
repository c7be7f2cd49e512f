"""The rep's and the manager's main pages, the impact pages, the import page, the wall's setup
and a wall screen, walked in French on a phone: no English string and French formats; the same
walk in English passes too. Screenshots in test-artifacts/screenshots/ (french-*, english-*).
The organisation's default language (ORG_LOCALE) sets the language here (a wall follows its
link's manager, who chose none); tests/i18n/test_negotiation.py covers the profile's choice and
the browser's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from gameplay.channels.wall_screens import Slide, set_playlist
from gameplay.core.models import Challenge, Participant
from gameplay.impact.report import ended_challenges
from gameplay.manage.challenges import managed_challenges
from kpi_engine.db import utcnow
from kpi_engine.org.membership import teams_of
from kpi_engine.org.models import User
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD
from tests.live_server import running_server
from web.extensions import db
from web.wall_links import create_wall_link

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
    # the impact pages, the import pages, the wall and its setup
    "Impact on KPIs", "Participation intensity", "Before and during", "Naive difference",
    "Verdict", "no detectable effect", "too noisy", "no claim", "Uplift", "Cost and return",
    "Record a past campaign", "Choose the KPIs", "% interval", "not measurable", "comparison",
    "difference in differences", "would make it measurable", "too few", "Window", "Holdout",
    "of the audience", "Recent imports", "Dry run", "CSV files", "Read it from", "Slides",
    "Seconds per slide", "Recent wins", "Whole organisation", "takes the lead", "Team battle",
    "KPI tile", "nothing —", "wall screen", "Links", "No points yet", "last 7 days",
    "connecting", "Pooled", "Points awarded", "Reward cost", "ended challenges", "The numbers",
]  # fmt: skip
FRENCH_FORMATS = {
    # a decimal comma, a space before % (no-break), a French date or a euro/dollar amount
    "percent": re.compile(r"\d,\d\s%"),
    "date": re.compile(r"\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.?"
                       r" \d{4}|\d{2}/\d{2}/\d{4}"),
}  # fmt: skip


FITS = "return document.documentElement.scrollWidth <= window.innerWidth"
# Shows the nth slide alone, as js/wall.js does in turn (it would move on only after a minute).
SHOW_SLIDE = (
    "document.querySelectorAll('[data-slide]').forEach((s, i) => s.hidden = i !== arguments[0])"
)


def _pages(app: Flask) -> dict[str, list[tuple[str, str]]]:
    """The rep's and the manager's main pages, by role: (name, path)."""
    with app.app_context():
        s, now = db.session(), utcnow()
        rep = s.scalars(select(User).where(User.email == REP)).one()
        manager = s.scalars(select(User).where(User.email == MANAGER)).one()
        live = select(Participant.challenge_id).where(Participant.user_id == rep.id)
        challenge = s.scalars(select(Challenge).where(Challenge.id.in_(live))).first()
        assert challenge is not None
        ended = ended_challenges(s, manager, now=now)
        measured = ended[0] if ended else challenge
        wall = managed_challenges(s, manager, now=now)[0].id
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
            ("manager-builder", "/manage/challenges/new"),
            ("manager-impact", f"/impact/challenges/{measured.id}"),
            ("manager-leadership-impact", "/impact"),
            ("manager-past-campaign", "/impact/past-campaigns/new"),
            ("manager-imports", "/imports"),
            ("manager-wall-setup", f"/manage/challenges/{wall}/wall"),
        ],
    }


def _wall_link(app: Flask) -> str:
    """A wall-screen link of the manager's first challenge, showing its board, a KPI tile and
    the recent wins."""
    with app.app_context():
        s, now = db.session(), utcnow()
        manager = s.scalars(select(User).where(User.email == MANAGER)).one()
        challenge = managed_challenges(s, manager, now=now)[0]
        team = teams_of(s, manager)[0].id
        slides = [Slide("board", challenge_id=challenge.id), Slide("kpi", kpi="win_rate",
                  team_id=team, period="month"), Slide("wins", team_id=team)]  # fmt: skip
        set_playlist(s, manager, challenge.id, slides, seconds=60, big_deal=None, now=now)
        token = create_wall_link(s, challenge, manager)
        s.commit()
        db.engine.dispose()
    return token


@pytest.fixture(params=["fr", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(demo_world_app: Flask, language: str) -> Iterator[str]:
    with demo_world_app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    # The server signs wall links with the same secret as the app that made the test's one.
    secret = demo_world_app.config["SECRET_KEY"]
    with running_server(url, ORG_LOCALE=language, ORG_TIMEZONE="Europe/Paris",
                        SECRET_KEY=secret) as base:  # fmt: skip
        yield base


def _visible_text(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def _wall_text(browser: webdriver.Chrome, server: str, token: str, language: str) -> str:
    """The wall screen's words, each slide shown in turn (a screenshot of each)."""
    browser.delete_all_cookies()
    browser.get(f"{server}/wall/{token}")
    prefix, texts = "french" if language == "fr" else "english", []
    count = browser.execute_script("return document.querySelectorAll('[data-slide]').length")
    for n in range(count):
        browser.execute_script(SHOW_SLIDE, n)
        screenshot(browser, f"{prefix}-wall-{n + 1}")
        texts.append(_visible_text(browser))
    return "\n".join(texts)


def _around(text: str, word: str) -> str:
    return text[max(0, text.find(word) - 80) :][:160]


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
            # Longer French words must still fit the phone: no page scrolls sideways.
            assert browser.execute_script(FITS), (path, "scrolls sideways")
            screenshot(browser, f"{'french' if language == 'fr' else 'english'}-{name}")
            seen[name] = text
    seen["wall"] = _wall_text(browser, server, _wall_link(demo_world_app), language)
    everything = "\n".join(seen.values())
    if language == "fr":
        found = {w: n for n, t in seen.items() for w in ENGLISH if w in t}
        assert not found, {w: _around(seen[n], w) for w, n in found.items()}
        assert "Mes challenges" in seen["rep-challenges"] and "Comment gagner" in everything
        assert "il reste" in seen["rep-challenges"]
        assert FRENCH_FORMATS["percent"].search(seen["manager-home"]), seen["manager-home"]
        assert FRENCH_FORMATS["date"].search(everything)
        assert re.search(r"\d\s\$", seen["rep-home"]), seen["rep-home"][:500]  # 1 234 $
        assert "Impact sur les indicateurs" in seen["manager-impact"]
        assert re.search(r"\d\s%", seen["manager-impact"]), seen["manager-impact"][:500]
        assert "Écran mural" in seen["manager-wall-setup"] and "Classement" in seen["wall"]
    else:
        assert "My challenges" in seen["rep-challenges"] and "How to win" in everything
        assert " left" in seen["rep-challenges"] and "win rate" in seen["manager-home"].lower()
        assert re.search(r"\d\.\d%", seen["manager-home"])
        assert not [w for w in ("Mes challenges", "Comment gagner", "il reste") if w in everything]
        assert "Impact on KPIs" in seen["manager-impact"] and "Recent wins" in seen["wall"]
