"""Moments on a 390x844 phone: the "passed you" note naming the rep, confetti on a badge, the
winner screen on the next visit, and one toast at most after a burst; screenshots kept."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from gameplay.core.models import Challenge
from gameplay.manage.finalization import finalize_due
from kpi_engine.db import utcnow
from tests.browser.conftest import CHROMIUM_FLAGS, screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD
from tests.live.conftest import Org, build_org, post_call
from tests.live_server import running_server
from web.extensions import db

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": True}
ANN = "ann@example.test"


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[WebDriver]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "browser tests need Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


@pytest.fixture
def org(app: Flask) -> Org:
    return build_org(app)


@pytest.fixture
def pictures(tmp_path: Path) -> str:
    """The server's picture folder for this test (never the instance folder)."""
    return str(tmp_path / "avatars")


@pytest.fixture
def base(org: Org, database_url: str, pictures: str) -> Iterator[str]:
    with running_server(database_url, AVATAR_FOLDER=pictures) as url:
        yield url


def open_board(phone: WebDriver, base: str, org: Org) -> None:
    sign_in(phone, base, ANN, PASSWORD)
    phone.get(f"{base}/play/challenges/{org.challenge_id}")
    wait_live(phone)  # connected, subscribed, and the snapshot drawn


def wait_live(phone: WebDriver) -> None:
    """Until the board's status line says it is live (the server heard, the board current)."""
    status = (By.CSS_SELECTOR, "[data-live-state]")
    WebDriverWait(phone, 15).until(lambda p: p.find_element(*status).text == "live")


def toast_text(phone: WebDriver) -> str:
    """The text of the toast on screen (read in one go: toasts come and go meanwhile)."""
    script = "return [...document.querySelectorAll('#toasts .toast')].map((t) => t.textContent)"
    return " ".join(phone.execute_script(script))


def test_the_rep_passed_is_told_who_passed_them_and_by_how_much(
    phone: WebDriver, base: str, org: Org
) -> None:
    open_board(phone, base, org)
    post_call(base, org.token, ANN, "ann-1")
    post_call(base, org.token, "bob@example.test", "bob-1")
    post_call(base, org.token, "bob@example.test", "bob-2")
    WebDriverWait(phone, 15, poll_frequency=0.1).until(
        lambda p: "Bob passed you in Call blitz (20 vs 10)" in toast_text(p)
    )
    face = "return document.querySelector('#toasts .toast .avatar').dataset.initials"
    assert phone.execute_script(face) == "B"  # Bob's face on the note
    gap = phone.find_element(By.CSS_SELECTOR, "[data-gap]")
    WebDriverWait(phone, 15).until(lambda p: gap.text == "11 pts to pass Bob")
    screenshot(phone, "moments-passed-you")


