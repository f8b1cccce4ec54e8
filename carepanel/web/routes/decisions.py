"""Decisions: the form a chair or administrator drafts one with, the draft and its sheet, and
the chair's signature (as the signed-in person, on the exact bytes they read)."""

from __future__ import annotations

import json
from datetime import date

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...errors import CarepanelError
from ...jobs import decisions
from ...pipeline.decisions import Action, DecisionRecord
from ..webapp import FIELD_ID, WebApp, back, route


def routes(web: WebApp) -> list[Route]:
    """The decision pages; ``create_app`` puts them before the queue's, so that
    ``/submissions/{sub_id}/decision`` is not taken for a review action."""
    return [
        route(web, "/submissions/{sub_id}/decision", decision_form, methods=["GET"]),
        route(web, "/submissions/{sub_id}/decision", decision_save, methods=["POST"]),
        route(web, "/decisions/{decision_id}", decision_page),
        route(web, "/decisions/{decision_id}/pdf", decision_pdf),
        route(web, "/decisions/{decision_id}/sign", decision_sign, methods=["POST"]),
    ]


async def decision_form(web: WebApp, request: Request) -> Response:
    cfg = web.cfg
    user = web.need(request, "decide")
    sub = web.submission(request.path_params["sub_id"])
    note = request.query_params.get("note")
    # A note here is always a refused draft: the error summary links to the first answer
    # unless the redirect named the field.
    return web.page(request, "decide.html", user, sub=sub, outcomes=cfg.profile.decisions.outcomes,
                    labels=cfg.profile.decisions.labels, note=note,
                    combinations=[sorted(c) for c in cfg.profile.decisions.combinations],
                    error_field=request.query_params.get("error") if FIELD_ID.fullmatch(request.query_params.get("error", ""))
                    else ("rationale" if note else None))


async def decision_save(web: WebApp, request: Request) -> Response:
    user = web.need(request, "decide")
    form = await web.form(request)
    sub = web.submission(request.path_params["sub_id"])
    try:
        record = _record_from_form(form)
        drafted = decisions.record(web.cfg, web.store, sub.id, record, actor=user.email, converter=web.converter(),
                                   now=web.now())
    except (CarepanelError, ValueError) as exc:
        return back(f"/submissions/{sub.id}/decision", getattr(exc, "detail", str(exc)))
    return back(f"/decisions/{drafted['decision_id']}", "Draft saved for the chair.")


async def decision_page(web: WebApp, request: Request) -> Response:
    user = web.need(request, "read")
    row = web.store.decision(request.path_params["decision_id"])
    if row is None:
        raise HTTPException(404, "No such decision.")
    web.store.record_view(user.email, "decision", row.id, "decision")
    return web.page(request, "decision.html", user, d=row, record=json.loads(row.record),
                    labels=web.cfg.profile.decisions.labels, note=request.query_params.get("note"))


async def decision_pdf(web: WebApp, request: Request) -> Response:
    user = web.need(request, "documents")
    row = web.store.decision(request.path_params["decision_id"])
    if row is None:
        raise HTTPException(404)
    web.store.record_view(user.email, "decision", row.id, "decision sheet")
    return Response(web.cfg.data_path(row.pdf_path).read_bytes(), media_type="application/pdf",
                    headers={"content-disposition": "inline; filename=\"decision.pdf\""})


async def decision_sign(web: WebApp, request: Request) -> Response:
    user = web.need(request, "sign")
    form = await web.form(request)
    decision_id = request.path_params["decision_id"]
    row = web.store.decision(decision_id)
    if row is None:
        raise HTTPException(404)
    if str(form.get("sha256", "")) != row.pdf_sha256:
        return back(f"/decisions/{decision_id}", "The draft changed since you opened it; read it again before signing.")
    try:
        # The signed-in chair signs as themselves: their name as the directory has it, never typed.
        decisions.sign(web.cfg, web.store, web.directory, decision_id, chair=user.name, actor=user.email,
                       converter=web.converter(), now=web.now())
    except CarepanelError as exc:
        return back(f"/decisions/{decision_id}", exc.detail)
    return back(f"/decisions/{decision_id}", "Signed. The upload folder is ready.")


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
