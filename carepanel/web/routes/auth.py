"""Signing in and out: a password checked against the account, or Entra ID (OpenID Connect);
either way the role comes from the staff directory."""

from __future__ import annotations

import os
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...config import Config
from ...logs import safe_fields
from .. import sessions, signin
from ..auth import MAX_EMAIL, MAX_PASSWORD, check_password, client_address, role_for
from ..webapp import WebApp, back, log, route


def routes(web: WebApp) -> list[Route]:
    return [
        route(web, "/login", login_page, methods=["GET"]),
        route(web, "/login", login, methods=["POST"]),
        route(web, "/logout", logout, methods=["POST"]),
        route(web, "/login/oidc", oidc_start),
        route(web, "/auth/callback", oidc_callback),
    ]


async def login_page(web: WebApp, request: Request) -> Response:
    return web.page(request, "login.html", None, error=None, oidc=web.cfg.web.oidc is not None)


def login_refused(web: WebApp, request: Request, status: int, error: str) -> Response:
    resp = web.page(request, "login.html", None, error=error, oidc=web.cfg.web.oidc is not None)
    resp.status_code = status
    return resp


async def login(web: WebApp, request: Request) -> Response:
    """Nothing is written for a post too large to be a sign-in; the password is checked
    (Argon2) whether or not the account exists; failures slow down that account and that
    address separately (sessions.py)."""
    cfg = web.cfg
    if not await signin.body_within(request, signin.MAX_LOGIN_BODY):
        return login_refused(web, request, 413, "That email address or password is too long.")
    form = await web.form(request)
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        return login_refused(web, request, 400, "That email address or password is too long.")
    now = web.timestamp()
    address = client_address(request.client.host if request.client else None,
                             request.headers.get("x-forwarded-for"), cfg.web.trusted_proxies)
    keys = (sessions.account_key(email), sessions.address_key(address))
    wait = sessions.wait_seconds(web.store, keys, now)
    if wait > 0:
        log.warning("sign-in throttled", extra=safe_fields(event="login_limited", seconds=round(wait)))
        minutes = max(1, round(wait / 60))
        return login_refused(web, request, 429, f"Too many attempts. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again.")
    account = web.store.user(email)
    password_ok = check_password(account.password_hash if account else None, password)
    user = role_for(email, web.directory, web.store) if password_ok else None
    if user is None:
        limit = cfg.web.max_login_failures
        sessions.record_failure(web.store, {keys[0]: limit, keys[1]: limit * signin.ADDRESS_FACTOR}, now)
        web.store.audit(email or "?", "login_failed", "user", email or "?", None)
        return login_refused(web, request, 401, "That email address and password do not match.")
    sessions.clear_throttle(web.store, keys[0])
    web.start_session(request, user, None)
    return back("/")


async def logout(web: WebApp, request: Request) -> Response:
    await web.form(request)
    email = request.session.get("user")
    sessions.end_session(web.store, request.session.get("sid"), web.timestamp(), "signed_out")
    request.session.clear()
    if email:
        web.store.audit(email, "logout", "user", email, None)
    return back("/login")


async def oidc_start(web: WebApp, request: Request) -> Response:
    cfg = web.cfg
    if cfg.web.oidc is None:
        raise HTTPException(404)
    client = _oidc_client(cfg)
    return await client.authorize_redirect(request, f"{cfg.web.url}/auth/callback")


async def oidc_callback(web: WebApp, request: Request) -> Response:
    cfg = web.cfg
    if cfg.web.oidc is None:
        raise HTTPException(404)
    client = _oidc_client(cfg)
    token = await client.authorize_access_token(request)
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or claims.get("preferred_username") or "").lower()
    user = role_for(email, web.directory, web.store) if email else None
    if user is None:
        web.store.audit(email or "?", "login_refused", "user", email or "?", "not in the staff directory with a web role")
        raise HTTPException(403, "Your account is not allowed to use this service.")
    web.start_session(request, user, "oidc")
    return back("/")


def _oidc_client(cfg: Config) -> Any:
    from authlib.integrations.starlette_client import OAuth

    assert cfg.web.oidc is not None
    oauth = OAuth()
    oauth.register("entra", client_id=cfg.web.oidc.client_id,
                   client_secret=os.environ.get(cfg.web.oidc.client_secret_env, ""),
                   server_metadata_url=f"{cfg.web.oidc.issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": "openid email profile"})
    return oauth.create_client("entra")
