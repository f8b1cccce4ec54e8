"""Finding 1: a leaver keeps access, even the chair's signing rights.

The role comes from the staff directory at every request; the directory is re-read when its
CSV changes (or within 60 s); someone no longer in it can neither sign in nor keep a session.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import Config
from carepanel.directory_watch import LiveDirectory
from carepanel.store import Store
from carepanel.web.auth import hash_password
from web.webhelpers import ACCOUNTS, PASSWORD, csrf_of, sign_in


def _remove_from_directory(cfg: Config, email: str) -> None:
    assert cfg.directory_csv is not None
    lines = cfg.directory_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    cfg.directory_csv.write_text("".join(ln for ln in lines if email not in ln), encoding="utf-8")


def _post_login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password, "csrf": csrf_of(client.get("/login").text)},
                       follow_redirects=False)


def test_f1_a_chair_taken_out_of_the_directory_loses_her_session_and_cannot_sign_in(project, make_client) -> None:
    cfg, _ = project
    client = make_client()
    sign_in(client, "chair")
    assert client.get("/panels", follow_redirects=False).status_code == 200
    _remove_from_directory(cfg, ACCOUNTS["chair"][0])
    resp = client.get("/panels", follow_redirects=False)
    assert (resp.status_code, resp.headers.get("location")) == (303, "/login")
    assert _post_login(client, ACCOUNTS["chair"][0]).status_code == 401
    store = Store(cfg.db_path)
    ended = store.conn.execute("SELECT end_reason FROM web_sessions WHERE email = ?", (ACCOUNTS["chair"][0],)).fetchall()
    store.close()
    assert ended == [("no_role",)]


def test_f1_a_chair_moved_to_another_role_loses_the_chairs_rights_at_the_next_request(project, make_client) -> None:
    cfg, _ = project
    client = make_client()
    csrf = sign_in(client, "chair")
    assert cfg.directory_csv is not None
    text = cfg.directory_csv.read_text(encoding="utf-8")
    cfg.directory_csv.write_text(text.replace("dana.chair@example.gov.uk,chair", "dana.chair@example.gov.uk,social_worker"),
                                 encoding="utf-8")
    resp = client.post("/decisions/dec-x-v1/sign", data={"csrf": csrf}, follow_redirects=False)
    assert (resp.status_code, resp.headers.get("location")) == (303, "/login")


def test_f1_an_account_the_directory_does_not_name_gets_no_access_whatever_role_it_was_given(project, make_client) -> None:
    cfg, _ = project
    store = Store(cfg.db_path)
    store.upsert_user("former.chair@example.gov.uk", "Former Chair", "chair", hash_password(PASSWORD), actor="test")
    store.close()
    assert _post_login(make_client(), "former.chair@example.gov.uk").status_code == 401


def test_f1_user_add_refuses_someone_not_in_the_directory(project) -> None:
    cfg, _ = project
    result = CliRunner().invoke(main, ["--config", str(cfg.path), "user", "add", "stranger@example.gov.uk", "--role",
                                       "administrator", "--password", PASSWORD])
    assert result.exit_code != 0 and "not in the staff directory" in result.output


def test_f1_the_directory_is_read_again_within_a_minute_even_when_size_and_time_look_unchanged(project) -> None:
    cfg, _ = project
    assert cfg.directory_csv is not None
    ticks = [0.0]
    live = LiveDirectory(cfg, monotonic=lambda: ticks[0])
    assert live.current().by_email(ACCOUNTS["chair"][0]) is not None
    path: Path = cfg.directory_csv
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Dana Chair,dana.chair@", "Dana Chaix,dana.chaix@"), encoding="utf-8")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same modification time
    assert live.current().by_email(ACCOUNTS["chair"][0]) is not None  # not yet noticed
    ticks[0] = 60.0
    assert live.current().by_email(ACCOUNTS["chair"][0]) is None


def test_f1_a_half_written_directory_keeps_the_last_good_copy(project) -> None:
    cfg, _ = project
    assert cfg.directory_csv is not None
    live = LiveDirectory(cfg)
    cfg.directory_csv.write_text("name,email,role,team\nBroken,not-an-address,chair,X\n", encoding="utf-8")
    assert live.current().by_email(ACCOUNTS["administrator"][0]) is not None


def test_f1_roles_from_the_exchange_address_book_copy_are_dropped_when_the_copy_changes(tmp_path: Path) -> None:
    import json

    from carepanel.config import build_config
    from carepanel.directory import EXCHANGE_CACHE

    (tmp_path / "staff.csv").write_text("name,email,role,team\n", encoding="utf-8")
    cfg = build_config({"directory": {"csv": "staff.csv", "exchange_groups": {"chair": "crp-chairs@example.gov.uk"}},
                        "mailbox": {"backend": "exchange", "address": "panel@example.gov.uk", "server": "mail.example.gov.uk",
                                    "username": "panel", "password_env": "X"}}, base=tmp_path)
    cache = cfg.data_dir / EXCHANGE_CACHE
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({"rows": [{"name": "Dana Chair", "email": "dana.chair@example.gov.uk", "role": "chair"}]}))
    live = LiveDirectory(cfg)
    assert live.current().by_email("dana.chair@example.gov.uk") is not None
    cache.write_text(json.dumps({"rows": []}))  # the next refresh of the distribution list no longer names her
    assert live.current().by_email("dana.chair@example.gov.uk") is None


class _FakeEntra:
    """What Authlib's client hands back after Entra ID signs someone in (the tenant is not here)."""

    def __init__(self, email: str) -> None:
        self.email = email

    async def authorize_access_token(self, request):  # noqa: ANN001 - Authlib's signature
        return {"userinfo": {"email": self.email}}


