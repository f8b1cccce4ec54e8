"""What every page shares: the ``WebApp`` (config, one store per thread, the directory, a
converter, the templates), the signed-in person, and the small helpers the route modules use.

Kept apart from ``app.py`` so the route modules in ``routes/`` can import it while ``app.py``
imports them.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import re
import secrets
import threading
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ..clock import LONDON, Clock, system_clock
from ..config import Config
from ..directory import Directory
from ..directory_watch import LiveDirectory
from ..jobs.review import Review
from ..mailbox.archive import Archive
from ..office import Converter
from ..store import Store, StoredSubmission
from . import sessions
from .auth import User, role_for

log = logging.getLogger("carepanel.web")
HERE = Path(__file__).resolve().parent
FIELD_ID = re.compile(r"[a-z][a-z0-9_-]{0,40}")
mimetypes.add_type("text/javascript", ".mjs")  # PDF.js ships ES modules; nosniff needs the right type
FLAG_TEXT = {
    "late": "Arrived after the cut-off",
    "missing_fields": "Required answers are empty",
    "no_manager_signoff": "No manager sign-off found",
    "no_request_form": "No request form attached",
    "unreadable_attachment": "An attachment cannot be read",
    "unsafe_attachment": "An attachment may be harmful",
    "missing_documents": "Required papers are missing",
    "out_of_scope": "Not a request this panel considers",
    "below_threshold": "Under the panel's spending threshold",
}


class SignInRequired(Exception):
    pass


class WebApp:
    """The state the pages share: config, one store per thread, the directory, a converter."""

    def __init__(self, cfg: Config, clock: Clock = system_clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self.live_directory = LiveDirectory(cfg)
        self.archive = Archive(cfg.archive_dir)
        self.session_policy = sessions.SessionPolicy(cfg.web.idle_timeout_minutes * 60, cfg.web.session_hours * 3600)
        self._local = threading.local()
        self._converter: Converter | None = None
        self._converter_lock = threading.Lock()
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(flag_text=FLAG_TEXT, panel_title=cfg.profile.title, council=cfg.profile.council)

    @property
    def directory(self) -> Directory:
        """The staff directory as it is now (re-read when its CSV changes)."""
        return self.live_directory.current()

    def timestamp(self) -> float:
        return self.clock().timestamp()

    @property
    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.cfg.db_path)
        return store

    def converter(self) -> Converter:
        with self._converter_lock:
            if self._converter is None:
                self._converter = Converter(workers=1, timeout=self.cfg.pack.office_timeout_seconds)
            return self._converter

    def close(self) -> None:
        if self._converter is not None:
            self._converter.close()

    # -------------------------------------------------------------- helpers for handlers

    def user(self, request: Request) -> User:
        """The signed-in person, checked at every request: the session is still on in the
        database, and the staff directory still gives them a role (else every session of theirs
        ends now)."""
        email = request.session.get("user")
        if not email:
            raise SignInRequired()
        now = self.timestamp()
        if not sessions.live_session(self.store, request.session.get("sid"), email, now, self.session_policy):
            request.session.clear()
            raise SignInRequired()
        user = role_for(email, self.directory, self.store)
        if user is None:
            if sessions.end_sessions_of(self.store, email, now, "no_role"):
                self.store.audit("carepanel", "sessions_ended", "user", email, "no longer has a role in the staff directory")
            request.session.clear()
            raise SignInRequired()
        return user

    def start_session(self, request: Request, user: User, how: str | None) -> None:
        """A new session on sign-in (never the one the browser brought: no fixation)."""
        request.session.clear()
        sid = sessions.start_session(self.store, user.email, self.timestamp())
        request.session.update({"user": user.email, "sid": sid, "csrf": secrets.token_urlsafe(32)})
        self.store.audit(user.email, "login", "user", user.email, how, {"role": user.role})

    def need(self, request: Request, permission: str) -> User:
        user = self.user(request)
        if not user.can(permission):
            self.store.audit(user.email, "refused", "page", request.url.path, permission)
            raise HTTPException(403, "You do not have permission to do this.")
        return user

    async def form(self, request: Request) -> FormData:
        form = await request.form()
        token = request.session.get("csrf")
        if not token or not secrets.compare_digest(str(form.get("csrf", "")), token):
            raise HTTPException(403, "This form has expired or did not come from this site. Reload the page and try again.")
        return form

    def page(self, request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        # ``?error=field-id`` (set by ``back``) makes the note an error summary linked to that field.
        error_field = request.query_params.get("error", "")
        context.setdefault("error_field", error_field if FIELD_ID.fullmatch(error_field) else None)
        return self.templates.TemplateResponse(request, name, {"user": user, "csrf": request.session["csrf"], **context})

    def submission(self, sub_id: str) -> StoredSubmission:
        sub = self.store.submission(sub_id)
        if sub is None:
            raise HTTPException(404, "No such submission.")
        return sub

    def now(self) -> datetime:
        return self.clock().astimezone(LONDON)

    def review(self, user: User) -> Review:
        """The review actions, done as this person (their address goes in the audit log)."""
        return Review(self.cfg, self.store, self.directory, actor=user.email)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(404, "No such date.") from exc


def back(path: str, note: str | None = None, error: str | None = None) -> RedirectResponse:
    """Back to a page with a note; with ``error`` (a field's id) the note is shown as an error
    summary linked to that field, and beside it."""
    query = (f"?note={quote(note)}" if note else "") + (f"&error={quote(error)}" if note and error else "")
    return RedirectResponse(path + query, status_code=303)


Handler = Callable[["WebApp", Request], Awaitable[Response]]


def route(web: WebApp, path: str, handler: Handler, methods: list[str] | None = None) -> Route:
    """A ``Route`` whose endpoint is ``handler`` given the shared ``WebApp``: the route modules'
    handlers are plain module functions, so no function holds a whole area's handlers."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        return await handler(web, request)

    return Route(path, endpoint, methods=methods)
