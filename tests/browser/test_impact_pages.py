"""The impact views in a real browser on a phone: a manager's challenge page and leadership's
comparison; screenshots are kept as test artefacts."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from flask import Flask
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD
from tests.impact_world import World, build_world
from tests.live_server import running_server
from web.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def impact_server(app: Flask) -> Iterator[tuple[str, World]]:
    world = build_world(app)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    with running_server(url) as base:
        yield base, world


def _whole_page(browser: WebDriver, name: str) -> None:
    """The viewport screenshot, and the whole page beside it (the charts sit below the fold)."""
    path = screenshot(browser, name)
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.with_name(f"{name}-full.png").write_bytes(base64.b64decode(shot["data"]))


def _fits_a_phone(browser: WebDriver) -> None:
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, "the page must not scroll sideways on a phone"


def cell_labels(browser: WebDriver) -> set[str]:
    """Column names as a phone shows them: stacked cells draw their header from data-label."""
    return {
        cell.get_attribute("data-label") or ""
        for cell in browser.find_elements(By.CSS_SELECTOR, "td[data-label]")
    }


def test_a_manager_sees_a_challenges_impact_with_its_charts(
    browser: WebDriver, impact_server: tuple[str, World]
) -> None:
    base, world = impact_server
    sign_in(browser, base, world.manager, PASSWORD)
    browser.get(f"{base}/impact/challenges/{world.campaigns[0]}")
    body = wait_for_text(browser, "Impact on KPIs")
    assert "of the audience took part" in body
    assert "Naive difference (not an effect)" in cell_labels(browser)
    _fits_a_phone(browser)
    _whole_page(browser, "impact-manager")


def test_a_manager_picks_another_kpi_on_a_phone(
    browser: WebDriver, impact_server: tuple[str, World]
) -> None:
    base, world = impact_server
    sign_in(browser, base, world.manager, PASSWORD)
    browser.get(f"{base}/impact/challenges/{world.campaigns[0]}")
    wait_for_text(browser, "Impact on KPIs")
    browser.find_element(By.CSS_SELECTOR, ".kpi-picker summary").click()
    browser.find_element(By.CSS_SELECTOR, 'input[value="sales_cycle_days"]').click()
    browser.find_element(By.CSS_SELECTOR, ".kpi-picker button").click()
    # The picker's own label already says "Sales cycle (days)": wait for the new page first,
    # or the wait can read the old document while it is being replaced.
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("kpis=sales_cycle_days"))
    wait_for_text(browser, "Impact on KPIs")
    rows = browser.find_elements(By.CSS_SELECTOR, ".impact-table tbody tr:not(.warning-row)")
    assert any("Sales cycle (days)" in row.text for row in rows)
    _fits_a_phone(browser)
    _whole_page(browser, "impact-manager-kpis")


def test_leadership_compares_ended_challenges_side_by_side(
    browser: WebDriver, impact_server: tuple[str, World]
) -> None:
    base, world = impact_server
    sign_in(browser, base, world.admin, PASSWORD)
    browser.get(f"{base}/impact")
    body = wait_for_text(browser, "Uplift per KPI")
    assert "Blitz" in body and "Return on cost" in cell_labels(browser)
    _fits_a_phone(browser)
    _whole_page(browser, "impact-leadership")
    # Leadership compares them on another KPI too.
    browser.find_element(By.CSS_SELECTOR, ".kpi-picker summary").click()
    browser.find_element(By.CSS_SELECTOR, 'input[value="activities"]').click()
    browser.find_element(By.CSS_SELECTOR, ".kpi-picker button").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("kpis=activities"))
    wait_for_text(browser, "Uplift per KPI")
    captions = [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".charts figcaption")]
    assert len(captions) == 5 and "Win rate" in captions
    _fits_a_phone(browser)
    _whole_page(browser, "impact-leadership-kpis")
