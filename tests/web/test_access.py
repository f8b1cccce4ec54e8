"""Who may do what: every route needs a session, each role is refused what it may not do, every
form needs its CSRF token, and every view of a child's documents is in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from carepanel.store import Store
from carepanel.web.app import create_app
from webhelpers import ACCOUNTS, PASSWORD, csrf_of, seeded_project, sign_in
from test_intake_e2e import NOW

PANEL = "2026-12-02"


@pytest.fixture
def project(tmp_path: Path):
    return seeded_project(tmp_path)


@pytest.fixture
def client(project):
    cfg, _ = project
    with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as c:
        yield c


def routes(ids: dict[str, str]) -> list[tuple[str, str]]:
    sub = ids["flagged"]
    return [("GET", "/"), ("GET", "/queue"), ("GET", f"/submissions/{sub}"), ("GET", f"/submissions/{sub}/files/0"),
            ("GET", f"/submissions/{sub}/decision"), ("POST", f"/submissions/{sub}/decision"),
            ("POST", f"/submissions/{sub}/reject"), ("POST", f"/submissions/{sub}/signoff"), ("GET", "/panels"),
            ("GET", f"/panels/{PANEL}"), ("GET", f"/panels/{PANEL}/pack"), ("POST", f"/panels/{PANEL}/build"),
            ("GET", "/decisions/dec-x-v1"), ("GET", "/decisions/dec-x-v1/pdf"), ("POST", "/decisions/dec-x-v1/sign")]


def test_every_route_without_a_session_goes_to_sign_in(project, client: TestClient) -> None:
    _, ids = project
    for method, path in routes(ids):
        resp = client.request(method, path, follow_redirects=False)
        assert (resp.status_code, resp.headers.get("location")) == (303, "/login"), (method, path)


@pytest.mark.parametrize("role, method, path", [
    ("chair", "POST", "/submissions/{flagged}/reject"),
    ("chair", "POST", "/panels/2026-12-02/build"),
    ("panel_member", "GET", "/queue"),
    ("panel_member", "GET", "/submissions/{flagged}"),
    ("panel_member", "GET", "/submissions/{accepted}/files/0"),
    ("panel_member", "GET", "/panels/2026-12-02/pack"),  # a pack never sent to them
    ("read_only", "GET", "/submissions/{accepted}/files/0"),
    ("read_only", "POST", "/submissions/{accepted}/decision"),
    ("administrator", "POST", "/decisions/dec-x-v1/sign"),
])
def test_each_role_is_refused_what_it_may_not_do(project, client: TestClient, role: str, method: str, path: str) -> None:
    _, ids = project
    csrf = sign_in(client, role)
    resp = client.request(method, path.format(**ids), data={"csrf": csrf, "reason": "x"}, follow_redirects=False)
    assert resp.status_code == 403, resp.text
    store = Store(project[0].db_path)
    assert any(a.action == "refused" and a.actor == ACCOUNTS[role][0] for a in store.audit_log())
    store.close()


def test_a_form_without_its_csrf_token_is_refused(project, client: TestClient) -> None:
    _, ids = project
    sign_in(client, "administrator")
    resp = client.post(f"/submissions/{ids['flagged']}/signoff", data={"reason": "phoned", "manager": "Terry"},
                       follow_redirects=False)
    assert resp.status_code == 403
    resp = client.post(f"/submissions/{ids['flagged']}/signoff", data={"reason": "phoned", "manager": "Terry", "csrf": "forged"},
                       follow_redirects=False)
    assert resp.status_code == 403


def test_sign_in_is_rate_limited(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    codes = [client.post("/login", data={"email": ACCOUNTS["chair"][0], "password": "wrong-password!", "csrf": token}).status_code
             for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    right = client.post("/login", data={"email": ACCOUNTS["chair"][0], "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert right.status_code == 429  # still blocked for the window


def test_security_headers_and_cookie(client: TestClient) -> None:
    resp = client.get("/login")
    assert resp.headers["x-frame-options"] == "SAMEORIGIN" and resp.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    assert "object-src 'none'" in resp.headers["content-security-policy"]  # nothing embedded: PDF.js draws documents
    assert resp.headers["referrer-policy"] == "no-referrer"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_social_worker_with_an_account_gets_no_access(project, client: TestClient) -> None:
    cfg, _ = project
    from carepanel.web.auth import hash_password
    store = Store(cfg.db_path)
    store.upsert_user("sam.worker@example.gov.uk", "Sam", "administrator", hash_password(PASSWORD), actor="test")
    store.close()
    token = csrf_of(client.get("/login").text)
    resp = client.post("/login", data={"email": "sam.worker@example.gov.uk", "password": PASSWORD, "csrf": token})
    assert resp.status_code == 401


def test_clearing_a_flag_is_audited_with_the_user(project, client: TestClient) -> None:
    cfg, ids = project
    csrf = sign_in(client, "administrator")
    resp = client.post(f"/submissions/{ids['flagged']}/signoff",
                       data={"csrf": csrf, "manager": "Terry Manager", "reason": "Approved by phone 23/11"}, follow_redirects=False)
    assert resp.status_code == 303
    page = client.get(f"/submissions/{ids['flagged']}")
    assert "accepted" in page.text
    store = Store(cfg.db_path)
    sub = store.submission(ids["flagged"])
    log = store.audit_log(ids["flagged"])
    store.close()
    assert sub is not None and sub.status == "accepted" and sub.signoff.source == "admin_override"
    assert any(a.action == "signoff_recorded" and a.actor == "pat.admin@example.gov.uk" for a in log)
    assert any(a.action == "viewed" and a.actor == "pat.admin@example.gov.uk" for a in log)


def test_health_endpoint_needs_no_session_and_shows_no_personal_data(client: TestClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code in (200, 503) and "healthy" in resp.json() and "queue" in resp.json()
    assert "Example" not in resp.text and "@" not in resp.text


def test_dashboard_counts_this_weeks_mail(project, client: TestClient) -> None:
    sign_in(client, "administrator")
    page = client.get("/").text
    assert "Submissions received this week: 2" in page
    assert "Late: 0%" in page and "Flagged on arrival: 50%" in page


def test_dashboard_says_when_the_mailbox_cannot_be_reached(project, client: TestClient) -> None:
    cfg = project[0] if isinstance(project, tuple) else project
    sign_in(client, "administrator")
    inbox = cfg.mailbox.path
    assert inbox is not None
    inbox.mkdir(parents=True, exist_ok=True)
    assert "mailbox (folder) reachable" in client.get("/").text
    inbox.rmdir()  # the share the inbox lives on has gone
    page = client.get("/").text
    assert "Service: needs attention" in page and "mailbox (folder) NOT REACHABLE" in page
    assert "the inbox folder does not exist" in page
