"""Headless Debian chromium at a phone's size, driven by Selenium; screenshots are kept."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.live_server import running_server
from web.extensions import db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = (360, 740)
# The two sizes every journey and page walk is made at.
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--hide-scrollbars",
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "browser tests need Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    # Desktop windows have a minimum width; emulation gives a real 360 px phone viewport.
    metrics = {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 2.0, "touch": True}
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


@pytest.fixture
def demo_server(demo_app: Flask) -> Iterator[str]:
    """The real server process on a private copy of the demo org."""
    with demo_app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url) as base:
        yield base


def screenshot(chrome: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    chrome.save_screenshot(str(path))
    return path


def wait_for_text(chrome: webdriver.Chrome, text: str, timeout: float = 10) -> str:
    """Wait until the page shows a text (after a navigation or a live update); return the body."""
    located = (By.TAG_NAME, "body")
    # While a navigation replaces the document, chromedriver can answer that the body it
    # just found "does not belong to the document": that is a moment to wait through.
    WebDriverWait(chrome, timeout, ignored_exceptions=(WebDriverException,)).until(
        expected_conditions.text_to_be_present_in_element(located, text)
    )
    return chrome.find_element(*located).text


def sign_in(chrome: webdriver.Chrome, base: str, email: str, password: str) -> None:
    chrome.get(f"{base}/login")
    chrome.find_element(By.ID, "email").send_keys(email)
    chrome.find_element(By.ID, "password").send_keys(password)
    chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_to_be(f"{base}/"))


@pytest.fixture
def world_server(demo_world_app: Flask) -> Iterator[str]:
    """The real server on a private copy of what `flask demo` loads (its story included)."""
    with demo_world_app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url) as base:
        yield base


@pytest.fixture(params=list(SIZES))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def chrome(tmp_path: Path, viewport: str) -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "browser tests need Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    width, height = SIZES[viewport]
    if viewport == "phone":
        metrics = {"width": width, "height": height, "pixelRatio": 2.0, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    else:
        options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(driver))
    browser.set_page_load_timeout(30)
    if viewport == "desktop":  # a window's frame would take its share of 900 px: set the page's
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    yield browser
    browser.quit()
