"""Entra ID sign-in through Authlib: the redirect a council's tenant would receive, built from
the issuer's published metadata (served here by a local stand-in for the tenant)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from starlette.testclient import TestClient

from carepanel.config import build_config
from carepanel.errors import ConfigError
from carepanel.web.app import create_app
from test_intake_e2e import NOW
from staffdata import STAFF_CSV


@pytest.fixture
def issuer():
    state = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            base = state["base"]
            body = json.dumps({"issuer": base, "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                               "token_endpoint": f"{base}/oauth2/v2.0/token", "jwks_uri": f"{base}/discovery/v2.0/keys",
                               "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                               "scopes_supported": ["openid", "profile", "email"]}).encode()
            self.send_response(200 if self.path == "/.well-known/openid-configuration" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state["base"]
    server.shutdown()
    server.server_close()


def test_sign_in_with_entra_redirects_to_the_tenant_with_our_callback(tmp_path: Path, issuer: str, monkeypatch) -> None:
    monkeypatch.setenv("CAREPANEL_TEST_OIDC_SECRET", "s3cret")
    (tmp_path / "staff.csv").write_text(STAFF_CSV)
    cfg = build_config({"directory": {"csv": "staff.csv"},
                        "web": {"url": "https://crp.council.gov.uk",
                                "oidc": {"issuer": issuer, "client_id": "app-123", "client_secret_env": "CAREPANEL_TEST_OIDC_SECRET"}}},
                       base=tmp_path)
    with TestClient(create_app(cfg, clock=lambda: NOW), base_url="https://crp.council.gov.uk") as client:
        assert "Sign in with your council account" in client.get("/login").text
        resp = client.get("/login/oidc", follow_redirects=False)
    assert resp.status_code == 302
    target = urlparse(resp.headers["location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{issuer}/oauth2/v2.0/authorize"
    assert query["client_id"] == ["app-123"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["https://crp.council.gov.uk/auth/callback"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"} and query["state"][0]


def test_an_issuer_that_is_not_https_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="https"):
        build_config({"web": {"oidc": {"issuer": "http://login.example.com/tenant", "client_id": "x",
                                       "client_secret_env": "Y"}}}, base=tmp_path)
