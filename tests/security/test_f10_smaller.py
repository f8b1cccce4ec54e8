"""Finding 10, smaller items: HSTS when the app is reached over https; the ``?note=`` message
rides in the session (a crafted link cannot put text on a real page); ``parse`` without a data
dir writes no ``./data/logs``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.cli import main
from carepanel.demo.samples import north_somerset_form
from sechelpers import with_web
from test_intake_e2e import GOOD
from web.webhelpers import sign_in


def test_f10_strict_transport_security_when_the_url_is_https(project, make_client) -> None:
    cfg = with_web(project[0], url="https://panel.example.gov.uk", secure_cookies=False)
    resp = make_client(cfg).get("/login")
    assert resp.headers["strict-transport-security"].startswith("max-age=31536000")


def test_f10_no_strict_transport_security_over_plain_http(make_client) -> None:
    assert "strict-transport-security" not in make_client().get("/login").headers


def test_f10_a_crafted_link_cannot_put_a_note_on_a_real_page(project, make_client) -> None:
    client = make_client()
    sign_in(client, "administrator")
    page = client.get("/panels/2026-12-02?note=Your+session+expired.+Sign+in+again+at+evil.example")
    assert page.status_code == 200 and "evil.example" not in page.text


def test_f10_the_note_after_an_action_is_shown_once_and_not_in_the_address(project, make_client) -> None:
    client = make_client()
    csrf = sign_in(client, "administrator")
    resp = client.post("/panels/2026-12-02/add", data={"csrf": csrf, "title": "Emergency s20 agreed", "kind": "ratification"},
                       follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/panels/2026-12-02"
    assert "Item added." in client.get("/panels/2026-12-02").text
    assert "Item added." not in client.get("/panels/2026-12-02").text


def test_f10_parse_outside_a_project_writes_no_data_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    form = tmp_path / "form.docx"
    form.write_bytes(north_somerset_form(GOOD))
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("CAREPANEL_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["parse", str(form), "--json"])
    assert result.exit_code == 0, result.output
    assert not (work / "data").exists()


def test_f10_over_https_the_session_cookie_is_host_only_and_secure(project, make_client) -> None:
    cfg = with_web(project[0], url="https://panel.example.gov.uk")
    cookie = make_client(cfg, base_url="https://panel.example.gov.uk").get("/login").headers["set-cookie"]
    assert cookie.startswith("__Host-carepanel_session=") and "secure" in cookie.lower() and "path=/" in cookie.lower()
