"""The wall screen on a 1920x1080 TV, in headless Chromium against the real server: the top ten
of a long board readable from across the room, the board gliding down to the rest, the
playlist rotating, and a celebration interrupting it when someone takes the lead; screenshots
are kept."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gameplay.channels.wall_moments import note_leaders
from gameplay.channels.wall_screens import Slide, set_playlist
from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge, launch_challenge
from kpi_engine.db import utcnow
from tests.browser.conftest import CHROMIUM_FLAGS, screenshot
from tests.factories import make_team, make_user
from tests.live_server import running_server
from web.auth import issue_token
from web.extensions import db
from web.wall_links import create_wall_link

pytestmark = pytest.mark.browser
TV = (1920, 1080)
SECONDS = 5  # per slide: the shortest a manager may choose
REPS = 14  # more than a TV shows at once


@dataclass(frozen=True)
class Floor:
    base: str
    wall: str
    token: str


@pytest.fixture
def tv(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Chromium with a 1920x1080 viewport, as a TV on the sales floor shows the page."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "browser tests need Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    metrics = {"width": TV[0], "height": TV[1], "deviceScaleFactor": 1, "mobile": False}
    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


@pytest.fixture
def floor(app: Flask, database_url: str) -> Iterator[Floor]:
    """A team of 14 reps in a live call challenge, each with a few calls (rep 1 leads); its
    wall shows the board, then recent wins, 5 s each, and has noted who leads."""
    with app.test_request_context():
        s, now = db.session(), utcnow()
        manager = make_user(s, app_role="manager", email="boss@example.test")
        team = make_team(s, name="Hunters", manager=manager)
        reps = [
            make_user(s, name=f"Rep Number {n:02d}", email=f"rep{n}@example.test", team=team)
            for n in range(1, REPS + 1)
        ]
        spec = {
            "name": "Call blitz", "kind": "prospecting", "format": "leaderboard",
            "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=6),
            "timezone": "UTC", "audience": {"team_ids": [team.id]}, "enrolment": "auto",
            "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
        }  # fmt: skip
        blitz = create_challenge(s, spec, manager, now=now)
        launch_challenge(s, blitz.id, manager, now=now)
        slides = [Slide("board", challenge_id=blitz.id), Slide("wins")]
        set_playlist(s, manager, blitz.id, slides, seconds=SECONDS, big_deal=None, now=now)
        wall = create_wall_link(s, s.get_one(Challenge, blitz.id), manager)
        token = issue_token(manager)
        s.commit()
        emails, blitz_id = [r.email for r in reps], blitz.id
    # The server signs wall links with the same secret as the app that made this one.
    with running_server(database_url, SECRET_KEY=app.config["SECRET_KEY"]) as base:
        for n, email in enumerate(emails):
            _calls(base, token, email, REPS + 1 - n if n else REPS + 5, f"warm-{n}")
        with app.app_context():
            note_leaders(db.session(), [blitz_id], now=utcnow())
            db.session.commit()
        yield Floor(base, wall, token)


def _calls(base: str, token: str, email: str, n: int, tag: str) -> None:
    events = [
        {"id": f"{tag}-{i}", "type": "activity.logged", "occurred_at": utcnow().isoformat(),
         "rep": email, "data": {"kind": "call", "outcome": "connected"}}
        for i in range(n)
    ]  # fmt: skip
    answer = requests.post(
        f"{base}/api/v1/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["accepted"] == n, answer.text


def _current(tv: webdriver.Chrome) -> str:
    return str(tv.execute_script("return document.body.dataset.current"))


def test_the_wall_fits_the_top_ten_glides_rotates_and_stops_for_a_new_leader(
    tv: webdriver.Chrome, floor: Floor
) -> None:
    tv.get(f"{floor.base}/wall/{floor.wall}")
    WebDriverWait(tv, 10).until(
        lambda d: "live" in d.find_element(By.CSS_SELECTOR, "[data-live-state]").text
    )
    rows = tv.find_elements(By.CSS_SELECTOR, ".slide:not([hidden]) .wall-board tbody tr")
    assert len(rows) == REPS and " ".join(rows[0].text.split()).startswith("1 Rep Number 01")
    top_ten = tv.execute_script(
        """return [...document.querySelectorAll('.slide:not([hidden]) tbody tr')].slice(0, 10)
             .map((tr) => [tr.getBoundingClientRect().bottom,
                           parseFloat(getComputedStyle(tr.cells[1]).fontSize)])"""
    )
    assert all(bottom <= TV[1] for bottom, _ in top_ten), "the top ten fit the screen"
    assert min(size for _, size in top_ten) >= 40, "names readable from across the room"
    screenshot(tv, "wall-tv-board-1920")

    glided = (
        "const board = document.querySelector('.slide:not([hidden]) .wall-board');"
        "return -new DOMMatrix(getComputedStyle(board).transform).m42;"
    )
    WebDriverWait(tv, SECONDS).until(lambda d: d.execute_script(glided) > 50)
    WebDriverWait(tv, SECONDS + 5).until(lambda d: _current(d) == "1")
    assert "Recent wins" in tv.find_element(By.CSS_SELECTOR, ".slide:not([hidden])").text
    screenshot(tv, "wall-tv-wins-1920")
    WebDriverWait(tv, SECONDS + 5).until(lambda d: _current(d) == "0")

    _calls(floor.base, floor.token, "rep2@example.test", 8, "overtake")
    moment = tv.find_element(By.CSS_SELECTOR, "[data-moment]")
    WebDriverWait(tv, 5, poll_frequency=0.05).until(lambda d: moment.is_displayed())
    appeared, shown_at = time.monotonic(), _current(tv)
    WebDriverWait(tv, 5).until(lambda d: "Call blitz" in moment.text)  # after its entrance
    assert "Rep Number 02 takes the lead" in moment.text
    screenshot(tv, "wall-tv-moment-1920")
    # The playlist waits while the floor celebrates: past a slide's time, the moment is on.
    time.sleep(max(0.0, appeared + SECONDS + 0.5 - time.monotonic()))
    assert moment.is_displayed() and _current(tv) == shown_at
    WebDriverWait(tv, 10).until(lambda d: not moment.is_displayed())
    WebDriverWait(tv, 2 * SECONDS + 5).until(lambda d: _leader(d).startswith("1 Rep Number 02"))


def _leader(tv: webdriver.Chrome) -> str:
    """The first row of the board when the board is the slide on screen."""
    found = tv.execute_script(
        "const row = document.querySelector('.slide:not([hidden]) .wall-board tbody tr');"
        "return row ? row.innerText : '';"
    )
    return " ".join(str(found).split())
