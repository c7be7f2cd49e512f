"""The manager's week in one walk, on a phone (390x844) and a laptop (1440x900), on the demo org:
log in → a draft from each template, unchanged → preview on past data → launch →
participation → approve one proof, reject another without a comment (refused beside the box)
and with one → the team scorecard → the challenge's impact → a KPI CSV with labels.

At every page: no horizontal scroll, no console error, no error page; a screenshot is kept."""

from __future__ import annotations

import base64

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ARTIFACTS, SIZES, screenshot, wait_for_text
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MANAGER = "melvin.marxen@example.com"
TEMPLATES = {
    "onboarding": "Onboarding journey",
    "upsell": "Upsell sprint",
    "prospecting": "Prospecting blitz",
}
# The review form's two buttons.
APPROVE, REJECT = "button[name=approve][value=true]", "button[name=approve][value=false]"


# Cards scroll their own overflow, so the page stays narrow even when a field runs past the
# card's edge; a field cut off by its card is as broken on a phone as a page that scrolls.
CLIPPED_CONTROLS = """
return [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.offsetParent !== null && e.type !== 'hidden')
  .filter(e => {
    const box = (e.closest('.card') || document.documentElement).getBoundingClientRect();
    return e.getBoundingClientRect().right > box.right + 1;
  })
  .map(e => e.name || e.id || e.textContent.trim());
"""


class Walk:
    """The manager's browser, with the checks every page must pass."""

    def __init__(self, chrome: webdriver.Chrome, base: str, viewport: str) -> None:
        self.chrome, self.base, self.viewport, self.step = chrome, base, viewport, 0

    def open(self, path: str) -> str:
        self.chrome.get(f"{self.base}{path}")
        return self.body()

    def body(self) -> str:
        return self.chrome.find_element(By.TAG_NAME, "body").text

    def click(self, element: WebElement, then: str) -> str:
        self.chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        return wait_for_text(self.chrome, then)

    def check(self, name: str) -> None:
        """No error page, no sideways scroll at this width, no console error; a screenshot."""
        self.step += 1
        chrome = self.chrome
        errors = chrome.find_elements(By.CSS_SELECTOR, ".error-page")
        status = errors[0].get_attribute("data-status") if errors else None
        assert not errors, f"{name}: an error page ({status}): {self.body()[:300]}"
        width = chrome.execute_script("return document.documentElement.scrollWidth")
        inner = chrome.execute_script("return window.innerWidth")
        assert inner == SIZES[self.viewport][0], f"{name}: the viewport is {inner} px wide"
        assert width <= inner, f"{name}: the page is {width} px wide in a {inner} px window"
        clipped = chrome.execute_script(CLIPPED_CONTROLS)
        assert not clipped, f"{name}: form controls run past their card: {clipped}"
        severe = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, f"{name}: console errors {severe}"
        screenshot(chrome, f"manager-journey-{self.viewport}-{self.step:02d}-{name}")


