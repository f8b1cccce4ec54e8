"""The web app: server-rendered pages for administrators and chairs.

Plain HTML forms that work without JavaScript.  Every page and file needs a signed-in session
(``/login`` otherwise); every form carries a CSRF token; every view of a child's documents and
every change is written to the audit log with the person's address.  The pages call the same
functions as the command line (``packs``, ``decisions``, the store), so the two never disagree.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mimetypes
import os
import re
import secrets
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..jobs import decisions, packs
from ..clock import LONDON, Clock, system_clock
from ..config import Config
from ..directory import Directory
from ..directory_watch import LiveDirectory
from ..errors import CarepanelError
from ..jobs.health import status as health_status
from ..jobs.review import Review
from ..logs import safe_fields
from ..mailbox.archive import Archive
from ..office import Converter, OfficeError, OfficeUnavailable
from ..outputs.pdfsafe import without_actions
from ..formats.sniff import sniff_format
from ..parsers.vet import pdf_active_content
from ..pipeline import calendar
from ..pipeline.decisions import Action, DecisionRecord
from ..store import Store
from . import sessions
from . import admin_security, signin
from .auth import MAX_EMAIL, MAX_PASSWORD, User, check_password, client_address, role_for, session_secret
from .notes import NoteInSession

log = logging.getLogger("carepanel.web")
HERE = Path(__file__).resolve().parent
QUEUE_PAGE_SIZE = 50
QUEUE_STATUSES = ("flagged", "accepted", "superseded", "rejected")
_FIELD_ID = re.compile(r"[a-z][a-z0-9_-]{0,40}")
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
                                                 b"frame-src 'self'; object-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"),
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
        # ``?error=field-id`` (set by ``_back``) makes the note an error summary linked to that field.
        error_field = request.query_params.get("error", "")
        context.setdefault("error_field", error_field if _FIELD_ID.fullmatch(error_field) else None)
        return self.templates.TemplateResponse(request, name, {"user": user, "csrf": request.session["csrf"], **context})

    def submission(self, sub_id: str) -> dict[str, Any]:
        sub = self.store.submission(sub_id)
        if sub is None:
            raise HTTPException(404, "No such submission.")
        return sub

    def now(self) -> datetime:
        return self.clock().astimezone(LONDON)

    def review(self, user: User) -> Review:
        """The review actions, done as this person (their address goes in the audit log)."""
        return Review(self.cfg, self.store, self.directory, actor=user.email)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(404, "No such date.") from exc


def _back(path: str, note: str | None = None, error: str | None = None) -> RedirectResponse:
    """Back to a page with a note; with ``error`` (a field's id) the note is shown as an error
    summary linked to that field, and beside it."""
    query = (f"?note={quote(note)}" if note else "") + (f"&error={quote(error)}" if note and error else "")
    return RedirectResponse(path + query, status_code=303)


def create_app(cfg: Config, clock: Clock = system_clock) -> Starlette:
    web = WebApp(cfg, clock)

    # ------------------------------------------------------------------ signing in

    async def login_page(request: Request) -> Response:
        return web.page(request, "login.html", None, error=None, oidc=cfg.web.oidc is not None)

    def login_refused(request: Request, status: int, error: str) -> Response:
        resp = web.page(request, "login.html", None, error=error, oidc=cfg.web.oidc is not None)
        resp.status_code = status
        return resp

    async def login(request: Request) -> Response:
        """Nothing is written for a post too large to be a sign-in; the password is checked
        (Argon2) whether or not the account exists; failures slow down that account and that
        address separately (sessions.py)."""
        if not await signin.body_within(request, signin.MAX_LOGIN_BODY):
            return login_refused(request, 413, "That email address or password is too long.")
        form = await web.form(request)
        email = str(form.get("email", "")).strip().lower()
        password = str(form.get("password", ""))
        if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
            return login_refused(request, 400, "That email address or password is too long.")
        now = web.timestamp()
        address = client_address(request.client.host if request.client else None,
                                 request.headers.get("x-forwarded-for"), cfg.web.trusted_proxies)
        keys = (sessions.account_key(email), sessions.address_key(address))
        wait = sessions.wait_seconds(web.store, keys, now)
        if wait > 0:
            log.warning("sign-in throttled", extra=safe_fields(event="login_limited", seconds=round(wait)))
            minutes = max(1, round(wait / 60))
            return login_refused(request, 429, f"Too many attempts. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again.")
        account = web.store.user(email)
        password_ok = check_password(account.password_hash if account else None, password)
        user = role_for(email, web.directory, web.store) if password_ok else None
        if user is None:
            limit = cfg.web.max_login_failures
            sessions.record_failure(web.store, {keys[0]: limit, keys[1]: limit * signin.ADDRESS_FACTOR}, now)
            web.store.audit(email or "?", "login_failed", "user", email or "?", None)
            return login_refused(request, 401, "That email address and password do not match.")
        sessions.clear_throttle(web.store, keys[0])
        web.start_session(request, user, None)
        return _back("/")

    async def logout(request: Request) -> Response:
        await web.form(request)
        email = request.session.get("user")
        sessions.end_session(web.store, request.session.get("sid"), web.timestamp(), "signed_out")
        request.session.clear()
        if email:
            web.store.audit(email, "logout", "user", email, None)
        return _back("/login")

    async def oidc_start(request: Request) -> Response:
        if cfg.web.oidc is None:
            raise HTTPException(404)
        client = _oidc_client(cfg)
        return await client.authorize_redirect(request, f"{cfg.web.url}/auth/callback")

    async def oidc_callback(request: Request) -> Response:
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
        return _back("/")

    # ------------------------------------------------------------------ dashboard

    def _health_or_none(cfg: Config, clock: Clock) -> dict[str, Any] | None:
        """The service's health for the dashboard: the mailbox, the queue, what is overdue."""
        try:
            return health_status(cfg, clock)
        except Exception:  # noqa: BLE001 - the dashboard still shows the rest; /healthz says why
            log.warning("health unavailable for the dashboard", extra=safe_fields(event="health_failed"))
            return None

    async def dashboard(request: Request) -> Response:
        user = web.user(request)
        if user.role == "panel_member":
            return _back("/panels")
        user = web.need(request, "read")
        today = web.now().date()
        week_start = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), tzinfo=LONDON)
        summary = web.store.received_summary(week_start)
        total = summary["total"]
        reviews = [r for p in calendar.sittings(cfg.profile, today, today + timedelta(days=56))
                   for r in web.store.reviews_for(p)]
        overdue = [d for d in web.store.decisions(status="signed")
                   if not d["uploaded_at"] and not d["superseded_by"] and d["upload_due"]
                   and datetime.fromisoformat(d["upload_due"]) < web.now()]
        spend: dict[str, float] = defaultdict(float)
        for row in web.store.finance_log():
            spend[row["decision_date"][:7]] += float(row["total_cost"] or 0)
        return web.page(request, "dashboard.html", user, by_status=summary["by_status"], total=total,
                        late_rate=summary["late"] / total if total else 0.0,
                        flagged_rate=summary["flagged"] / total if total else 0.0,
                        reviews=reviews, overdue=overdue, unmet=web.store.unmet_needs()[-10:],
                        chart=_bar_chart(sorted(spend.items())), next_panel=calendar.next_open_panel(cfg.profile, web.now()),
                        health=_health_or_none(cfg, clock))

    async def rules_page(request: Request) -> Response:
        """The panel's rules with the policy words each comes from (read-only; administrators and chairs)."""
        from .. import rules

        user = web.need(request, "decide")
        return web.page(request, "rules.html", user, profile=cfg.profile, rules=rules.profile_rules(cfg.profile))

    # ------------------------------------------------------------------ review queue

    async def queue(request: Request) -> Response:
        user = web.need(request, "read")
        q = request.query_params
        status = q.get("status") if q.get("status") in QUEUE_STATUSES else None
        order = q.get("order") if q.get("order") in web.store.QUEUE_ORDERS else "queue"
        try:
            number = max(1, int(q.get("page") or 1))
        except ValueError:
            number = 1
        total = web.store.count_submissions(status)
        pages = max(1, -(-total // QUEUE_PAGE_SIZE))
        number = min(number, pages)
        rows = web.store.submissions_page(status=status, order=order, limit=QUEUE_PAGE_SIZE,
                                          offset=(number - 1) * QUEUE_PAGE_SIZE)

        def link(page_no: int) -> str:  # the filters and order stay in the URL from page to page
            params = {k: v for k, v in (("status", status), ("order", None if order == "queue" else order),
                                        ("page", str(page_no) if page_no > 1 else None)) if v}
            return "/queue" + ("?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()) if params else "")

        return web.page(request, "queue.html", user, rows=rows, status=status, order=order, total=total,
                        page_no=number, pages=pages, first=(number - 1) * QUEUE_PAGE_SIZE + 1,
                        prev_url=link(number - 1) if number > 1 else None,
                        next_url=link(number + 1) if number < pages else None,
                        note=q.get("note"))

    async def submission_page(request: Request) -> Response:
        user = web.need(request, "read")
        sub = web.submission(request.path_params["sub_id"])
        web.store.record_view(user.email, "submission", sub["id"], "submission")
        sittings = calendar.sittings(cfg.profile, web.now().date(), web.now().date() + timedelta(days=63))
        ask_body = web.review(user).ask_text(sub)
        return web.page(request, "submission.html", user, sub=sub, corrections=web.store.corrections(sub["id"]),
                        sittings=sittings, ask_body=ask_body, note=request.query_params.get("note"),
                        audit=[a for a in web.store.audit_log(sub["id"])][-15:],
                        decision_rows=web.store.decisions_for_submission(sub["id"]))

    async def submission_file(request: Request) -> Response:
        user = web.need(request, "documents")
        sub = web.submission(request.path_params["sub_id"])
        index = int(request.path_params["index"])
        atts = sub.get("attachments") or []
        if not 0 <= index < len(atts):
            raise HTTPException(404, "No such document.")
        att = atts[index]
        if not att.get("readable", True):
            raise HTTPException(404, "This file was flagged as unreadable or unsafe and is not shown.")
        data = web.archive.get(att["sha256"], kind="blob")
        web.store.record_view(user.email, "submission", sub["id"], f"attachment:{index}")
        fmt = sniff_format(data)
        if fmt in ("docx", "doc", "odt", "rtf"):
            preview = cfg.data_dir / "previews" / f"{att['sha256']}.pdf"
            if not preview.exists():
                try:
                    pdf = web.converter().to_pdf(data, "." + fmt)
                except (OfficeError, OfficeUnavailable) as exc:
                    raise HTTPException(503, f"The Word document could not be shown as PDF: {exc.detail}") from exc
                preview.parent.mkdir(parents=True, exist_ok=True)
                preview.write_bytes(pdf)
                os.chmod(preview, 0o600)
            data, fmt = preview.read_bytes(), "pdf"
        if fmt != "pdf":
            raise HTTPException(415, "This kind of file cannot be shown in the browser.")
        if pdf_active_content(data):  # a PDF that would run code is shown without it, or not at all
            try:
                data = without_actions(data)
            except Exception as exc:  # noqa: BLE001 - pypdf could not rewrite it: never serve it as it is
                raise HTTPException(415, "This PDF carries scripts and could not be shown safely; "
                                         "its text was read into the request.") from exc
        return Response(data, media_type="application/pdf",
                        headers={"content-disposition": f"inline; filename=\"document-{index + 1}.pdf\""})

    async def submission_action(request: Request) -> Response:
        user = web.need(request, "review")
        form = await web.form(request)
        sub = web.submission(request.path_params["sub_id"])
        path = f"/submissions/{sub['id']}"
        try:
            note = _review_action(web.review(user), sub, request.path_params["action"], form)
        except CarepanelError as exc:
            return _back(path, exc.detail, error=_REVIEW_FIELDS.get(exc.code or "", "").format(
                action=request.path_params["action"]) or None)
        return _back(path, note)

    # ------------------------------------------------------------------ panels

    async def panels(request: Request) -> Response:
        user = web.user(request)
        if not (user.can("read") or user.can("packs_sat_on")):
            raise HTTPException(403)
        today = web.now().date()
        days = calendar.sittings(cfg.profile, today - timedelta(days=28), today + timedelta(days=56))
        if user.role == "panel_member":
            days = [d for d in days if user.email in web.store.pack_recipients(d)]
        return web.page(request, "panels.html", user, days=days, today=today)

    async def panel_page(request: Request) -> Response:
        user = web.need(request, "read")
        day = _day(request.path_params["day"])
        try:
            agenda = packs.agenda_for(cfg, web.store, day)
        except CarepanelError as exc:
            raise HTTPException(404, exc.detail) from exc
        decided = {d["submission_id"]: d for d in web.store.decisions(panel_date=day) if d["submission_id"]}
        return web.page(request, "panel.html", user, day=day, agenda=agenda, packs_built=web.store.packs(day),
                        decided=decided, note=request.query_params.get("note"),
                        sittings=calendar.sittings(cfg.profile, day + timedelta(days=1), day + timedelta(days=63)))

    async def panel_action(request: Request) -> Response:
        user = web.need(request, "panel")
        form = await web.form(request)
        day = _day(request.path_params["day"])
        action = request.path_params["action"]
        path = f"/panels/{day.isoformat()}"
        try:
            if action == "build":
                result = packs.build(cfg, web.store, web.archive, day, converter=web.converter())
                return _back(path, f"Pack built: {result.pages} pages" + (f", {len(result.warnings)} warnings" if result.warnings else ""))
            if action == "send":
                sent = packs.send(cfg, web.store, web.archive, web.directory, day, converter=web.converter(),
                                  rebuild=bool(form.get("rebuild")))
                return _back(path, f"Pack revision {sent['revision']} queued for {sent['sent_to']} people.")
            ref, reason = str(form.get("ref", "")), str(form.get("reason", "")).strip() or "administrator"
            agenda = packs.agenda_for(cfg, web.store, day)
            kinds = {c.ref_id: c.kind for c in agenda.cases} | {c.ref_id: c.kind for c in agenda.withdrawn}
            if action == "up" and ref in kinds:
                order = [c.ref_id for c in agenda.cases]
                i = order.index(ref)
                if i > 0:
                    order[i - 1], order[i] = order[i], order[i - 1]
                web.store.set_agenda_order(day, [(r, kinds[r]) for r in order], actor=user.email)
                return _back(path)
            if action == "withdraw" and ref in kinds:
                web.store.withdraw_from_agenda(day, ref, kinds[ref], actor=user.email, reason=reason)
                return _back(path, "Withdrawn from this panel.")
            if action == "add":
                title = str(form.get("title", "")).strip()
                if not title:
                    return _back(path, "Say what the item is.", error="title")
                kind = "ratification" if form.get("kind") == "ratification" else "manual"
                web.store.add_agenda_item(day, title, kind=kind, actor=user.email, reason=reason)
                return _back(path, "Item added.")
        except CarepanelError as exc:
            return _back(path, exc.detail)
        raise HTTPException(404)

    async def pack_file(request: Request) -> Response:
        user = web.user(request)
        day = _day(request.path_params["day"])
        if not user.can("packs") and not (user.can("packs_sat_on") and user.email in web.store.pack_recipients(day)):
            web.store.audit(user.email, "refused", "pack", day.isoformat(), "not a member of this panel")
            raise HTTPException(403, "You do not sit on this panel.")
        built = web.store.packs(day)
        if not built:
            raise HTTPException(404, "No pack has been built for this panel.")
        web.store.record_view(user.email, "pack", built[-1].id, "pack")
        return Response(cfg.data_path(built[-1].path).read_bytes(), media_type="application/pdf",
                        headers={"content-disposition": f"inline; filename=\"pack-{day.isoformat()}.pdf\""})

    # ------------------------------------------------------------------ decisions

    async def decision_form(request: Request) -> Response:
        user = web.need(request, "decide")
        sub = web.submission(request.path_params["sub_id"])
        note = request.query_params.get("note")
        # A note here is always a refused draft: the error summary links to the first answer
        # unless the redirect named the field.
        return web.page(request, "decide.html", user, sub=sub, outcomes=cfg.profile.decisions.outcomes,
                        labels=cfg.profile.decisions.labels, note=note,
                        combinations=[sorted(c) for c in cfg.profile.decisions.combinations],
                        error_field=request.query_params.get("error") if _FIELD_ID.fullmatch(request.query_params.get("error", ""))
                        else ("rationale" if note else None))

    async def decision_save(request: Request) -> Response:
        user = web.need(request, "decide")
        form = await web.form(request)
        sub = web.submission(request.path_params["sub_id"])
        try:
            record = _record_from_form(form)
            drafted = decisions.record(cfg, web.store, sub["id"], record, actor=user.email, converter=web.converter(),
                                       now=web.now())
        except (CarepanelError, ValueError) as exc:
            return _back(f"/submissions/{sub['id']}/decision", getattr(exc, "detail", str(exc)))
        return _back(f"/decisions/{drafted['decision_id']}", "Draft saved for the chair.")

    async def decision_page(request: Request) -> Response:
        user = web.need(request, "read")
        row = web.store.decision(request.path_params["decision_id"])
        if row is None:
            raise HTTPException(404, "No such decision.")
        web.store.record_view(user.email, "decision", row["id"], "decision")
        return web.page(request, "decision.html", user, d=row, record=json.loads(row["record"]),
                        labels=cfg.profile.decisions.labels, note=request.query_params.get("note"))

    async def decision_pdf(request: Request) -> Response:
        user = web.need(request, "documents")
        row = web.store.decision(request.path_params["decision_id"])
        if row is None:
            raise HTTPException(404)
        web.store.record_view(user.email, "decision", row["id"], "decision sheet")
        return Response(cfg.data_path(row["pdf_path"]).read_bytes(), media_type="application/pdf",
                        headers={"content-disposition": "inline; filename=\"decision.pdf\""})

    async def decision_sign(request: Request) -> Response:
        user = web.need(request, "sign")
        form = await web.form(request)
        decision_id = request.path_params["decision_id"]
        row = web.store.decision(decision_id)
        if row is None:
            raise HTTPException(404)
        if str(form.get("sha256", "")) != row["pdf_sha256"]:
            return _back(f"/decisions/{decision_id}", "The draft changed since you opened it; read it again before signing.")
        try:
            # The signed-in chair signs as themselves: their name as the directory has it, never typed.
            decisions.sign(cfg, web.store, web.directory, decision_id, chair=user.name, actor=user.email,
                           converter=web.converter(), now=web.now())
        except CarepanelError as exc:
            return _back(f"/decisions/{decision_id}", exc.detail)
        return _back(f"/decisions/{decision_id}", "Signed. The upload folder is ready.")

    # ------------------------------------------------------------------ health

    async def healthz(request: Request) -> Response:
        """Mailbox, last sweep, queue, next papers-out, overdue items: figures only, no names."""
        from ..jobs.health import healthz as health_check

        code, data = health_check(cfg, clock)
        return JSONResponse(data, status_code=code)

    async def graph_notifications(request: Request) -> Response:
        """Microsoft Graph's webhook: no session (Graph cannot sign in), so it only wakes the
        mailbox loop; the clientState secret is checked and the delta query decides what is new."""
        from ..mailbox.graph_notify import handle

        secret_env = cfg.mailbox.notification_secret_env
        from ..mailbox.graph_notify import MAX_BODY

        body = b""
        async for chunk in request.stream():  # read no more than a batch of notifications can be
            body += chunk
            if len(body) > MAX_BODY:
                return Response(status_code=413)
        answer = handle(dict(request.query_params), body,
                        os.environ.get(secret_env) if secret_env and cfg.mailbox.notification_url else None)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

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

    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/login/oidc", oidc_start),
        Route("/auth/callback", oidc_callback),
        Route("/healthz", healthz),
        Route("/graph/notifications", graph_notifications, methods=["POST"]),
        Route("/", dashboard),
        Route("/queue", queue),
        Route("/submissions/{sub_id}", submission_page),
        Route("/submissions/{sub_id}/files/{index:int}", submission_file),
        Route("/submissions/{sub_id}/decision", decision_form, methods=["GET"]),
        Route("/submissions/{sub_id}/decision", decision_save, methods=["POST"]),
        Route("/submissions/{sub_id}/{action}", submission_action, methods=["POST"]),
        Route("/rules", rules_page),
        Route("/panels", panels),
        Route("/panels/{day}", panel_page),
        Route("/panels/{day}/pack", pack_file, methods=["GET"]),
        Route("/panels/{day}/{action}", panel_action, methods=["POST"]),
        Route("/decisions/{decision_id}", decision_page),
        Route("/decisions/{decision_id}/pdf", decision_pdf),
        Route("/decisions/{decision_id}/sign", decision_sign, methods=["POST"]),
        # Stylesheets and scripts (our viewer, and PDF.js installed by scripts/setup.sh): no personal data.
        Mount("/static", app=StaticFiles(directory=str(HERE / "static"), check_dir=False), name="static"),
    ]
    routes += admin_security.routes(web)
    secret = session_secret(os.environ.get(cfg.web.secret_key_env), cfg.data_dir)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders, hsts=cfg.web.url.startswith("https://")),
                    Middleware(SessionMiddleware, secret_key=secret,
                               # __Host-: only this host, only https, path / (not usable over plain http)
                               session_cookie="__Host-carepanel_session" if cfg.web.secure_cookies else "carepanel_session",
                               max_age=int(cfg.web.session_hours * 3600), same_site="lax", https_only=cfg.web.secure_cookies),
                    Middleware(NoteInSession)],
        exception_handlers={SignInRequired: not_signed_in, HTTPException: http_error},
        lifespan=_lifespan(web),
    )
    app.state.web = web
    return app


