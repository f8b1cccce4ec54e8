"""The administrator's sign-in page: open sessions, throttled sign-ins, and two buttons.

"Sign out everywhere" ends every session of a person at once (a lost laptop, a leaver whose
directory entry is not yet changed); "clear" lets someone in again before their wait is over.
Both are in the audit log.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import sessions

if TYPE_CHECKING:
    from .webapp import WebApp

PATH = "/admin/sign-ins"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).astimezone().strftime("%d %b %H:%M")


def routes(web: WebApp) -> list[Route]:
    async def page(request: Request) -> Response:
        user = web.need(request, "users")
        now = web.timestamp()
        open_ = [dict(s, created=_when(s["created_at"]), seen=_when(s["seen_at"]))
                 for s in sessions.open_sessions(web.store, now, web.session_policy)]
        return web.page(request, "sign_ins.html", user, sessions=open_, throttles=sessions.throttles(web.store, now),
                        note=request.query_params.get("note"))

    async def sign_out_everywhere(request: Request) -> Response:
        user = web.need(request, "users")
        form = await web.form(request)
        email = str(form.get("email", "")).strip().lower()[:254]
        ended = sessions.end_sessions_of(web.store, email, web.timestamp(), "ended_by_administrator") if email else 0
        web.store.audit(user.email, "sessions_ended", "user", email or "?", "signed out everywhere by an administrator",
                        {"sessions": ended})
        return RedirectResponse(f"{PATH}?note=" + (f"{ended} session(s) ended." if ended else "No open session."), 303)

    async def clear(request: Request) -> Response:
        user = web.need(request, "users")
        form = await web.form(request)
        key = str(form.get("key", ""))[:300]
        cleared = sessions.clear_throttle(web.store, key)
        if cleared:
            web.store.audit(user.email, "throttle_cleared", "sign_in", key, None)
        return RedirectResponse(f"{PATH}?note=" + ("Cleared." if cleared else "Nothing to clear."), 303)

    return [Route(PATH, page, methods=["GET"]),
            Route(f"{PATH}/sign-out", sign_out_everywhere, methods=["POST"]),
            Route(f"{PATH}/clear", clear, methods=["POST"])]
