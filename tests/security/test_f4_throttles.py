"""Finding 4: one person can lock out all staff.

Failures are throttled by account and by address separately, with growing delays instead of
one hard lock; X-Forwarded-For is read only from `[web] trusted_proxies`; an administrator can
see and clear a throttle.
"""

from __future__ import annotations

from click.testing import CliRunner

from carepanel.cli import main
from carepanel.store import Store
from carepanel.web import sessions
from carepanel.web.auth import client_address
from sechelpers import with_web
from web.webhelpers import ACCOUNTS, PASSWORD, csrf_of, sign_in

WRONG = "not the password!"


def _try(client, role_or_email: str, password: str, **headers: str):
    email = ACCOUNTS[role_or_email][0] if role_or_email in ACCOUNTS else role_or_email
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf": token}, headers=headers,
                       follow_redirects=False)


def test_f4_seven_wrong_passwords_for_one_account_do_not_lock_out_colleagues_at_the_same_address(project, make_client) -> None:
    attacker = make_client()
    colleague = make_client(app=attacker.app)  # the same service, the same client address
    codes = [_try(attacker, "chair", WRONG).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert _try(colleague, "administrator", PASSWORD).status_code == 303


def test_f4_the_wait_grows_with_each_failure_and_ends(project, make_client, clock) -> None:
    cfg, _ = project
    client = make_client()
    waits = []
    for _ in range(8):
        _try(client, "chair", WRONG)
        store = Store(cfg.db_path)
        row = next(t for t in sessions.throttles(store, clock().timestamp()) if t["key"] == "account:dana.chair@example.gov.uk")
        store.close()
        waits.append(row["wait_seconds"])
        clock.move(seconds=row["wait_seconds"])  # wait it out, then fail again
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240]
    assert _try(client, "chair", PASSWORD).status_code == 303


def test_f4_an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for(project, make_client) -> None:
    client = make_client(client=("203.0.113.9", 4000))
    for n in range(20):
        _try(client, f"guess{n}@example.gov.uk", WRONG, **{"x-forwarded-for": f"198.51.100.{n}"})
    assert _try(client, "administrator", PASSWORD).status_code == 429  # the real address is slowed down


def test_f4_behind_a_trusted_proxy_each_client_is_throttled_by_its_own_address(project, make_client) -> None:
    cfg = with_web(project[0], trusted_proxies=["10.0.0.0/8"])
    proxy = make_client(cfg, client=("10.1.2.3", 4000))
    for n in range(20):
        _try(proxy, f"guess{n}@example.gov.uk", WRONG, **{"x-forwarded-for": "198.51.100.7"})
    assert _try(proxy, "administrator", PASSWORD, **{"x-forwarded-for": "198.51.100.7"}).status_code == 429
    assert _try(proxy, "administrator", PASSWORD, **{"x-forwarded-for": "198.51.100.8"}).status_code == 303


def test_f4_client_address_reads_forwarded_for_from_the_right() -> None:
    trusted = ["10.0.0.0/8"]
    assert client_address("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", trusted) == "198.51.100.7"
    assert client_address("203.0.113.1", "198.51.100.7", trusted) == "203.0.113.1"
    assert client_address("10.0.0.1", "not-an-address", trusted) == "10.0.0.1"
    assert client_address("10.0.0.1", None, trusted) == "10.0.0.1"


def test_f4_an_administrator_sees_and_clears_a_throttle_on_the_web(project, make_client) -> None:
    victim, admin = make_client(client=("192.0.2.1", 1)), make_client(client=("192.0.2.2", 1))
    for _ in range(5):
        _try(victim, "chair", WRONG)
    assert _try(victim, "chair", PASSWORD).status_code == 429
    csrf = sign_in(admin, "administrator")
    page = admin.get("/admin/sign-ins").text
    assert "account:dana.chair@example.gov.uk" in page
    resp = admin.post("/admin/sign-ins/clear", data={"csrf": csrf, "key": "account:dana.chair@example.gov.uk"})
    assert "Cleared." in resp.text
    assert _try(victim, "chair", PASSWORD).status_code == 303


def test_f4_an_administrator_sees_and_clears_a_throttle_from_the_command_line(project, make_client) -> None:
    cfg, _ = project
    client = make_client()
    for _ in range(5):
        _try(client, "chair", WRONG)
    run = CliRunner().invoke(main, ["--config", str(cfg.path), "user", "throttles"])
    assert "account:dana.chair@example.gov.uk  5 failures" in run.output
    run = CliRunner().invoke(main, ["--config", str(cfg.path), "user", "unthrottle", "account:dana.chair@example.gov.uk"])
    assert run.exit_code == 0 and "cleared" in run.output
    store = Store(cfg.db_path)
    assert any(a.action == "throttle_cleared" for a in store.audit_log())
    store.close()
