"""The visual system and the charts, page by page, on a phone (390x844) and a laptop (1440x900),
on what `flask demo` loads: every main page of the rep, the manager and the admin fits the
window (no sideways scroll), logs no console error, uses the design tokens and the icon sprite,
and every chart is drawn by the chart library with titled axes and keeps its data as a table.

Screenshots go to test-artifacts/screenshots/after/ (LOOK_SHOTS=before names the folder
used when the same walk is run on an older checkout, to compare the look before and after)."""

from __future__ import annotations

import contextlib
import os
import re
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from gameplay.demo.story import BLITZ_NAME
from kpi_engine.demo.org import ADMIN_EMAIL
from tests.browser.conftest import ARTIFACTS, SIZES
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

REP, MANAGER = "darcel.schlecht@example.com", "melvin.marxen@example.com"
SHOTS = ARTIFACTS / os.environ.get("LOOK_SHOTS", "after")

# Each role's main pages: (name, path or a link to follow, does it draw charts).
Step = tuple[str, str, bool]
REP_PAGES: list[Step] = [
    ("home", "/", False),
    ("challenges", "/play", False),
    ("challenge", "link:a[href*='/play/challenges/']", False),
    ("profile", "/play/profile", False),
    ("log-activity", "/activities/new", False),
    ("kpis", "/dashboards", True),
]
MANAGER_PAGES: list[Step] = [
    ("home", "/", False),
    ("manage", "/manage", False),
    ("participation", "link:a[href*='/manage/challenges/']:not([href$='/new'])", False),
    ("builder", "/manage/challenges/new", False),
    ("kpis", "/dashboards", True),
    ("impact", "/impact", True),
    ("challenge-impact", f"text:{BLITZ_NAME}", True),
    ("people", "/people", False),
    ("teams", "/teams", False),
    ("rewards", "/manage/rewards", False),
    ("redemptions", "/manage/redemptions", False),
    ("channels", "/manage/channels", False),
    ("import", "/imports", False),
]
ADMIN_PAGES: list[Step] = [
    ("home", "/", False),
    ("org-kpis", "/dashboards?scope=org", True),
    ("impact", "/impact", True),
    ("people", "/people", False),
    ("changes", "/people/changes", False),
]
ROLES = {"rep": (REP, REP_PAGES), "manager": (MANAGER, MANAGER_PAGES),
         "admin": (ADMIN_EMAIL, ADMIN_PAGES)}  # fmt: skip

# What the chart library reports about each chart on a page: its kind, and each axis's title.
CHARTS_JS = """
return Array.from(document.querySelectorAll('figure.chart')).map(function (fig) {
  var canvas = fig.querySelector('canvas');
  var chart = canvas && window.Chart && window.Chart.getChart(canvas);
  var axes = {};
  if (chart) Object.keys(chart.scales).forEach(function (id) {
    var title = chart.scales[id].options.title || {};
    axes[id] = title.display ? title.text : '';
  });
  var table = fig.querySelector('table');
  return {
    name: (fig.querySelector('figcaption') || {}).textContent || '',
    drawn: !!chart && canvas.width > 0 && canvas.height > 0,
    axes: axes,
    headers: table ? table.querySelectorAll('th').length : 0,
    rows: table ? table.querySelectorAll('tbody tr').length : 0,
  };
});
"""


def _sign_in(chrome: webdriver.Chrome, base: str, email: str) -> None:
    chrome.delete_all_cookies()
    chrome.get(f"{base}/login")
    chrome.find_element(By.ID, "email").send_keys(email)
    chrome.find_element(By.ID, "password").send_keys(PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_to_be(f"{base}/"))


def _go(chrome: webdriver.Chrome, base: str, where: str) -> None:
    if where.startswith("link:"):
        href = chrome.find_element(By.CSS_SELECTOR, where.removeprefix("link:"))
        chrome.get(str(href.get_attribute("href")))
    elif where.startswith("text:"):
        chrome.get(str(chrome.find_element(By.LINK_TEXT, where[5:]).get_attribute("href")))
    else:
        chrome.get(f"{base}{where}")
    WebDriverWait(chrome, 10).until(
        lambda c: c.execute_script("return document.readyState") == "complete"
    )


def _charts(chrome: webdriver.Chrome) -> list[dict[str, Any]]:
    """Wait until the chart script drew every chart on the page, then describe them."""
    # A timeout is no failure here: the assertions that follow say what is missing.
    with contextlib.suppress(TimeoutException):
        WebDriverWait(chrome, 5).until(
            lambda c: all(ch["drawn"] for ch in c.execute_script(CHARTS_JS))
        )
    return list(chrome.execute_script(CHARTS_JS))


