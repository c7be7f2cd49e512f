"""Leadership's look at the business in one walk, on a phone (390x844) and a laptop (1440x900),
on what `flask demo` loads, as the demo admin: compare ended challenges by their measured
impact (the demo's blitz shows an effect with its interval) → one challenge's impact → the
organisation's scorecard → the balanced scorecard (level 1) and its level 2 and 3 splits.

At every page: no horizontal scroll, no console error, no error page, no internal name
(team:2, rep:13, marketing_cost); a screenshot is kept."""

from __future__ import annotations

import re

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from gameplay.demo.story import BLITZ_NAME
from kpi_engine.demo.org import ADMIN_EMAIL
from tests.browser.conftest import SIZES, screenshot, wait_for_text
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

BLITZ = BLITZ_NAME
INTERNAL = re.compile(r"\b(?:team|rep|region):\d|\b(?:marketing_cost|sales_cost|churned_customers|"
                      r"kpi_key|win_rate|avg_deal_size|no_detectable_effect)\b")  # fmt: skip
INTERVAL = re.compile(r"\(([−+-]?[\d.,]+ ?\S*) to ([−+-]?[\d.,]+ ?\S*)\)")


class Walk:
    """Leadership's browser, with the checks every page must pass."""

    def __init__(self, chrome: webdriver.Chrome, base: str, viewport: str) -> None:
        self.chrome, self.base, self.viewport, self.step = chrome, base, viewport, 0

    def open(self, path: str, then: str) -> str:
        self.chrome.get(f"{self.base}{path}")
        return wait_for_text(self.chrome, then)

    def click(self, element: WebElement, then: str) -> str:
        self.chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        return wait_for_text(self.chrome, then)

    def show(self, element: WebElement) -> None:
        self.chrome.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)

    def check(self, name: str) -> str:
        """No error page, no sideways scroll, no console error, no internal name; a screenshot.
        Returns what the page says."""
        self.step += 1
        chrome, body = self.chrome, self.chrome.find_element(By.TAG_NAME, "body").text
        errors = chrome.find_elements(By.CSS_SELECTOR, ".error-page")
        assert not errors, f"{name}: an error page: {body[:300]}"
        width = chrome.execute_script("return document.documentElement.scrollWidth")
        inner = chrome.execute_script("return window.innerWidth")
        assert inner == SIZES[self.viewport][0], f"{name}: the viewport is {inner} px wide"
        assert width <= inner, f"{name}: the page is {width} px wide in a {inner} px window"
        severe = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, f"{name}: console errors {severe}"
        assert not INTERNAL.search(body), f"{name}: internal names {INTERNAL.findall(body)}"
        screenshot(chrome, f"leadership-journey-{self.viewport}-{self.step:02d}-{name}")
        return body


def _sign_in(walk: Walk) -> None:
    chrome = walk.chrome
    walk.open("/login", "Log in")
    chrome.find_element(By.ID, "email").send_keys(ADMIN_EMAIL)
    chrome.find_element(By.ID, "password").send_keys(PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_to_be(f"{walk.base}/"))
    walk.check("home")


def _compare_by_impact(walk: Walk) -> None:
    """Ended challenges side by side; leadership adds meetings booked, where the blitz aimed."""
    chrome = walk.chrome
    body = walk.open("/impact", "Effect per challenge")
    assert "Uplift per KPI" in body and "Cost and return" in body and BLITZ in body
    walk.check("impact")
    chrome.find_element(By.CSS_SELECTOR, ".kpi-picker summary").click()
    chrome.find_element(By.CSS_SELECTOR, 'input[value="meetings_booked"]').click()
    chrome.find_element(By.CSS_SELECTOR, ".kpi-picker button").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_contains("kpis="))
    wait_for_text(chrome, "Meetings booked per rep")
    card = next(c for c in chrome.find_elements(By.CSS_SELECTOR, ".impact-card") if BLITZ in c.text)
    effect = next(
        e for e in card.find_elements(By.CSS_SELECTOR, ".effect")
        if e.find_element(By.TAG_NAME, "dt").text == "Meetings booked per rep"
    )  # fmt: skip
    walk.show(card)
    # The planted effect: an estimate above zero, its 95 % interval, and the verdict "effect".
    assert effect.find_element(By.CSS_SELECTOR, ".verdict").text == "effect", effect.text
    estimate = effect.find_element(By.TAG_NAME, "strong").text
    assert estimate.startswith("+"), estimate
    assert INTERVAL.search(effect.find_element(By.CSS_SELECTOR, ".interval").text), effect.text
    assert "took part" in card.text
    walk.check("impact-meetings")


