"""The admin keeps people and teams in a browser, on a phone (390x844) and a laptop (1440x900),
on the demo org: People → a rep's page → move them to another team → Teams: a clashing name
refused beside the field, then a new team → a refused new person (every problem at once) → the
Changes page; then the rep's old manager no longer sees them and their new one does.

At every page: no horizontal scroll, no console error, no error page, no internal name; a
screenshot is kept."""

from __future__ import annotations

import re

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import SIZES, screenshot, wait_for_text
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ADMIN, OLD_MANAGER, NEW_MANAGER = (
    "admin@example.com", "melvin.marxen@example.com", "cara.losch@example.com",
)  # fmt: skip
REP = "Darcel Schlecht"
INTERNAL = re.compile(r"\b(team_id|app_role|crm_user_id|manager_id|sales_role|team:\d+)\b")


class Walk:
    def __init__(self, chrome: webdriver.Chrome, base: str, viewport: str) -> None:
        self.chrome, self.base, self.viewport, self.step = chrome, base, viewport, 0

    def open(self, path: str, then: str) -> str:
        self.chrome.get(f"{self.base}{path}")
        return wait_for_text(self.chrome, then)

    def submit(self, selector: str, then: str) -> str:
        button = self.chrome.find_element(By.CSS_SELECTOR, selector)
        self.chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        return wait_for_text(self.chrome, then)

    def type(self, field: str, text: str) -> None:
        box = self.chrome.find_element(By.ID, field)
        box.clear()
        box.send_keys(text)

    def check(self, name: str, at: str | None = None) -> str:
        """No error page, no sideways scroll, no console error, no internal name; a screenshot
        (of the part of the page `at` names, when given)."""
        self.step += 1
        chrome, body = self.chrome, self.chrome.find_element(By.TAG_NAME, "body").text
        assert not chrome.find_elements(By.CSS_SELECTOR, ".error-page"), body[:300]
        width = chrome.execute_script("return document.documentElement.scrollWidth")
        inner = chrome.execute_script("return window.innerWidth")
        assert inner == SIZES[self.viewport][0] and width <= inner, (name, width, inner)
        severe = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, f"{name}: console errors {severe}"
        assert not INTERNAL.search(body), f"{name}: internal names {INTERNAL.findall(body)}"
        if at is not None:
            part = chrome.find_element(By.CSS_SELECTOR, at)
            chrome.execute_script("arguments[0].scrollIntoView({block: 'start'})", part)
        screenshot(chrome, f"people-walk-{self.viewport}-{self.step:02d}-{name}")
        return body

    def sign_in(self, email: str) -> None:
        self.chrome.delete_all_cookies()
        self.open("/login", "Log in")
        self.type("email", email)
        self.type("password", PASSWORD)
        self.chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(self.chrome, 10).until(expected_conditions.url_to_be(f"{self.base}/"))


def _move_the_rep(walk: Walk) -> None:
    body = walk.open("/people", "Add a person")
    assert REP in body and "Team Marxen" in body
    walk.check("people")
    link = walk.chrome.find_element(By.LINK_TEXT, REP)
    walk.chrome.execute_script("arguments[0].click()", link)
    wait_for_text(walk.chrome, f"Change {REP}")
    walk.check("person")
    Select(walk.chrome.find_element(By.ID, "edit-team_id")).select_by_visible_text("Team Losch")
    body = walk.submit("#edit button[type=submit]", f"{REP} saved.")
    assert "Team: Team Marxen → Team Losch" in body and "Team Marxen\nfrom the start until" in body
    walk.check("moved", at="#changes-title")


def _keep_teams(walk: Walk) -> None:
    walk.open("/teams", "Create a team")
    walk.type("new-team-name", "team marxen")
    body = walk.submit("#team-0 button[type=submit]", "Already taken.")
    assert walk.chrome.find_element(By.ID, "new-team-name").get_attribute("value") == "team marxen"
    walk.check("team-refused", at="#team-0")
    walk.type("new-team-name", "Team Nordics")
    walk.type("new-team-region", "North")
    body = walk.submit("#team-0 button[type=submit]", "Team Nordics saved.")
    assert "North · no manager yet · 0 people" in body
    walk.check("team-created")


def _refused_person(walk: Walk) -> None:
    walk.open("/people#add", "Add a person")
    walk.type("new-email", "darcel.schlecht@example.com")
    walk.type("new-crm_user_id", "Someone New")
    body = walk.submit("#add button[type=submit]", "Give their full name.")
    assert f"Already {REP}'s." in body
    assert walk.chrome.find_element(By.ID, "new-crm_user_id").get_attribute("value") == (
        "Someone New"
    )
    walk.check("person-refused", at="#add")


def test_an_admin_moves_a_rep_keeps_teams_and_the_managers_see_the_change(
    chrome: webdriver.Chrome, demo_server: str, viewport: str
) -> None:
    walk = Walk(chrome, demo_server, viewport)
    walk.sign_in(ADMIN)
    _move_the_rep(walk)
    _keep_teams(walk)
    _refused_person(walk)
    body = walk.open("/people/changes", "Changes to people and teams")
    assert f"{REP}: changed" in body and "Team Nordics: created" in body
    walk.check("changes")
    walk.sign_in(OLD_MANAGER)
    assert REP not in walk.open("/people", "People")
    walk.check("old-manager")
    walk.sign_in(NEW_MANAGER)
    assert REP in walk.open("/people", "People")
    walk.check("new-manager")
