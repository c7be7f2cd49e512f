"""Every board says honestly whether it is live: "live" while the server is heard, "as of
hh:mm" once it is not, on a 390x844 phone without the line running off the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_live_pages import REP, add_live_challenge
from tests.conftest import PASSWORD
from tests.live_server import running_server
from web.extensions import db

pytestmark = pytest.mark.browser
PHONE = (390, 844)
STATUS = (By.CSS_SELECTOR, "[data-live-state]")
OVERFLOW = """
const line = document.querySelector('[data-live-state]').getBoundingClientRect();
return [document.documentElement.scrollWidth, Math.ceil(line.right), Math.floor(line.left)];
"""


@pytest.fixture
def phone(browser: webdriver.Chrome) -> webdriver.Chrome:
    metrics = {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return browser


@pytest.fixture
def served(demo_app: Flask) -> Iterator[tuple[ExitStack, str, int]]:
    """The demo with a live challenge, served with a one-second heartbeat; the test may stop
    the server early by closing the stack."""
    with demo_app.app_context():
        challenge_id, _token = add_live_challenge(db.session())
        db.session.commit()
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with ExitStack() as stack:
        base = stack.enter_context(running_server(url, LIVE_HEARTBEAT_SECONDS="1"))
        yield stack, base, challenge_id


def fits(phone: webdriver.Chrome) -> None:
    page, right, left = phone.execute_script(OVERFLOW)
    assert page <= PHONE[0] and right <= PHONE[0] and left >= 0, (page, left, right)


def test_the_board_says_live_then_as_of_when_the_server_goes_away(
    phone: webdriver.Chrome, served: tuple[ExitStack, str, int]
) -> None:
    stack, base, challenge_id = served
    sign_in(phone, base, REP, PASSWORD)
    phone.get(f"{base}/play/challenges/{challenge_id}")
    WebDriverWait(phone, 10).until(lambda b: b.find_element(*STATUS).text == "live")
    phone.execute_script("document.querySelector('[data-board]').scrollIntoView()")
    fits(phone)
    screenshot(phone, "board-status-live-390")
    stack.close()  # the server is gone: no frame, no heartbeat
    WebDriverWait(phone, 10).until(lambda b: b.find_element(*STATUS).text.startswith("as of"))
    text = phone.find_element(*STATUS).text
    assert re.match(r"as of \d{1,2}:\d{2}", text), text
    assert "stale" in (phone.find_element(*STATUS).get_attribute("class") or "")
    fits(phone)
    shot: Path = screenshot(phone, "board-status-as-of-390")
    assert shot.exists()
