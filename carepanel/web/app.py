"""The web app: server-rendered pages for administrators and chairs.

Plain HTML forms that work without JavaScript.  Every page and file needs a signed-in session
(``/login`` otherwise); every form carries a CSRF token; every view of a child's documents and
every change is written to the audit log with the person's address.  The pages call the same
functions as the command line (``packs``, ``decisions``, the store), so the two never disagree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..clock import Clock, system_clock
from ..config import Config
from . import admin_security
from .auth import session_secret
from .notes import NoteInSession
from .routes import auth, dashboard, decisions, machines, panels, queue
from .webapp import HERE, SignInRequired, WebApp

__all__ = ["SecurityHeaders", "SignInRequired", "WebApp", "create_app"]


class SecurityHeaders:
    """Headers for every response: no framing, no sniffing, no third-party anything; HSTS
    where the app is reached over https."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                                 b"frame-src 'none'; object-src 'none'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(cfg: Config, clock: Clock = system_clock) -> Starlette:
    """The app: the pages of every area (``routes/``), behind the security headers, the session
    and the note middleware."""
    web = WebApp(cfg, clock)
    secret = session_secret(os.environ.get(cfg.web.secret_key_env), cfg.data_dir)
    app = Starlette(
        routes=_routes(web),
        middleware=[Middleware(SecurityHeaders, hsts=cfg.web.url.startswith("https://")),
                    Middleware(SessionMiddleware, secret_key=secret,
                               # __Host-: only this host, only https, path / (not usable over plain http)
                               session_cookie="__Host-carepanel_session" if cfg.web.secure_cookies else "carepanel_session",
                               max_age=int(cfg.web.session_hours * 3600), same_site="lax", https_only=cfg.web.secure_cookies),
                    Middleware(NoteInSession)],
        exception_handlers=_error_pages(web),
        lifespan=_lifespan(web),
    )
    app.state.web = web
    return app


def _routes(web: WebApp) -> list[BaseRoute]:
    """Every area's routes. Order matters where paths overlap: the decision pages come before
    the queue's ``/submissions/{sub_id}/{action}``."""
    routes: list[BaseRoute] = []
    for area in (auth, machines, dashboard, decisions, queue, panels):
        routes += area.routes(web)
    # Stylesheets and scripts (our viewer, and PDF.js installed by scripts/setup.sh): no personal data.
    routes.append(Mount("/static", app=StaticFiles(directory=str(HERE / "static"), check_dir=False), name="static"))
    routes += admin_security.routes(web)
    return routes


def _error_pages(web: WebApp) -> dict[Any, Any]:
    """Not signed in: to the sign-in page; any other refusal: the error page, as the person."""

    async def not_signed_in(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        user = None
        try:
            user = web.user(request)
        except SignInRequired:
            pass
        return web.templates.TemplateResponse(request, "error.html", {"user": user, "status": exc.status_code,
                                                                      "detail": exc.detail, "csrf": request.session.get("csrf", "")},
                                              status_code=exc.status_code)

    return {SignInRequired: not_signed_in, HTTPException: http_error}


def _lifespan(web: WebApp) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        web.close()

    return lifespan
