"""The sittings: the list of panels, one panel's agenda (ordered, withdrawn, added to), its pack
built and sent, and the pack's PDF for the people who sit on that panel."""

from __future__ import annotations

from datetime import timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...errors import CarepanelError
from ...jobs import packs
from ...pipeline import calendar
from ..webapp import WebApp, back, parse_day, route


def routes(web: WebApp) -> list[Route]:
    return [
        route(web, "/panels", panels),
        route(web, "/panels/{day}", panel_page),
        route(web, "/panels/{day}/pack", pack_file, methods=["GET"]),
        route(web, "/panels/{day}/{action}", panel_action, methods=["POST"]),
    ]


async def panels(web: WebApp, request: Request) -> Response:
    user = web.user(request)
    if not (user.can("read") or user.can("packs_sat_on")):
        raise HTTPException(403)
    today = web.now().date()
    days = calendar.sittings(web.cfg.profile, today - timedelta(days=28), today + timedelta(days=56))
    if user.role == "panel_member":
        days = [d for d in days if user.email in web.store.pack_recipients(d)]
    return web.page(request, "panels.html", user, days=days, today=today)


async def panel_page(web: WebApp, request: Request) -> Response:
    cfg = web.cfg
    user = web.need(request, "read")
    day = parse_day(request.path_params["day"])
    try:
        agenda = packs.agenda_for(cfg, web.store, day)
    except CarepanelError as exc:
        raise HTTPException(404, exc.detail) from exc
    decided = {d.submission_id: d for d in web.store.decisions(panel_date=day) if d.submission_id}
    return web.page(request, "panel.html", user, day=day, agenda=agenda, packs_built=web.store.packs(day),
                    decided=decided, note=request.query_params.get("note"),
                    sittings=calendar.sittings(cfg.profile, day + timedelta(days=1), day + timedelta(days=63)))


async def panel_action(web: WebApp, request: Request) -> Response:
    cfg = web.cfg
    user = web.need(request, "panel")
    form = await web.form(request)
    day = parse_day(request.path_params["day"])
    action = request.path_params["action"]
    path = f"/panels/{day.isoformat()}"
    try:
        if action == "build":
            result = packs.build(cfg, web.store, web.archive, day, converter=web.converter())
            return back(path, f"Pack built: {result.pages} pages" + (f", {len(result.warnings)} warnings" if result.warnings else ""))
        if action == "send":
            sent = packs.send(cfg, web.store, web.archive, web.directory, day, converter=web.converter(),
                              rebuild=bool(form.get("rebuild")))
            return back(path, f"Pack revision {sent['revision']} queued for {sent['sent_to']} people.")
        ref, reason = str(form.get("ref", "")), str(form.get("reason", "")).strip() or "administrator"
        agenda = packs.agenda_for(cfg, web.store, day)
        kinds = {c.ref_id: c.kind for c in agenda.cases} | {c.ref_id: c.kind for c in agenda.withdrawn}
        if action == "up" and ref in kinds:
            order = [c.ref_id for c in agenda.cases]
            i = order.index(ref)
            if i > 0:
                order[i - 1], order[i] = order[i], order[i - 1]
            web.store.set_agenda_order(day, [(r, kinds[r]) for r in order], actor=user.email)
            return back(path)
        if action == "withdraw" and ref in kinds:
            web.store.withdraw_from_agenda(day, ref, kinds[ref], actor=user.email, reason=reason)
            return back(path, "Withdrawn from this panel.")
        if action == "add":
            title = str(form.get("title", "")).strip()
            if not title:
                return back(path, "Say what the item is.", error="title")
            kind = "ratification" if form.get("kind") == "ratification" else "manual"
            web.store.add_agenda_item(day, title, kind=kind, actor=user.email, reason=reason)
            return back(path, "Item added.")
    except CarepanelError as exc:
        return back(path, exc.detail)
    raise HTTPException(404)


async def pack_file(web: WebApp, request: Request) -> Response:
    user = web.user(request)
    day = parse_day(request.path_params["day"])
    if not user.can("packs") and not (user.can("packs_sat_on") and user.email in web.store.pack_recipients(day)):
        web.store.audit(user.email, "refused", "pack", day.isoformat(), "not a member of this panel")
        raise HTTPException(403, "You do not sit on this panel.")
    built = web.store.packs(day)
    if not built:
        raise HTTPException(404, "No pack has been built for this panel.")
    web.store.record_view(user.email, "pack", built[-1].id, "pack")
    return Response(web.cfg.data_path(built[-1].path).read_bytes(), media_type="application/pdf",
                    headers={"content-disposition": f"inline; filename=\"pack-{day.isoformat()}.pdf\""})