def test_a_manager_runs_their_week(
    chrome: webdriver.Chrome, world_server: str, viewport: str
) -> None:
    demo_server = world_server
    walk = Walk(chrome, demo_server, viewport)

    # Log in: the start page shows the manager's team.
    walk.open("/login")
    chrome.find_element(By.ID, "email").send_keys(MANAGER)
    chrome.find_element(By.ID, "password").send_keys(PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_to_be(f"{demo_server}/"))
    assert "Team Marxen" in wait_for_text(chrome, "Team Marxen")
    walk.check("home")
    menu = chrome.find_element(By.CSS_SELECTOR, ".topbar nav")
    for link in ("Manage", "Challenges", "KPIs", "Impact", "Log out"):
        shown = menu.find_element(By.XPATH, f".//*[normalize-space()='{link}']")
        right = chrome.execute_script("return arguments[0].getBoundingClientRect().right", shown)
        assert shown.is_displayed() and right <= SIZES[viewport][0], f"menu cuts off {link}"

    # The challenges on the manager's team, the demo's among them.
    body = walk.open("/manage")
    assert "Challenges" in body and "New challenge" in body
    assert "Demo:" in body, "the demo's challenges on the manager's team are listed"
    assert "draft draft" not in body and "ended ended" not in body
    walk.check("challenges")

    # A draft from each template, saved exactly as the builder fills it in.
    drafts = {}
    for template, title in TEMPLATES.items():
        body = walk.open(f"/manage/challenges/new?template={template}")
        assert "Template and name" in body and "Who and when" in body
        assert "Scoring and missions" in body and "Winners and prizes" in body
        assert chrome.find_element(By.ID, "name").get_attribute("value") == title
        team_box = chrome.find_element(By.CSS_SELECTOR, "input[name=team_ids]")
        assert team_box.is_selected(), "the manager's own team starts ticked"
        walk.check(f"builder-{template}")
        tall = chrome.execute_script("return document.documentElement.scrollHeight")
        assert tall < 2600, f"the builder is {tall} px long: steps 3 and 4 start folded"
        folded = chrome.find_elements(By.CSS_SELECTOR, "details.step:not([open])")
        assert len(folded) == 2
        full_page(chrome, f"manager-journey-{viewport}-builder-{template}-full")
        saved = walk.click(chrome.find_element(By.CSS_SELECTOR, "button.primary"), "Draft saved")
        assert "Not a valid integer" not in saved and "needs fixing" not in saved
        assert title in saved and "Preview on past data" in saved and "Launch" in saved
        assert "draft draft" not in saved
        drafts[template] = chrome.current_url
        walk.check(f"draft-{template}")

    # The preview plays the draft over past data; launching enrols the team.
    walk.open(drafts["prospecting"].removeprefix(demo_server))
    preview = chrome.find_element(By.ID, "preview-title").find_element(By.XPATH, "..")
    assert preview.find_elements(By.CSS_SELECTOR, "tbody tr"), "the preview lists the audience"
    launch = chrome.find_element(By.XPATH, "//button[normalize-space()='Launch']")
    launched = walk.click(launch, "Launched")
    assert "Participation" in launched and "joined of" in launched
    assert "scheduled" in launched and "starts in" in launched
    walk.check("launched")

    # The proofs the team's reps sent wait in the queue of the challenge they belong to.
    queue_url = find_challenge_with_proofs(walk, at_least=2)
    body = walk.open(queue_url)
    walk.check("proofs")
    forms = chrome.find_elements(By.CSS_SELECTOR, "form.review")
    first, second = forms[0], forms[1]
    second_id = second.get_attribute("id")
    approve = first.find_element(By.CSS_SELECTOR, APPROVE)
    assert "Proof approved" in walk.click(approve, "Proof approved")
    walk.check("approved")

    second = chrome.find_element(By.ID, second_id)
    proof_text = second.find_element(By.XPATH, "..").text.split("Comment")[0].strip()
    refused = walk.click(second.find_element(By.CSS_SELECTOR, REJECT), "Say why")
    assert "Say why you reject it" in refused and '"error"' not in refused
    second = chrome.find_element(By.ID, second_id)
    box = second.find_element(By.TAG_NAME, "textarea")
    assert box.get_attribute("aria-invalid") == "true", "the error sits beside the comment box"
    assert proof_text.splitlines()[0] in walk.body(), "the proof is still there to reject"
    walk.check("reject-refused")
    box.send_keys("No call recording attached; please add the link.")
    rejected = walk.click(second.find_element(By.CSS_SELECTOR, REJECT), "rejected")
    assert "Proof rejected" in rejected
    walk.check("rejected")

    # The challenge's measured impact, reached from its page.
    impact = chrome.find_element(By.LINK_TEXT, "impact on KPIs")
    measured = walk.click(impact, "Participation")
    assert "of the audience took part" in measured
    walk.check("impact")

    # The team scorecard leads with values, and its CSV opens with labels.
    body = walk.open("/dashboards")
    values = [v.text for v in chrome.find_elements(By.CSS_SELECTOR, "#scorecard .kpi-value")]
    assert values and not any(v.startswith("no data") for v in values[:4]), values
    assert "team:" not in body and "marketing_cost" not in body
    walk.check("scorecard")
    export = chrome.find_element(By.CSS_SELECTOR, "#scorecard a.export").get_attribute("href")
    answer = chrome.execute_async_script(
        "const done = arguments[1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])))"
        ".catch(e => done([0, '', String(e)]));",
        export,
    )
    status, kind, text = answer
    assert status == 200 and "text/csv" in kind, (status, kind)
    header, first_row = text.splitlines()[:2]
    assert header.lstrip("\ufeff").startswith("KPI,") and "Value" in header
    assert "_" not in first_row.split(",")[0], "KPIs by their names, not their codes"


def full_page(chrome: webdriver.Chrome, name: str) -> None:
    """A screenshot of the whole page, not just the part in the window."""
    shot = chrome.execute_cdp_cmd(
        "Page.captureScreenshot", {"captureBeyondViewport": True, "fromSurface": True}
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def find_challenge_with_proofs(walk: Walk, at_least: int) -> str:
    """The manager's challenge page with the most proofs waiting (the demo sends some)."""
    walk.open("/manage")
    links = [
        a.get_attribute("href") or ""
        for a in walk.chrome.find_elements(By.CSS_SELECTOR, ".rows .row a")
    ]
    best, most = "", 0
    for link in links:
        try:
            walk.chrome.get(link)
            count = len(walk.chrome.find_elements(By.CSS_SELECTOR, "form.review"))
        except WebDriverException:
            continue
        if count > most:
            best, most = link, count
    assert most >= at_least, f"{most} proof(s) waiting on the manager's challenges, not {at_least}"
    return best.removeprefix(walk.base)