def _lifespan(web: WebApp) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        web.close()

    return lifespan


def _oidc_client(cfg: Config) -> Any:
    from authlib.integrations.starlette_client import OAuth

    assert cfg.web.oidc is not None
    oauth = OAuth()
    oauth.register("entra", client_id=cfg.web.oidc.client_id,
                   client_secret=os.environ.get(cfg.web.oidc.client_secret_env, ""),
                   server_metadata_url=f"{cfg.web.oidc.issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": "openid email profile"})
    return oauth.create_client("entra")


# Where each refused review action sends the error summary's link (the field in error).
_REVIEW_FIELDS = {"reason_required": "r-{action}", "field_required": "field", "chair_required": "chair",
                  "not_a_chair": "chair",
                  "not_a_sitting": "move-panel", "message_required": "body"}


def _review_action(review: Review, sub: dict[str, Any], action: str, form: FormData) -> str:
    """One review-queue form, done by the review module; the note to show the person."""
    sub_id, reason = sub["id"], str(form.get("reason", ""))
    text = {name: str(form.get(name, "")) for name in ("field", "value", "manager", "chair", "when", "panel_date", "body")}
    if action == "correct":
        review.correct(sub_id, field=text["field"], value=text["value"], reason=reason)
        return "Correction recorded; the original stays as it was read."
    if action == "signoff":
        review.record_signoff(sub_id, manager=text["manager"], reason=reason)
        return "Manager sign-off recorded."
    if action == "accept-late":
        done = review.accept_late(sub_id, chair=text["chair"], when=text["when"], reason=reason,
                                  panel_date=_day(text["panel_date"]) if text["panel_date"] else None)
        return f"Accepted late for {date.fromisoformat(done['panel_date']):%d %B} with the chair's agreement."
    if action == "accept":
        review.accept(sub_id, reason=reason)
        return "Accepted for panel."
    if action == "move":
        day = _day(text["panel_date"])
        review.move(sub_id, to=day, reason=reason)
        return f"Moved to the panel on {day:%d %B %Y}."
    if action == "reject":
        review.reject(sub_id, reason=reason)
        return "Rejected; the sender has been told why."
    if action == "ask":
        review.ask(sub_id, body=text["body"], reason=reason)
        return "Email queued to the sender."
    raise HTTPException(404)


