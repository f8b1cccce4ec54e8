"""Documents shown in the page by PDF.js, served by the app (no browser plugin: headless
Chromium has none, and council machines often have it turned off).  The screenshots are judged by
their pixels, not by the DOM: a blank box fails."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import test_browser
from chromium import chromium
from test_browser import server  # noqa: F401 - the real app served by uvicorn
from webhelpers import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def signed_in(browser: Any, base: str, role: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # the app's own CSP applies
    page.goto(f"{base}/login")
    page.fill("#email", ACCOUNTS[role][0])
    page.fill("#password", PASSWORD)
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("button[type=submit]")
    return page


def shown(page: Any, selector: str = ".pdfv") -> None:
    # Playwright's expect(), not wait_for_function: the app's CSP forbids evaluating strings.
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_attribute("data-state", re.compile("^(shown|error)$"), timeout=60_000)
    assert page.locator(selector).get_attribute("data-state") == "shown", page.locator(f"{selector} .pdfv-status").inner_text()


def ink(png: bytes) -> tuple[float, int]:
    """The share of pixels that are not near-white, and how many distinct grey levels there are."""
    img = Image.open(io.BytesIO(png)).convert("L")
    pixels = list(img.tobytes())
    dark = sum(1 for p in pixels if p < 200)
    return dark / len(pixels), len(set(pixels))


def test_the_submissions_document_is_drawn_in_the_page_with_pages_zoom_and_readable_text(server, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    base, cfg, ids = server
    page = signed_in(browser, base, "administrator")
    page.goto(f"{base}/submissions/{ids['flagged']}")
    shown(page)
    png = page.locator(".pdfv canvas").screenshot()
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "viewer-submission.png").write_bytes(png)
    dark, levels = ink(png)
    assert 0.005 < dark < 0.6 and levels > 10, f"the document looks blank: {dark:.4f} dark, {levels} levels"
    # The text layer carries the form's words for a screen reader (and for selecting text).
    text = page.locator(".pdfv .textLayer").inner_text()
    assert "Care and Resource Panel Request Form" in " ".join(text.split()), text[:300]
    count = int(page.locator(".pdfv [data-role=count]").inner_text())
    if count > 1:
        page.click(".pdfv [data-act=next]")
        expect(page.locator(".pdfv [data-role=page]")).to_have_value("2")
    zoom = page.locator(".pdfv [data-role=zoom]").inner_text()
    before = page.locator(".pdfv canvas").bounding_box()["width"]
    page.click(".pdfv [data-act=zoom-in]")
    expect(page.locator(".pdfv [data-role=zoom]")).not_to_have_text(zoom)
    assert page.locator(".pdfv canvas").bounding_box()["width"] > before
    # Another of the submission's papers opens in the same viewer.
    papers = page.locator("a[data-pdf-viewer]")
    if papers.count() > 1:
        papers.nth(1).click()
        expect(page.locator(".pdfv [data-role=status]")).to_contain_text(papers.nth(1).inner_text(), timeout=60_000)
        shown(page)


def test_the_chair_sees_exactly_the_bytes_being_signed_and_cannot_sign_other_ones(server, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    base, cfg, ids = server
    test_browser.CLOCK[0] = test_browser.AFTER_PANEL  # a decision is recorded once the panel has sat
    page = signed_in(browser, base, "administrator")
    page.goto(f"{base}/submissions/{ids['accepted']}/decision")
    page.fill("#rationale", "A short foster placement keeps the child safe.")
    with page.expect_navigation():
        page.click("text=Save the draft for the chair")
    decision_url = page.url.split("?")[0]

    chair = signed_in(browser, base, "chair")
    chair.goto(decision_url)
    shown(chair)
    assert chair.locator(".pdfv").get_attribute("data-hash") == "match"
    assert "exactly the bytes you are signing" in chair.locator(".pdfv-hash").inner_text()
    png = chair.locator(".pdfv canvas").screenshot()
    (SHOTS / "viewer-sign-off.png").write_bytes(png)
    dark, levels = ink(png)
    assert 0.005 < dark < 0.6 and levels > 10, f"the decision looks blank: {dark:.4f} dark, {levels} levels"
    assert chair.locator("form[action$='/sign'] button").is_enabled()

    # A document altered on the way (one byte) is shown as not the one on record, and cannot be signed.
    other = chair

    def altered(route: Any) -> None:
        body = bytearray(route.fetch().body())
        body[len(body) // 2] ^= 0x01
        route.fulfill(body=bytes(body), content_type="application/pdf")

    other.route("**/pdf", altered)
    other.goto(decision_url)
    expect(other.locator(".pdfv")).to_have_attribute("data-hash", "mismatch", timeout=60_000)
    assert "Do not sign" in other.locator(".pdfv-hash").inner_text()
    assert other.locator("form[action$='/sign'] button").is_disabled()
