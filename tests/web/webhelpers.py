"""A project with mail already in it, accounts for each role, and a signed-in test client."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from carepanel.config import Config, load_config
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service
from carepanel.store import Store
from carepanel.web.auth import hash_password
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers

PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    "administrator": ("pat.admin@example.gov.uk", "Pat Admin"),
    "chair": ("dana.chair@example.gov.uk", "Dana Chair"),
    "panel_member": ("chris.member@example.gov.uk", "Chris Member"),
    "read_only": ("auditor@example.gov.uk", "Audrey Auditor"),
}


def seeded_project(folder: Path) -> tuple[Config, dict[str, str]]:
    """Two submissions (one accepted, one flagged for sign-off) and an account per role."""
    config_for(folder)
    # Every account's owner is in the staff directory (no directory entry, no access); the
    # auditor's directory role gives no web role, her read-only account does.
    with open(folder / "staff.csv", "a", encoding="utf-8") as fh:
        fh.write("Audrey Auditor,auditor@example.gov.uk,social_worker,Quality Assurance\n")
    cfg = load_config(folder / "config.toml")
    ids = {}
    with open_service(cfg, clock=lambda: NOW) as svc:
        for key, case in (("accepted", GOOD),
                          ("flagged", replace(GOOD, children=(replace(GOOD.children[0], name="Leo Example", child_id="LCS900111"),),
                                              team_manager=replace(GOOD.team_manager, signed=None)))):
            raw = compose_email(SW, SW_ADDR, f"CRP request {key}", "Attached.", NOW - timedelta(hours=2),
                                [("CRP request form.docx", north_somerset_form(case))] + papers(), f"<web-{key}@example.gov.uk>")
            sub = svc.ingest_bytes(raw, source="test").submission
            assert sub is not None and sub.status == key, sub
            ids[key] = sub.id
    store = Store(cfg.db_path)
    for role, (email, name) in ACCOUNTS.items():
        store.upsert_user(email, name, role, hash_password(PASSWORD), actor="test")
    store.close()
    return cfg, ids


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(client: TestClient, role: str) -> str:
    page = client.get("/login")
    resp = client.post("/login", data={"email": ACCOUNTS[role][0], "password": PASSWORD, "csrf": csrf_of(page.text)},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return csrf_of(client.get("/panels").text)
