"""In a real browser: a manager launches a challenge with a holdout from the builder, and later
reads its impact report with the randomised comparison on top; screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from gameplay.core.models import Challenge
from tests.browser.conftest import screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD
from tests.impact_org import LENGTH, START
from tests.live_server import running_server
from tests.pages.test_impact_holdout_pages import Floor, build_floor
from web.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def floor_server(app: Flask) -> Iterator[tuple[str, Floor]]:
    floor = build_floor(app)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url) as base:
        yield base, floor


def test_a_manager_launches_with_a_holdout_and_later_reads_the_randomised_estimate(
    browser: WebDriver, floor_server: tuple[str, Floor], app: Flask
) -> None:
    base, floor = floor_server
    sign_in(browser, base, floor.manager, PASSWORD)
    browser.get(f"{base}/manage/challenges/new?template=upsell")
    name = browser.find_element(By.ID, "name")
    name.clear()
    name.send_keys("Held-out upsell sprint")
    percent = browser.find_element(By.ID, "holdout_percent")
    browser.execute_script("arguments[0].scrollIntoView()", percent)
    percent.send_keys("30")
    screenshot(browser, "holdout-builder")
    browser.find_element(By.CSS_SELECTOR, "form.builder button[type=submit]").click()
    wait_for_text(browser, "What it could measure")
    assert "held out at random" in browser.find_element(By.CLASS_NAME, "power").text
    screenshot(browser, "holdout-draft-power")
    browser.find_element(By.XPATH, "//button[normalize-space()='Launch']").click()
    body = wait_for_text(browser, "kept out at random")
    challenge_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
    screenshot(browser, "holdout-launched")
    assert "Holdout:" in body
    with app.app_context():
        # Later: the challenge has run over the planted window, and ended.
        challenge = db.session.get_one(Challenge, challenge_id)
        held = len(challenge.held_out_ids)
        challenge.starts_at, challenge.ends_at = START, START + LENGTH
        db.session.commit()
        db.engine.dispose()
    browser.get(f"{base}/impact/challenges/{challenge_id}")
    body = wait_for_text(browser, "Impact on KPIs")
    assert f"Holdout: {held} reps were kept out at random" in body
    first_effect = browser.find_element(By.CSS_SELECTOR, ".impact-table tbody tr td:nth-child(2)")
    assert "randomised" in first_effect.text
    assert "Robustness check" in body
    screenshot(browser, "holdout-report")
