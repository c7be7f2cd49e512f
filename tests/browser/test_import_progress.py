"""An admin imports a big HubSpot export on the Import page of the real server (jobs in the
server process): the upload answers at once with the job's page, whose bar moves as the rows
go in, and then shows the report. Screenshots: the bar midway and the finished import."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from kpi_engine.org.models import User
from tests.big_exports import hubspot_export
from tests.browser.conftest import screenshot, sign_in, wait_for_text
from tests.conftest import PASSWORD
from web.extensions import db

pytestmark = pytest.mark.browser
ROWS = 60_000  # several seconds of work for the server, so the bar is seen moving


def test_the_import_page_shows_the_bar_moving_until_the_report(
    demo_app: Flask, demo_server: str, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    with demo_app.app_context():
        query = select(User.email).where(User.app_role == "rep", User.active.is_(True))
        reps = list(db.session.scalars(query.order_by(User.id)))[:10]
        db.engine.dispose()
    export = tmp_path / "big_hubspot.csv"
    export.write_bytes(hubspot_export(ROWS, owners=reps))
    sign_in(browser, demo_server, "admin@example.com", PASSWORD)
    browser.get(f"{demo_server}/imports")
    browser.find_element(By.ID, "files").send_keys(str(export))
    Select(browser.find_element(By.ID, "format")).select_by_value("hubspot")
    Select(browser.find_element(By.ID, "date_format")).select_by_value("us")
    browser.find_element(By.CSS_SELECTOR, "button[value=import]").click()
    WebDriverWait(browser, 20).until(expected_conditions.url_contains("/imports/jobs/"))
    seen, shot = watch_the_bar(browser)
    assert len({v for v in seen if 0 < v < ROWS}) >= 2, f"the bar did not move: {seen}"
    assert seen == sorted(seen), f"the bar went back: {seen}"
    assert shot is not None and shot.exists()
    body = wait_for_text(browser, "Imported: ", timeout=10)
    assert f"Read {ROWS:,} of {ROWS:,} rows" in body and f"Accepted {ROWS:,}" in body
    assert f"deals to create: {ROWS:,}" in body and "Rejected 0" in body
    screenshot(browser, "import_job_finished")


def _body_text(browser: webdriver.Chrome) -> str:
    try:
        return str(browser.find_element(By.TAG_NAME, "body").text)
    except StaleElementReferenceException:  # read while the page reloaded
        return ""


def watch_the_bar(browser: webdriver.Chrome, timeout: float = 180) -> tuple[list[int], Path | None]:
    """The bar's values until the page says the import finished; a screenshot midway."""
    seen: list[int] = []
    shot = None
    deadline = time.monotonic() + timeout
    while "Finished." not in _body_text(browser):
        assert time.monotonic() < deadline, f"the import did not finish: {seen}"
        try:
            value = int(float(browser.find_element(By.ID, "job-bar").get_attribute("value") or 0))
        except (StaleElementReferenceException, NoSuchElementException):
            continue  # the page reloads itself for the report once the job is done
        seen.append(value)
        if shot is None and 0 < value < ROWS:
            shot = screenshot(browser, "import_job_progress")
        time.sleep(0.3)
    return seen, shot