def _record_from_form(form: FormData) -> DecisionRecord:
    def text(name: str) -> str | None:
        value = str(form.get(name, "")).strip()
        return value or None

    def day(name: str) -> date | None:
        value = text(name)
        return date.fromisoformat(value) if value else None

    def money(name: str) -> float | None:
        value = text(name)
        return float(value.replace("£", "").replace(",", "")) if value else None

    actions = []
    for n, line in enumerate([ln for ln in (text("actions") or "").splitlines() if ln.strip()], start=1):
        parts = [p.strip() for p in line.split("|")]
        actions.append(Action(n, parts[0], parts[1] if len(parts) > 1 else "-",
                              date.fromisoformat(parts[2]) if len(parts) > 2 and parts[2] else None))
    outcomes = [str(o) for o in form.getlist("outcome") if str(o)] or [""]
    return DecisionRecord(
        outcome=outcomes[0], more_outcomes=tuple(outcomes[1:]), rationale=text("rationale") or "",
        decisions=tuple(ln.strip() for ln in (text("decisions") or "").splitlines() if ln.strip()),
        actions=tuple(actions), resource=text("resource"), weekly_cost=money("weekly_cost"), total_cost=money("total_cost"),
        review_date=day("review_date"), defer_to=day("defer_to"), return_date=day("return_date"),
        return_frequency=text("return_frequency"),
        members=tuple(m.strip() for m in (text("members") or "").split(",") if m.strip()),
        conflicts=tuple(c.strip() for c in (text("conflicts") or "").splitlines() if c.strip()),
        dissent=tuple(c.strip() for c in (text("dissent") or "").splitlines() if c.strip()),
        unmet_need=text("unmet_need"))


def _bar_chart(points: list[tuple[str, float]]) -> str:
    """Approved spending by month as a small server-drawn SVG (no script, no library)."""
    if not points:
        return ""
    width, height, pad = 560, 180, 30
    top = max(v for _, v in points) or 1.0
    bar = (width - pad) / len(points)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img" '
             f'aria-label="Approved expenditure by month">']
    for i, (month, value) in enumerate(points):
        h = (height - pad) * value / top
        x = pad + i * bar
        parts.append(f'<rect x="{x + 4:.1f}" y="{height - h:.1f}" width="{bar - 8:.1f}" height="{h:.1f}" fill="#1d70b8">'
                     f"<title>{month}: £{value:,.0f}</title></rect>")
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height + 15}" font-size="11" text-anchor="middle">{month}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 4:.1f}" font-size="10" text-anchor="middle">£{value:,.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)