def test_f1_entra_sign_in_takes_the_role_from_the_directory_and_a_leaver_loses_it(project, make_client, monkeypatch) -> None:
    from carepanel.web.routes import auth as web_auth
    from sechelpers import with_web

    cfg = with_web(project[0], oidc={"issuer": "http://127.0.0.1:9/tenant", "client_id": "carepanel",
                                     "client_secret_env": "CAREPANEL_TEST_OIDC_SECRET"})
    monkeypatch.setattr(web_auth, "_oidc_client", lambda cfg: _FakeEntra(ACCOUNTS["chair"][0]))
    client = make_client(cfg)
    assert client.get("/auth/callback", follow_redirects=False).status_code == 303
    assert client.get("/panels", follow_redirects=False).status_code == 200
    _remove_from_directory(cfg, ACCOUNTS["chair"][0])
    resp = client.get("/panels", follow_redirects=False)
    assert (resp.status_code, resp.headers.get("location")) == (303, "/login")
    assert make_client(cfg).get("/auth/callback", follow_redirects=False).status_code == 403


def test_f1_a_leaver_taken_out_of_the_csv_no_longer_signs_off_by_sending(tmp_path: Path) -> None:
    """The intake service reads the directory as it is now, not as it was at start-up: a team
    manager removed from the CSV no longer counts as sign-off by sending from their address."""
    from dataclasses import replace as _replace

    from carepanel.directory_watch import LiveDirectory
    from carepanel.service import open_service
    from test_intake_e2e import GOOD, NOW, TM, TM_ADDR, config_for, email, ingest

    cfg = config_for(tmp_path)
    unsigned = _replace(GOOD, team_manager=_replace(TM, signed=None))
    with open_service(cfg, clock=lambda: NOW) as svc:
        svc.live_directory = LiveDirectory(cfg)
        svc.refresh_directory()
        before = ingest(svc, email(unsigned, sender=TM_ADDR))
        assert before.signoff.source == "sender_is_manager"
        csv = cfg.directory_csv
        assert csv is not None
        csv.write_text("".join(line for line in csv.read_text().splitlines(keepends=True)
                               if TM_ADDR not in line.lower()))
        svc.refresh_directory()
        child = _replace(GOOD.children[0], name="Another Child", child_id="LCS900777")
        after = ingest(svc, email(_replace(unsigned, children=(child,)), sender=TM_ADDR, key="after-leaving"))
    assert after.status == "flagged", after.signoff
    assert "no_manager_signoff" in [f.code for f in after.flags]