def _one_challenge(walk: Walk) -> None:
    link = walk.chrome.find_element(By.LINK_TEXT, BLITZ)
    body = walk.click(link, "Impact on KPIs")
    assert BLITZ in body and "The naive difference compares participants" in body
    rows = walk.chrome.find_elements(By.CSS_SELECTOR, ".impact-table tbody tr:not(.warning-row)")
    verdicts = {r.find_element(By.CSS_SELECTOR, ".verdict").text for r in rows}
    assert verdicts and verdicts <= {"effect", "no detectable effect", "no claim"}, verdicts
    walk.check("impact-blitz")


def _org_scorecard(walk: Walk) -> None:
    body = walk.open("/dashboards?scope=org", "Sales scorecard")
    assert "Whole organisation" in body
    card = walk.chrome.find_element(By.ID, "scorecard")
    names = [n.text.rsplit(" ", 1)[0] for n in card.find_elements(By.CSS_SELECTOR, ".kpi-name")]
    assert names[:5] == ["Revenue won", "Win rate", "Average deal size", "Sales cycle (days)",
                         "Pipeline velocity"], names  # fmt: skip
    lead = card.find_elements(By.CSS_SELECTOR, ".kpi")[:4]
    assert all("no data" not in k.find_element(By.CSS_SELECTOR, ".kpi-value").text for k in lead)
    assert all("target" in k.text for k in lead), [k.text for k in lead]
    colours = {c for k in lead for c in (k.get_attribute("class") or "").split()}
    assert colours & {"kpi-green", "kpi-amber", "kpi-red"}, "the leading KPIs carry a colour"
    walk.check("org-scorecard")


def _balanced_scorecard(walk: Walk) -> None:
    chrome = walk.chrome
    balanced = chrome.find_element(By.ID, "balanced")
    walk.show(balanced)
    for perspective in ("Financial", "Customer", "Internal process", "Learning and growth"):
        assert perspective in balanced.text, perspective
    assert "level 1" in balanced.text and "Revenue won" in balanced.text
    walk.check("balanced-scorecard")
    level2 = chrome.find_element(By.XPATH, "//h2[starts-with(normalize-space(), 'By segment')]")
    walk.show(level2)
    assert "level 2" in level2.text
    walk.check("balanced-level2")
    level3 = chrome.find_element(By.XPATH, "//h2[starts-with(normalize-space(), 'Per person')]")
    walk.show(level3)
    table = level3.find_element(By.XPATH, "./following-sibling::*[1]")
    # On a phone the column names are the cells' labels (drawn from data-label).
    labels = {c.get_attribute("data-label") for c in table.find_elements(By.CSS_SELECTOR, "td")}
    assert {"Revenue won", "Win rate"} <= labels and "%" in table.text
    walk.check("balanced-level3")


def test_leadership_compares_challenges_then_reads_the_org_and_balanced_scorecards(
    chrome: webdriver.Chrome, world_server: str, viewport: str
) -> None:
    walk = Walk(chrome, world_server, viewport)
    _sign_in(walk)
    _compare_by_impact(walk)
    _one_challenge(walk)
    _org_scorecard(walk)
    _balanced_scorecard(walk)