def test_a_badge_sets_off_confetti(phone: WebDriver, base: str, org: Org) -> None:
    open_board(phone, base, org)
    won = {
        "id": "ann-first-deal",
        "type": "deal.won",
        "occurred_at": utcnow().isoformat(),
        "rep": ANN,
        "data": {"deal_id": "D-1", "account": "Acme", "amount": 1200},
    }
    headers = {"Authorization": f"Bearer {org.token}"}
    answer = requests.post(f"{base}/api/v1/events", json=won, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    WebDriverWait(phone, 10, poll_frequency=0.1).until(lambda p: "First deal won" in toast_text(p))
    canvas = phone.find_element(By.CSS_SELECTOR, "canvas[data-confetti]")
    assert int(canvas.get_attribute("data-bursts") or 0) >= 1
    assert phone.execute_script("return typeof window.confetti") == "function"
    time.sleep(0.3)  # the pieces in flight
    screenshot(phone, "moments-badge-confetti")


def test_a_rep_away_at_the_end_sees_the_winner_screen_once_on_the_next_visit(
    phone: WebDriver, base: str, org: Org, app: Flask
) -> None:
    post_call(base, org.token, ANN, "ann-1")
    post_call(base, org.token, "bob@example.test", "bob-1")
    post_call(base, org.token, "bob@example.test", "bob-2")
    with app.app_context():  # the scheduler's work, while Ann is away
        challenge = db.session.get(Challenge, org.challenge_id)
        assert challenge is not None
        challenge.ends_at = utcnow() - timedelta(minutes=1)
        finalize_due(db.session(), now=utcnow())
        db.session.commit()
        db.engine.dispose()
    sign_in(phone, base, ANN, PASSWORD)
    phone.get(f"{base}/play")
    finale = phone.find_element(By.CSS_SELECTOR, f'[data-finale="{org.challenge_id}"]')
    WebDriverWait(phone, 15).until(lambda p: "Call blitz" in finale.text)  # shown, faded in
    words = finale.text
    assert "CHALLENGE OVER" in words and "Call blitz" in words
    assert "You finished #2 with 10 points." in words and "Bob" in words
    assert finale.find_elements(By.CSS_SELECTOR, ".finale-podium .avatar")
    time.sleep(0.4)
    screenshot(phone, "moments-winner-screen")
    finale.find_element(By.CSS_SELECTOR, "[data-finale-close]").click()
    WebDriverWait(phone, 15).until(lambda p: not finale.is_displayed())
    phone.get(f"{base}/play")
    wait_for_text(phone, "Challenges")
    again = phone.find_element(By.CSS_SELECTOR, f'[data-finale="{org.challenge_id}"]')
    time.sleep(0.5)
    assert not again.is_displayed()  # seen: not shown a second time


WATCH_TOASTS = """
window.toastWatch = {most: 0, tallest: 0, seen: []};
const box = document.getElementById("toasts");
new MutationObserver(() => {
  const shown = box.querySelectorAll(".toast");
  toastWatch.most = Math.max(toastWatch.most, shown.length);
  toastWatch.tallest = Math.max(toastWatch.tallest, box.getBoundingClientRect().height);
  shown.forEach((t) => toastWatch.seen.push(t.textContent));
}).observe(box, {childList: true, subtree: true, characterData: true});
"""


def test_a_burst_of_twenty_events_shows_one_toast_at_a_time_in_a_quarter_screen(
    phone: WebDriver, base: str, org: Org
) -> None:
    open_board(phone, base, org)
    phone.execute_script(WATCH_TOASTS)
    for n in range(20):
        post_call(base, org.token, ANN, f"burst-{n}")
    WebDriverWait(phone, 10, poll_frequency=0.05).until(
        lambda p: p.execute_script("return toastWatch.seen.some((t) => /more/.test(t))")
    )
    screenshot(phone, "moments-burst-toast")
    time.sleep(2)
    watch = phone.execute_script("return toastWatch")
    height = phone.execute_script("return window.innerHeight")
    assert watch["most"] == 1, watch
    assert 0 < watch["tallest"] <= height / 4, (watch, height)


def test_a_rep_uploads_a_picture_and_their_face_shows_on_the_board(
    phone: WebDriver, base: str, org: Org, tmp_path: Path
) -> None:
    picture = tmp_path / "me.png"
    Image.new("RGB", (800, 600), (30, 120, 200)).save(picture)
    sign_in(phone, base, ANN, PASSWORD)
    phone.get(f"{base}/play/profile")
    phone.find_element(By.ID, "avatar").send_keys(str(picture))
    upload = phone.find_element(By.CSS_SELECTOR, "#avatar-title ~ form button[type=submit]")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", upload)
    upload.click()
    wait_for_text(phone, "Picture saved.", timeout=30)
    face = phone.find_element(By.CSS_SELECTOR, "h1 .avatar img")
    assert face.get_attribute("naturalWidth") == "256"
    assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE["width"]
    phone.execute_script("window.scrollTo(0, 0)")
    screenshot(phone, "moments-profile-picture")
    phone.get(f"{base}/play/challenges/{org.challenge_id}")
    wait_live(phone)
    # Once the live snapshot has redrawn the rows, the face is still the picture.
    WebDriverWait(phone, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda p: (
            f"/avatars/{org.ann}.webp?v="
            in (
                p.find_element(By.CSS_SELECTOR, "[data-rows] tr.me .avatar img").get_attribute(
                    "src"
                )
                or ""
            )
        )
    )


def test_a_rep_watching_the_board_sees_the_winner_screen_when_the_scheduler_ends_it(
    phone: WebDriver, org: Org, app: Flask, database_url: str, pictures: str
) -> None:
    with running_server(database_url, SCHEDULER_INTERVAL="0.5", AVATAR_FOLDER=pictures) as base:
        post_call(base, org.token, "bob@example.test", "bob-1")
        open_board(phone, base, org)
        phone.execute_script("window.stillTheSamePage = true")
        with app.app_context():  # the board is open: the challenge ends two seconds from now
            challenge = db.session.get(Challenge, org.challenge_id)
            assert challenge is not None
            challenge.ends_at = utcnow() + timedelta(seconds=2)
            db.session.commit()
            db.engine.dispose()
        finale = WebDriverWait(phone, 30, poll_frequency=0.2).until(
            lambda p: [
                f for f in p.find_elements(By.CSS_SELECTOR, "[data-finale]") if "Bob" in f.text
            ]
        )[0]
        assert "Call blitz" in finale.text and "Bob" in finale.text
        assert phone.execute_script("return window.stillTheSamePage === true")  # no reload
        time.sleep(0.4)
        screenshot(phone, "moments-winner-screen-live")
