"""The rep's phone at 360x740: the live board moves without a reload; screenshots kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import Participant
from gameplay.manage.challenges import create_challenge, launch_challenge
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from tests.browser.conftest import screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD
from tests.live_server import running_server
from web.auth import issue_token
from web.extensions import db

pytestmark = pytest.mark.browser
REP = "darcel.schlecht@example.com"
MANAGER = "melvin.marxen@example.com"


@dataclass(frozen=True)
class LiveDemo:
    base: str
    challenge_id: int
    token: str
    rival_email: str


def add_live_challenge(s: Session) -> tuple[int, str]:
    """A live blitz for the rep's team (its window has no past sales, so launching is quick)."""
    rep = s.scalars(select(User).where(User.email == REP)).one()
    admin = s.scalars(select(User).where(User.app_role == "admin")).first()
    assert admin is not None and rep.team_id is not None
    now = utcnow()
    spec = {
        "name": "Floor blitz",
        "kind": "prospecting",
        "format": "leaderboard",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=7),
        "audience": {"team_ids": [rep.team_id]},
        "rules": [
            {"fact": "activity", "activity_kind": "call", "points": 1},
            {"fact": "activity", "outcome": "meeting_booked", "points": 10},
        ],
        "missions": [{"name": "Book 3 meetings", "outcome": "meeting_booked", "target": 3}],
    }
    challenge = create_challenge(s, spec, admin, now=now)
    launch_challenge(s, challenge.id, admin, now=now)
    return challenge.id, issue_token(admin)


@pytest.fixture
def live_demo(demo_app: Flask) -> Iterator[LiveDemo]:
    """The demo with a live challenge for the rep's team, served by the real server process."""
    with demo_app.app_context():
        s = db.session()
        challenge_id, token = add_live_challenge(s)
        rival = s.scalars(
            select(User.email)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.challenge_id == challenge_id, User.email != REP)
        ).first()
        assert rival is not None
        s.commit()
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url) as base:
        yield LiveDemo(base, challenge_id, token, rival)


def board_version(browser: WebDriver) -> int:
    return int(browser.find_element(By.CSS_SELECTOR, "[data-board]").get_attribute("data-version"))


def test_the_board_moves_without_a_reload_when_another_rep_scores(
    browser: WebDriver, live_demo: LiveDemo
) -> None:
    sign_in(browser, live_demo.base, REP, PASSWORD)
    browser.get(f"{live_demo.base}/play")
    wait_for_text(browser, "Floor blitz")
    screenshot(browser, "rep-challenges")
    browser.get(f"{live_demo.base}/play/challenges/{live_demo.challenge_id}")
    status = (By.CSS_SELECTOR, "[data-live-state]")
    WebDriverWait(browser, 10).until(lambda b: b.find_element(*status).text == "live")
    screenshot(browser, "rep-challenge")
    browser.execute_script("window.stillTheSamePage = true")
    before = board_version(browser)
    event = {
        "id": "browser-test-meeting",
        "type": "activity.logged",
        "occurred_at": utcnow().isoformat(),
        "rep": live_demo.rival_email,
        "data": {"kind": "call", "outcome": "meeting_booked"},
    }
    headers = {"Authorization": f"Bearer {live_demo.token}"}
    posted = requests.post(
        f"{live_demo.base}/api/v1/events", json=event, headers=headers, timeout=10
    )
    assert posted.status_code == 200, posted.text
    sent = time.monotonic()
    WebDriverWait(browser, 2).until(lambda b: board_version(b) > before)
    assert time.monotonic() - sent <= 2
    assert browser.execute_script("return window.stillTheSamePage === true")
    assert browser.find_elements(By.CSS_SELECTOR, "tr.moved, tr.me")
    browser.execute_script("document.querySelector('[data-board]').scrollIntoView()")
    screenshot(browser, "rep-challenge-live")


def test_profile_and_manager_builder_on_a_phone(browser: WebDriver, live_demo: LiveDemo) -> None:
    sign_in(browser, live_demo.base, REP, PASSWORD)
    browser.get(f"{live_demo.base}/play/profile")
    wait_for_text(browser, "Level")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(browser, "rep-profile")
    browser.delete_all_cookies()
    sign_in(browser, live_demo.base, MANAGER, PASSWORD)
    browser.get(f"{live_demo.base}/manage/challenges/new?template=onboarding")
    wait_for_text(browser, "New challenge")
    first = browser.find_element(By.ID, "missions-0-name").get_attribute("value")
    assert first == "Complete the product training"
    screenshot(browser, "manager-builder")