def _look_at(chrome: webdriver.Chrome, shot: str, viewport: str, charts: bool) -> list[str]:
    """Screenshot first (so a failing page is still seen), then everything wrong with it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    drawn = _charts(chrome) if charts else []
    chrome.save_screenshot(str(SHOTS / f"{shot}.png"))
    # and each chart on its own, since most sit below the fold
    for n, figure in enumerate(chrome.find_elements(By.CSS_SELECTOR, "figure.chart")[:10], 1):
        chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
        figure.screenshot(str(SHOTS / f"{shot}-chart-{n}.png"))
    problems = []
    width = chrome.execute_script("return document.documentElement.scrollWidth")
    if width > SIZES[viewport][0]:
        problems.append(f"{shot}: {width} px wide in a {SIZES[viewport][0]} px window")
    severe = [e["message"] for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    problems += [f"{shot}: console error {m}" for m in severe]
    if chrome.find_elements(By.CSS_SELECTOR, ".error-page"):
        problems.append(f"{shot}: an error page")
    tokens = chrome.execute_script(
        "return getComputedStyle(document.documentElement).getPropertyValue('--space-3')"
    )
    if not str(tokens).strip():
        problems.append(f"{shot}: the design tokens are not loaded")
    if charts:
        problems += _chart_problems(shot, drawn)
    return problems


def _chart_problems(shot: str, charts: list[dict[str, Any]]) -> list[str]:
    if not charts:
        return [f"{shot}: no chart"]
    problems = []
    for chart in charts:
        name = f"{shot} / {chart['name'].strip()}"
        if not chart["drawn"]:
            problems.append(f"{name}: not drawn by the chart library")
        if not chart["axes"] or not all(chart["axes"].values()):
            problems.append(f"{name}: an axis without a title {chart['axes']}")
        if chart["headers"] < 2 or chart["rows"] < 1:
            problems.append(f"{name}: no data table for screen readers")
    return problems


def test_every_main_page_of_each_role_fits_and_draws_its_charts_with_axes(
    chrome: webdriver.Chrome, world_server: str, viewport: str
) -> None:
    problems: list[str] = []
    for role, (email, pages) in ROLES.items():
        _sign_in(chrome, world_server, email)
        for n, (name, where, charts) in enumerate(pages, start=1):
            _go(chrome, world_server, where)
            problems += _look_at(chrome, f"{role}-{viewport}-{n:02d}-{name}", viewport, charts)
    assert not problems, "\n".join(problems)


def test_icons_come_from_the_vendored_sprite(chrome: webdriver.Chrome, world_server: str) -> None:
    _sign_in(chrome, world_server, MANAGER)
    uses = chrome.execute_script(
        "return Array.from(document.querySelectorAll('svg.icon use'))"
        ".map(function (u) { return u.getAttribute('href'); })"
    )
    assert uses, "the navigation shows icons"
    assert all(re.match(r"^/static/vendor/icons\.svg#[a-z0-9-]+$", u) for u in uses), uses
    sprite = chrome.execute_script(
        "var r = new XMLHttpRequest(); r.open('GET', '/static/vendor/icons.svg', false);"
        "r.send(); return r.status === 200 ? r.responseText : '';"
    )
    missing = {u.split("#")[1] for u in uses} - set(re.findall(r'<symbol id="([^"]+)"', sprite))
    assert not missing, f"icons the page asks for and the sprite lacks: {missing}"


def test_dark_mode_follows_the_system(
    chrome: webdriver.Chrome, world_server: str, viewport: str
) -> None:
    """The same page in a dark system theme: dark background, light text, from the tokens."""
    background = "return getComputedStyle(document.body).backgroundColor"
    _sign_in(chrome, world_server, REP)
    light = chrome.execute_script(background)
    chrome.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    chrome.get(f"{world_server}/play")
    dark = chrome.execute_script(background)
    ink = chrome.execute_script("return getComputedStyle(document.body).color")
    SHOTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(SHOTS / f"rep-{viewport}-dark-challenges.png"))
    assert light != dark, "the background follows the system theme"
    assert _brightness(dark) < 60 < 180 < _brightness(ink), (dark, ink)


def _brightness(css_colour: str) -> float:
    red, green, blue = (float(n) for n in re.findall(r"[\d.]+", css_colour)[:3])
    return 0.299 * red + 0.587 * green + 0.114 * blue
