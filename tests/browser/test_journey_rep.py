"""The rep's journey, walked once as a person does, on a phone (390x844) and a desktop
(1440x900): log in → my challenges → a challenge (board, missions in order with their states)
→ a proof without a link, then one with a link → profile → redeem a reward → log an activity in
two taps and read the points it earned. At every page: no sideways scroll, no browser console
error, no error page; each step leaves a screenshot in test-artifacts/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from gameplay.core.models import Proof, Reward
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.manage.rewards import redeem
from gameplay.scoring.engine import record_sales_events
from gameplay.scoring.missions import review_proof
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import SalesEvent
from tests.browser.conftest import CHROMIUM_FLAGS, screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD
from tests.live_server import running_server
from web.extensions import db

pytestmark = pytest.mark.browser

REP, MANAGER = "darcel.schlecht@example.com", "melvin.marxen@example.com"
JOURNEY = "First week at SalesQuest"
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def chrome(tmp_path: Path, size: str) -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "browser tests need Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    width, height = SIZES[size]
    if size == "phone":
        metrics = {"width": width, "height": height, "pixelRatio": 2.0, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    else:
        options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(driver))
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


def _journey_world(app: Flask) -> dict[str, Any]:
    """On the demo org: an ordered journey live now for the rep's team, with a rule that pays
    calls, a few calls already logged, and two rewards: one the rep can afford, one not."""
    with app.app_context():
        s, now = db.session(), utcnow()
        rep = s.scalars(select(User).where(User.email == REP)).one()
        manager = s.scalars(select(User).where(User.email == MANAGER)).one()
        spec = {
            "name": JOURNEY,
            "kind": "onboarding",
            "format": "leaderboard",
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=3, hours=5),
            "timezone": "UTC",
            "audience": {"team_ids": [rep.team_id]},
            "enrolment": "auto",
            "ordered_missions": True,
            "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
            "missions": [
                {"name": "Complete the product training", "manual": True, "points": 20},
                {"name": "Shadow a senior rep", "manual": True, "points": 20},
                {
                    "name": "Log 3 calls",
                    "fact": "activity",
                    "activity_kind": "call",
                    "target": 3,
                    "points": 1,
                },
            ],
        }
        challenge = create_challenge(s, spec, manager, now=now - timedelta(days=2))
        launch_challenge(s, challenge.id, manager, now=now - timedelta(days=2))
        calls = [
            SalesEvent(
                f"journey-call-{i}",
                "activity.logged",
                now - timedelta(hours=i + 1),
                REP,
                {"kind": "call", "outcome": "connected"},
            )
            for i in range(5)
        ]
        record_sales_events(s, calls, source="api", now=now)
        s.add_all(
            [
                Reward(name="Coffee voucher", cost=30, bonus_points=0, active=True),
                Reward(name="Weekend away", cost=900000, bonus_points=0, active=True),
            ]
        )
        s.commit()
        world = {"challenge_id": challenge.id, "manager_id": manager.id}
        db.engine.dispose()
        return world


def _approve_first_proof(app: Flask, manager_id: int) -> None:
    """The manager approves the proof the rep sent (their own journey is another test's)."""
    with app.app_context():
        s = db.session()
        manager = s.get(User, manager_id)
        assert manager is not None
        proof = s.scalars(select(Proof).where(Proof.status == "pending").order_by(Proof.id)).first()
        assert proof is not None
        review_proof(s, proof.id, manager, approve=True, comment=None, now=utcnow())
        s.commit()
        db.engine.dispose()


def _page_is_sound(browser: webdriver.Chrome, name: str) -> str:
    """No error page, no sideways scroll, no console error; keep a screenshot."""
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Error 4" not in body and "Error 5" not in body, body[:300]
    assert '"error"' not in browser.page_source[:200]
    width, inner = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= inner, f"{name}: the page scrolls sideways ({width} > {inner})"
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"{name}: {severe}"
    screenshot(browser, name)
    return body


def _mission(browser: webdriver.Chrome, name: str):
    for item in browser.find_elements(By.CSS_SELECTOR, "li.mission"):
        if name in item.text:
            return item
    raise AssertionError(f"no mission {name} on the page")


def _tap(browser: webdriver.Chrome, element: Any) -> None:
    """Scroll the element to the middle of the screen (clear of the tab bar), then tap it."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _send_proof(browser: webdriver.Chrome, mission: str, text: str, link: str) -> None:
    item = _mission(browser, mission)
    if not item.find_element(By.TAG_NAME, "details").get_attribute("open"):
        _tap(browser, item.find_element(By.TAG_NAME, "summary"))
    area = item.find_element(By.TAG_NAME, "textarea")
    area.clear()
    area.send_keys(text)
    field = item.find_element(By.CSS_SELECTOR, "input[name=link]")
    field.clear()
    field.send_keys(link)
    _tap(browser, item.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_a_rep_walks_their_week(chrome: webdriver.Chrome, demo_app: Flask, size: str) -> None:
    world = _journey_world(demo_app)
    with demo_app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url) as base:
        _walk(chrome, base, demo_app, world, size)


def _walk(chrome: webdriver.Chrome, base: str, app: Flask, world: dict[str, Any], size: str):
    shot = f"journey-rep-{size}"
    sign_in(chrome, base, REP, PASSWORD)
    _page_is_sound(chrome, f"{shot}-01-home")

    # My challenges: the journey with rank, points and the time left (kept current by JS).
    chrome.find_element(By.LINK_TEXT, "Challenges").click()
    body = wait_for_text(chrome, JOURNEY)
    card = next(
        c for c in chrome.find_elements(By.CSS_SELECTOR, ".challenge-card") if JOURNEY in c.text
    )
    assert "50 points" in card.text and "0 of 3 missions" in card.text
    assert "3 d 5 h left" in card.text or "3 d 4 h left" in card.text
    _page_is_sound(chrome, f"{shot}-02-my-challenges")
    # The time left moves without a reload: move the end to 90 minutes from now, wait a tick.
    chrome.execute_script(
        "const el = document.querySelector('[data-countdown]');"
        "el.dataset.ends = new Date(Date.now() + 90 * 60000).toISOString();"
        "el.textContent = 'stale';"
    )
    WebDriverWait(chrome, 25).until(
        lambda c: c.find_element(By.CSS_SELECTOR, "[data-countdown]").text == "1 h left"
    )
    chrome.refresh()
    card = next(
        c for c in chrome.find_elements(By.CSS_SELECTOR, ".challenge-card") if JOURNEY in c.text
    )

    # The challenge: rules, missions in order with their states, the board with me on it.
    _tap(chrome, card)
    body = wait_for_text(chrome, "My missions")
    assert "Do these steps in order" in body and "+10 per call" in body
    assert "Darcel Schlecht (you)" in body
    states = [
        m.get_attribute("data-state") for m in chrome.find_elements(By.CSS_SELECTOR, "li.mission")
    ]
    assert states == ["next", "locked", "locked"]
    calls = _mission(chrome, "Log 3 calls").text
    assert "Unlocks after Shadow a senior rep" in calls and "3 of 3" in calls
    assert "5 of 3" not in calls and "Target met already" in calls
    _page_is_sound(chrome, f"{shot}-03-challenge")

    # A proof without a link: sent, and the step says it awaits review.
    _send_proof(chrome, "Complete the product training", "Finished all four modules", "")
    wait_for_text(chrome, "Proof sent")
    training = _mission(chrome, "Complete the product training")
    assert training.get_attribute("data-state") == "pending"
    assert "awaiting your manager" in training.text
    _page_is_sound(chrome, f"{shot}-04-proof-sent")

    # The manager approves it: the step is done and paid, the next one opens.
    _approve_first_proof(app, world["manager_id"])
    chrome.refresh()
    wait_for_text(chrome, "My missions")
    assert "+20 points earned" in _mission(chrome, "Complete the product training").text
    assert _mission(chrome, "Shadow a senior rep").get_attribute("data-state") == "next"

    # A proof with a link: a wrong link is named beside the field, the text is kept.
    _send_proof(chrome, "Shadow a senior rep", "Shadowed Ana on three calls", "notes-page")
    wait_for_text(chrome, "Enter a full web address")
    shadow = _mission(chrome, "Shadow a senior rep")
    assert shadow.find_element(By.TAG_NAME, "textarea").get_attribute("value") == (
        "Shadowed Ana on three calls"
    )
    _page_is_sound(chrome, f"{shot}-05-proof-link-error")
    _send_proof(
        chrome,
        "Shadow a senior rep",
        "Shadowed Ana on three calls",
        "https://crm.example.com/notes/42",
    )
    wait_for_text(chrome, "Proof sent")
    assert _mission(chrome, "Shadow a senior rep").get_attribute("data-state") == "pending"
    _page_is_sound(chrome, f"{shot}-06-proof-with-link")

    # Profile: points, level, streak, badges.
    chrome.find_element(By.LINK_TEXT, "Profile").click()
    body = wait_for_text(chrome, "points to spend")
    assert "70 points to spend" in body and "Level " in body and "day streak" in body
    assert "Badges" in body
    _page_is_sound(chrome, f"{shot}-07-profile")

    # Store: what is out of reach says so when tried; what is affordable is requested.
    store = {r.text.split("\n")[0]: r for r in chrome.find_elements(By.CSS_SELECTOR, "li.reward")}
    assert "You can afford it." in store["Coffee voucher"].text
    assert "more needed" in store["Weekend away"].text
    _tap(chrome, store["Weekend away"].find_element(By.TAG_NAME, "button"))
    body = wait_for_text(chrome, "Not enough points")
    _page_is_sound(chrome, f"{shot}-08-store-refused")
    coffee = next(
        r for r in chrome.find_elements(By.CSS_SELECTOR, "li.reward") if "Coffee voucher" in r.text
    )
    _tap(chrome, coffee.find_element(By.TAG_NAME, "button"))
    body = wait_for_text(chrome, "Requested Coffee voucher")
    assert "40 points to spend" in body and "waiting for your manager" in body
    _page_is_sound(chrome, f"{shot}-09-redeemed")

    # Log an activity in two taps (the kind, the outcome) and read what it earned.
    chrome.find_element(By.LINK_TEXT, "+ Log activity").click()
    wait_for_text(chrome, "How did it go?")
    _tap(chrome, chrome.find_element(By.XPATH, "//label[@class='chip'][.//span[text()='Call']]"))
    _tap(chrome, chrome.find_element(By.XPATH, "//button[@name='outcome' and @value='connected']"))
    body = wait_for_text(chrome, "Call logged: connected.")
    assert f"+10 points in {JOURNEY}." in body
    _page_is_sound(chrome, f"{shot}-10-activity-logged")


def test_a_manager_keeps_the_catalogue_and_refuses_a_request(
    chrome: webdriver.Chrome, demo_app: Flask, size: str
) -> None:
    _journey_world(demo_app)
    with demo_app.app_context():
        s = db.session()
        rep = s.scalars(select(User).where(User.email == REP)).one()
        coffee = s.scalars(select(Reward).where(Reward.name == "Coffee voucher")).one()
        redeem(s, coffee.id, rep, now=utcnow())
        s.commit()
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    shot = f"rewards-manager-{size}"
    with running_server(url) as base:
        sign_in(chrome, base, MANAGER, PASSWORD)
        chrome.find_element(By.LINK_TEXT, "Rewards").click()
        body = wait_for_text(chrome, "Rewards catalogue")
        assert "Coffee voucher" in body and "Weekend away" in body
        form = chrome.find_element(By.CSS_SELECTOR, "form.reward-form")
        form.find_element(By.NAME, "name").send_keys("Team lunch")
        form.find_element(By.NAME, "cost").send_keys("-5")
        _tap(chrome, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait_for_text(chrome, "A reward costs at least 1 point.")
        form = chrome.find_element(By.CSS_SELECTOR, "form.reward-form")
        assert form.find_element(By.NAME, "name").get_attribute("value") == "Team lunch"
        _page_is_sound(chrome, f"{shot}-01-refused")
        form.find_element(By.NAME, "cost").clear()
        form.find_element(By.NAME, "cost").send_keys("300")
        _tap(chrome, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait_for_text(chrome, "Team lunch is on sale.")
        _page_is_sound(chrome, f"{shot}-02-catalogue")
        _tap(chrome, chrome.find_element(By.LINK_TEXT, "Reward requests"))
        body = wait_for_text(chrome, "Waiting for you")
        assert "Darcel Schlecht · Coffee voucher" in body
        _page_is_sound(chrome, f"{shot}-03-requests")
        refuse = chrome.find_element(By.XPATH, "//button[@value='refuse']")
        _tap(chrome, refuse)
        body = wait_for_text(chrome, "Coffee voucher refused: 30 points went back to the rep.")
        assert "Nothing to hand over" in body
        _page_is_sound(chrome, f"{shot}-04-refused-request")
