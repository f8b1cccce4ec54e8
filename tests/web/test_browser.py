"""The administrator's and the chair's week in a real browser: Debian's Chromium, driven by
Playwright, against the real app served by uvicorn.  Screenshots of the main pages are saved in
tests/web/screenshots/ for people to look at."""

from __future__ import annotations

from datetime import date, datetime, timezone
import socket
import threading
import time
from pathlib import Path

import pytest

from carepanel.store import Store
from carepanel.web.app import create_app
from test_intake_e2e import NOW
from chromium import chromium
from webhelpers import ACCOUNTS, PASSWORD, seeded_project

pytestmark = pytest.mark.slow
# The app's "now": before the panel for intake, moved past the sitting for its decisions.
CLOCK = [NOW]
AFTER_PANEL = datetime(2026, 12, 2, 17, 0, tzinfo=timezone.utc)
SHOTS = Path(__file__).resolve().parent / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
    import uvicorn

    cfg, ids = seeded_project(tmp_path)
    port = free_port()
    CLOCK[0] = NOW
    srv = uvicorn.Server(uvicorn.Config(create_app(cfg, clock=lambda: CLOCK[0]), host="127.0.0.1", port=port,
                                        log_config=None, access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", cfg, ids
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_context(viewport={"width": 1360, "height": 900}).new_page()


def sign_in(page, base: str, role: str) -> None:
    page.goto(f"{base}/")
    assert page.url.endswith("/login")
    page.fill("#email", ACCOUNTS[role][0])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_administrator_clears_a_flag_sends_the_pack_records_a_decision_and_the_chair_signs(server, page) -> None:
    base, cfg, ids = server
    sign_in(page, base, "administrator")
    assert "this week" in page.content()
    shot(page, "01-dashboard")

    page.click("text=Review queue")
    shot(page, "02-review-queue")
    page.click(f"a[href='/submissions/{ids['flagged']}']")
    assert "No manager sign-off found" in page.content()
    shot(page, "03-flagged-submission")
    page.fill("#manager", "Terry Manager")
    page.fill("#r-signoff", "Terry approved it by phone on 23/11")
    page.click("text=Record sign-off")
    assert "Manager sign-off recorded." in page.content()

    page.goto(f"{base}/panels/2026-12-02")
    assert page.locator("table tr").count() == 3  # heading and the two cases, now both accepted
    page.click("text=Build and send to the panel")
    page.wait_for_load_state()
    assert "queued for 2 people" in page.content()
    shot(page, "04-panel-agenda")

    # A decision is recorded once the panel has sat, days later: sessions end after 8 hours
    # (idle 30 minutes), so the administrator signs in again.
    CLOCK[0] = AFTER_PANEL
    sign_in(page, base, "administrator")
    page.goto(f"{base}/panels/2026-12-02")
    page.click(f"a[href='/submissions/{ids['accepted']}/decision']")
    page.check("input[value=approve]")
    page.fill("#rationale", "A short foster placement keeps the child safe while her mother recovers.")
    page.fill("#actions", "Tell the family | Sam Worker | 2026-12-04")
    page.fill("#review_date", "2027-01-27")
    page.fill("#members", "Dana Chair, Chris Member")
    shot(page, "05-decision-form")
    page.click("text=Save the draft for the chair")
    assert "Draft saved for the chair." in page.content()
    decision_url = page.url.split("?")[0]
    page.click("text=Sign out")

    sign_in(page, base, "chair")
    page.goto(decision_url)
    assert "Sign this decision" in page.content()
    shot(page, "06-chair-signs")
    page.click("text=Sign as chair")
    assert "Signed. The upload folder is ready." in page.content()

    store = Store(cfg.db_path)
    [decision] = store.decisions(status="signed")
    reviews = store.reviews_for(date(2027, 1, 27))
    signed_log = [a for a in store.audit_log(decision.id) if a.action == "decision_signed"]
    queued = [r["kind"] for r in store.db.query("SELECT kind FROM outgoing WHERE status = 'pending'")]
    store.close()
    assert decision.signed_by == "Dana Chair" and signed_log[0].actor == "dana.chair@example.gov.uk"
    assert [r.child_id for r in reviews] == ["LCS900101"]
    assert (cfg.data_path(decision.upload_dir) / "manifest.csv").exists()
    # Queued for the running service to send: the pack, the two slot times, the decision notice.
    assert sorted(queued) == ["decision", "pack", "slot", "slot"]
