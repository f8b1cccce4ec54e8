"""WCAG 2.2 AA, checked in a real browser: axe-core (from npm, installed by scripts/setup.sh) on
every page and state each role reaches, a keyboard-only run with a visible focus indicator, and
reflow at 320 CSS pixels with no horizontal scrolling.  Debian's Chromium through Playwright."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import test_browser
from test_browser import server  # noqa: F401 - the real app served by uvicorn
from chromium import chromium
from webhelpers import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PANEL = "2026-12-02"


@pytest.fixture
def browser():
    with chromium(AXE) as b:
        yield b


def new_page(browser: Any, width: int = 1280) -> Any:
    # bypass_csp only so that axe-core can be added to the page; the app's own CSP stays in force
    # for everything else the tests do (test_viewer runs without it).
    return browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()


def axe(page: Any) -> list[str]:
    """axe-core's violations for the WCAG 2.0/2.1/2.2 A and AA tags, one line per rule and node."""
    page.wait_for_load_state("networkidle")
    viewers = page.locator(".pdfv")
    for i in range(viewers.count()):  # judge the page with its document shown, text layer and all
        page.wait_for_function("el => ['shown', 'error'].includes(el.dataset.state)", arg=viewers.nth(i).element_handle())
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.flatMap(v => v.nodes.map(n => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary}`));
    }""", TAGS)
    return [f"{page.url}: {line}" for line in found]


def sign_in(page: Any, base: str, role: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", ACCOUNTS[role][0])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def draft_decision(page: Any, base: str, sub_id: str) -> str:
    page.goto(f"{base}/submissions/{sub_id}/decision")
    page.fill("#rationale", "A short foster placement keeps the child safe.")
    page.click("text=Save the draft for the chair")
    page.wait_for_load_state()
    return page.url.split("?")[0]


def test_every_page_and_state_each_role_reaches_has_no_wcag_violations(server, browser) -> None:  # noqa: F811
    base, cfg, ids = server
    problems: list[str] = []
    page = new_page(browser)

    # Signed out: the sign-in page, then a failed sign-in (its error summary).
    page.goto(f"{base}/login")
    problems += axe(page)
    page.fill("#email", "nobody@example.gov.uk")
    page.fill("#password", "not the password at all")
    page.click("button[type=submit]")
    assert page.locator(".error-summary a[href='#email']").count() == 1
    assert page.title().startswith("Error: ")
    problems += axe(page)

    sign_in(page, base, "administrator")
    for path in ["/", "/queue", "/queue?status=flagged", "/queue?status=accepted&order=newest", "/queue?status=rejected",
                 f"/submissions/{ids['flagged']}", f"/submissions/{ids['accepted']}", "/panels", f"/panels/{PANEL}",
                 f"/submissions/{ids['accepted']}/decision", "/submissions/no-such-thing", "/no/such/page"]:
        page.goto(base + path)
        problems += axe(page)
    # A form with a validation error: accept without a reason, and a decision without a rationale.
    page.goto(f"{base}/submissions/{ids['flagged']}")
    page.locator("form[action$='/accept'] button").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary a[href='#r-accept']").count() == 1
    assert page.locator("#r-accept[aria-invalid=true]").count() == 1
    problems += axe(page)
    # A decision is recorded once the panel has sat, days later: a new sign-in (sessions last 8 hours).
    test_browser.CLOCK[0] = test_browser.AFTER_PANEL
    sign_in(page, base, "administrator")
    page.goto(f"{base}/submissions/{ids['accepted']}/decision")
    page.click("text=Save the draft for the chair")
    page.wait_for_load_state()
    assert page.locator(".error-summary a[href='#rationale']").count() == 1
    problems += axe(page)
    decision_url = draft_decision(page, base, ids["accepted"])
    problems += axe(page)

    # The chair: dashboard, the sign-off screen with the document shown, a signed decision.
    page = new_page(browser)
    sign_in(page, base, "chair")
    for path in ["/", f"/panels/{PANEL}"]:
        page.goto(base + path)
        problems += axe(page)
    page.goto(decision_url)
    assert page.locator("form[action$='/sign']").count() == 1
    problems += axe(page)
    page.wait_for_function("document.querySelector('.pdfv').dataset.hash === 'match'")
    with page.expect_navigation():
        page.click("text=Sign as chair")
    assert "Signed." in page.content()
    problems += axe(page)  # the signed decision, its sealed PDF in the viewer

    # A panel member: their panels, and a page they may not see (403).
    page = new_page(browser)
    sign_in(page, base, "panel_member")
    page.goto(f"{base}/panels")
    problems += axe(page)
    resp = page.goto(f"{base}/queue")
    assert resp is not None and resp.status == 403
    problems += axe(page)

    # Read-only: the dashboard and a submission without its documents.
    page = new_page(browser)
    sign_in(page, base, "read_only")
    for path in ["/", f"/submissions/{ids['flagged']}"]:
        page.goto(base + path)
        problems += axe(page)
    assert not problems, "\n".join(problems)


def test_pages_reflow_at_320_css_pixels_without_horizontal_scrolling(server, browser) -> None:  # noqa: F811
    base, cfg, ids = server
    page = new_page(browser, width=320)
    sign_in(page, base, "administrator")
    wide = []
    for path in ["/", "/queue", f"/submissions/{ids['flagged']}", "/panels", f"/panels/{PANEL}",
                 f"/submissions/{ids['accepted']}/decision", "/no/such/page"]:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide.append(f"{path}: {width}px")
    page.goto(f"{base}/login")
    assert not wide, wide


def focus_ring(page: Any) -> dict[str, str]:
    return page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return {tag: document.activeElement.tagName, text: (document.activeElement.textContent || document.activeElement.id || '').trim().slice(0, 60),
                outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow}; }""")


def tab_to(page: Any, pattern: str, limit: int = 150) -> None:
    """Press Tab until the focused element's text or id matches, checking each stop shows focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["tag"] != "BODY":
            assert ring["outline"] != "none 0px" and ring["outline"].split()[0] != "none" or ring["shadow"] != "none", \
                f"no visible focus on {ring}"
        if re.search(pattern, ring["text"]):
            return
    raise AssertionError(f"never reached {pattern!r} by keyboard")


def enter(page: Any) -> None:
    """Press Enter on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_main_flows_work_by_keyboard_alone_with_focus_visible_at_each_step(server, browser) -> None:  # noqa: F811
    base, cfg, ids = server
    page = new_page(browser)
    page.goto(f"{base}/login")
    tab_to(page, "^Skip to main content$")
    tab_to(page, "^email$")
    page.keyboard.type(ACCOUNTS["administrator"][0])
    tab_to(page, "^password$")
    page.keyboard.type(PASSWORD)
    enter(page)
    assert "this week" in page.content()

    # Clear a flag: the queue, the flagged submission, record the manager's sign-off.
    tab_to(page, "^Review queue$")
    enter(page)
    tab_to(page, re.escape("from "))  # the first row's link names its sender for screen readers
    page.goto(f"{base}/submissions/{ids['flagged']}")
    tab_to(page, "^manager$")
    page.keyboard.type("Terry Manager")
    tab_to(page, "^r-signoff$")
    page.keyboard.type("Approved by phone")
    tab_to(page, "^Record sign-off$")
    enter(page)
    assert "Manager sign-off recorded." in page.content()

    # Build and send the pack.
    page.goto(f"{base}/panels/{PANEL}")
    tab_to(page, "^Build and send to the panel$")
    enter(page)
    assert "queued for 2 people" in page.content()

    # Record a decision, once the panel has sat: days later, so a new sign-in (sessions last 8 hours).
    test_browser.CLOCK[0] = test_browser.AFTER_PANEL
    page.goto(f"{base}/login")
    page.fill("#email", ACCOUNTS["administrator"][0])
    page.fill("#password", PASSWORD)
    enter(page)
    page.goto(f"{base}/panels/{PANEL}")
    tab_to(page, f"^Record decision")
    enter(page)
    tab_to(page, "^rationale$")
    page.keyboard.type("A short foster placement keeps the child safe.")
    tab_to(page, "^Save the draft for the chair$")
    enter(page)
    assert "Draft saved for the chair." in page.content()
    decision_url = page.url.split("?")[0]

    # The chair signs, by keyboard, once the document shown has been checked.
    page = new_page(browser)
    page.goto(f"{base}/login")
    page.fill("#email", ACCOUNTS["chair"][0])
    page.fill("#password", PASSWORD)
    enter(page)
    page.goto(decision_url)
    from playwright.sync_api import expect

    expect(page.locator(".pdfv")).to_have_attribute("data-hash", "match", timeout=60_000)
    tab_to(page, "^Sign as chair$")
    enter(page)
    assert "Signed." in page.content()
