"""What a person sees right after logging in on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_manager_logs_in_on_a_phone_and_sees_their_team(browser, demo_server: str) -> None:
    sign_in(browser, demo_server, "melvin.marxen@example.com", PASSWORD)
    body = wait_for_text(browser, "Team Marxen")
    assert "Team Marxen" in body and "Darcel Schlecht" in body
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, "the page must not scroll sideways on a phone"
    screenshot(browser, "manager-home")


def test_rep_sees_their_deals_and_a_wrong_password_is_refused(browser, demo_server: str) -> None:
    browser.get(f"{demo_server}/login")
    browser.find_element(By.ID, "email").send_keys("darcel.schlecht@example.com")
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_text(browser, "Wrong email or password")
    sign_in(browser, demo_server, "darcel.schlecht@example.com", PASSWORD)
    wait_for_text(browser, "My recent deals")
    screenshot(browser, "rep-home")
