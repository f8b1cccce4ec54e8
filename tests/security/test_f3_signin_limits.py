"""Finding 3: sign-in fills the disk and memory.

An email over 254 characters or a password over 1,024 is refused before anything is written;
a post too large to be a sign-in is not even read; the throttle state is bounded and expires.
"""

from __future__ import annotations

import pytest

from carepanel.store import Store
from carepanel.web import sessions
from web.webhelpers import csrf_of


def _counts(cfg) -> tuple[int, int]:
    store = Store(cfg.db_path)
    audit = store.conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    throttles = store.conn.execute("SELECT COUNT(*) FROM sign_in_throttles").fetchone()[0]
    store.close()
    return audit, throttles


def test_f3_a_one_megabyte_email_field_writes_nothing(project, make_client) -> None:
    cfg, _ = project
    client = make_client()
    token = csrf_of(client.get("/login").text)
    before = _counts(cfg)
    for _ in range(3):
        resp = client.post("/login", data={"email": "a" * 1_000_000 + "@example.gov.uk", "password": "x", "csrf": token})
        assert resp.status_code == 413 and "too long" in resp.text
    assert _counts(cfg) == before


@pytest.mark.parametrize("email, password", [("a" * 243 + "@example.gov.uk", "wrong password"),  # 258 characters
                                             ("pat.admin@example.gov.uk", "p" * 1025)])
def test_f3_an_overlong_email_or_password_is_refused_before_anything_is_written(project, make_client, email, password) -> None:
    cfg, _ = project
    client = make_client()
    token = csrf_of(client.get("/login").text)
    before = _counts(cfg)
    resp = client.post("/login", data={"email": email, "password": password, "csrf": token})
    assert resp.status_code == 400 and "too long" in resp.text
    assert _counts(cfg) == before


def test_f3_a_streamed_body_without_a_length_is_cut_off_too(project, make_client) -> None:
    cfg, _ = project
    client = make_client()
    token = csrf_of(client.get("/login").text)
    before = _counts(cfg)

    def chunks():
        yield f"csrf={token}&password=x&email=".encode()
        for _ in range(100):
            yield b"a" * 10_000

    resp = client.post("/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 413
    assert _counts(cfg) == before


def test_f3_throttle_entries_for_addresses_tried_expire(project, make_client, clock) -> None:
    cfg, _ = project
    client = make_client()
    token = csrf_of(client.get("/login").text)
    for n in range(15):
        client.post("/login", data={"email": f"guess{n}@example.gov.uk", "password": "wrong password", "csrf": token})
    assert _counts(cfg)[1] == 16  # 15 accounts and one address
    clock.move(minutes=16)
    client.post("/login", data={"email": "one.more@example.gov.uk", "password": "wrong password", "csrf": token})
    assert _counts(cfg)[1] == 2


def test_f3_throttle_state_never_exceeds_its_bound(project, make_client, monkeypatch) -> None:
    cfg, _ = project
    monkeypatch.setattr(sessions, "MAX_THROTTLES", 10)
    client = make_client()
    token = csrf_of(client.get("/login").text)
    for n in range(15):
        client.post("/login", data={"email": f"guess{n}@example.gov.uk", "password": "wrong password", "csrf": token})
    assert _counts(cfg)[1] <= 10
