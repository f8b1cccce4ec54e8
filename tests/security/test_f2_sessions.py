"""Finding 2: sessions cannot be revoked.

Sessions live in the database and end at sign-out, on a password change, on losing one's role
(test_f1_leavers), by an administrator ("sign this person out everywhere"), after 30 idle
minutes and 8 hours in all.
"""

from __future__ import annotations

from click.testing import CliRunner

from carepanel.cli import main
from carepanel.store import Store
from sechelpers import with_web
from web.webhelpers import ACCOUNTS, csrf_of, sign_in


def _signed_out(resp) -> bool:
    return (resp.status_code, resp.headers.get("location")) == (303, "/login")


def test_f2_a_saved_cookie_and_csrf_token_are_dead_after_sign_out(project, make_client) -> None:
    _, ids = project
    client = make_client()
    csrf = sign_in(client, "administrator")
    saved = dict(client.cookies)
    client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    attacker = make_client(cookies=saved)
    resp = attacker.post(f"/submissions/{ids['flagged']}/signoff",
                         data={"csrf": csrf, "manager": "Terry Manager", "reason": "replayed"}, follow_redirects=False)
    assert _signed_out(resp)
    store = Store(project[0].db_path)
    status = store.submission(ids["flagged"]).status
    store.close()
    assert status == "flagged"


def test_f2_a_password_change_signs_the_person_out_everywhere(project, make_client) -> None:
    cfg, _ = project
    client = make_client()
    sign_in(client, "chair")
    result = CliRunner().invoke(main, ["--config", str(cfg.path), "user", "add", ACCOUNTS["chair"][0],
                                       "--password", "a brand new passphrase"])
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    assert _signed_out(client.get("/panels", follow_redirects=False))


def test_f2_an_administrator_signs_a_person_out_everywhere(project, make_client) -> None:
    chair_laptop, chair_phone, admin = make_client(), make_client(), make_client()
    sign_in(chair_laptop, "chair")
    sign_in(chair_phone, "chair")
    csrf = sign_in(admin, "administrator")
    page = admin.get("/admin/sign-ins")
    assert page.status_code == 200 and ACCOUNTS["chair"][0] in page.text
    resp = admin.post("/admin/sign-ins/sign-out", data={"csrf": csrf, "email": ACCOUNTS["chair"][0]})
    assert "2 session(s) ended." in resp.text
    assert _signed_out(chair_laptop.get("/panels", follow_redirects=False))
    assert _signed_out(chair_phone.get("/panels", follow_redirects=False))
    assert admin.get("/panels", follow_redirects=False).status_code == 200


def test_f2_only_an_administrator_may_sign_others_out(project, make_client) -> None:
    client = make_client()
    csrf = sign_in(client, "chair")
    assert client.get("/admin/sign-ins").status_code == 403
    assert client.post("/admin/sign-ins/sign-out", data={"csrf": csrf, "email": ACCOUNTS["administrator"][0]}).status_code == 403


def test_f2_a_session_idle_for_30_minutes_ends(project, make_client, clock) -> None:
    client = make_client()
    sign_in(client, "administrator")
    clock.move(minutes=29)
    assert client.get("/panels", follow_redirects=False).status_code == 200
    clock.move(minutes=31)
    assert _signed_out(client.get("/panels", follow_redirects=False))


def test_f2_a_busy_session_still_ends_after_8_hours(project, make_client, clock) -> None:
    client = make_client()
    sign_in(client, "administrator")
    for _ in range(23):  # every 20 minutes for 7 h 40 min
        clock.move(minutes=20)
        assert client.get("/panels", follow_redirects=False).status_code == 200
    clock.move(minutes=21)
    assert _signed_out(client.get("/panels", follow_redirects=False))


def test_f2_the_timeouts_are_configurable(project, make_client, clock) -> None:
    cfg = with_web(project[0], idle_timeout_minutes=5)
    client = make_client(cfg)
    sign_in(client, "administrator")
    clock.move(minutes=6)
    assert _signed_out(client.get("/panels", follow_redirects=False))


def test_f2_signing_in_again_gives_a_new_session_and_token(project, make_client) -> None:
    client = make_client()
    first = sign_in(client, "administrator")
    old_cookie = client.cookies.get("carepanel_session")
    second = sign_in(client, "administrator")
    assert first != second and client.cookies.get("carepanel_session") != old_cookie
    assert csrf_of(client.get("/panels").text) == second
