"""The web app's side of the decision rules: several outcomes on Bexley's decision form with the
return-to-panel date or frequency, the review booked by frequency on the later agenda, and the
signed-in chair or vice chair signing as themselves (someone the directory does not call chair
cannot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from carepanel.store import Store
from carepanel.web.app import create_app
from carepanel.web.auth import hash_password

from decision_fixtures import listed, sat, service
from rules_mail import proves

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def store_sha(cfg, decision_url: str) -> str:
    """The draft's sha256 as recorded, which the sign-off screen posts back."""
    with Store(cfg.db_path) as store:
        row = store.conn.execute("SELECT pdf_sha256 FROM decisions WHERE id = ?", (decision_url.rsplit("/", 1)[1],)).fetchone()
    return str(row[0])


def _sign_in(client: TestClient, email: str) -> str:
    page = client.get("/login")
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": csrf_of(page.text)},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return csrf_of(client.get("/panels").text)


@proves("bexley", "decisions.combinations", "bexley", "decisions.return_to_panel")
def test_bexley_decision_form_approved_and_return_every_three_months_then_on_the_agenda(tmp_path: Path) -> None:
    with service(tmp_path, "bexley") as svc:
        sub = listed(svc)
        cfg = svc.cfg
        now = [sat(cfg, sub)]
    store = Store(cfg.db_path)
    for email, name, role in (("pat.admin@example.gov.uk", "Pat Admin", "administrator"),
                              ("val.vice@example.gov.uk", "Val Vice", "read_only"),
                              ("acting.chair@example.gov.uk", "Acting Chair", "chair")):
        store.upsert_user(email, name, role, hash_password(PASSWORD), actor="test")
    store.close()
    with TestClient(create_app(cfg, clock=lambda: now[0]), base_url="http://127.0.0.1:8000") as client:
        csrf = _sign_in(client, "pat.admin@example.gov.uk")
        form = client.get(f"/submissions/{sub.id}/decision").text
        assert 'type="checkbox" name="outcome" value="approve"' in form
        assert 'type="checkbox" name="outcome" value="return_to_panel"' in form
        assert 'id="return_frequency"' in form and 'id="defer_to"' in form
        resp = client.post(f"/submissions/{sub.id}/decision", follow_redirects=False, data={
            "csrf": csrf, "outcome": ["approve", "return_to_panel"], "rationale": "Residential is the only safe option.",
            "resource": "Residential placement", "weekly_cost": "4200", "return_frequency": "every 3 months"})
        assert resp.status_code == 303 and resp.headers["location"].startswith("/decisions/dec-"), resp.headers["location"]
        decision_url = resp.headers["location"].split("?")[0]
        page = client.get(decision_url).text
        assert "Resource approved and Return to panel" in page
        client.post("/logout", data={"csrf": csrf})

        # A chair by local account only, whom the directory does not know: since roles come only
        # from the directory, they cannot even sign in, so certainly not sign.
        page = client.get("/login")
        resp = client.post("/login", data={"email": "acting.chair@example.gov.uk", "password": PASSWORD,
                                           "csrf": csrf_of(page.text)}, follow_redirects=False)
        assert resp.status_code != 303 and client.get(decision_url, follow_redirects=False).status_code == 303
        sha = store_sha(cfg, decision_url)

        # The vice chair, as the directory names them (whatever their local account says), signs as themselves.
        csrf = _sign_in(client, "val.vice@example.gov.uk")
        signed = client.post(decision_url + "/sign", data={"csrf": csrf, "sha256": sha}).text
        assert "Signed. The upload folder is ready." in signed
        # Thursday 3 December 2026 + three months: the first Bexley sitting after is Thursday 4 March 2027.
        agenda = client.get("/panels/2027-03-04").text
    assert "LCS700001" in agenda and "every 3 months" in agenda
    store = Store(cfg.db_path)
    try:
        [d] = store.decisions(status="signed")
        assert d.signed_by == "Val Vice"
    finally:
        store.close()
