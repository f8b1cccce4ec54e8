"""The review queue: the list of submissions (filtered, ordered, paged), one submission with its
corrections and history, its documents shown as PDF, and the review actions done from its page
(the same actions as ``carepanel review``, in ``jobs/review.py``)."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...errors import CarepanelError
from ...formats.sniff import sniff_format
from ...jobs.review import Review
from ...office import OfficeError, OfficeUnavailable
from ...outputs.pdfsafe import without_actions
from ...parsers.vet import pdf_active_content
from ...pipeline import calendar
from ...store import StoredSubmission
from ..webapp import WebApp, back, parse_day, route

QUEUE_PAGE_SIZE = 50
QUEUE_STATUSES = ("flagged", "accepted", "superseded", "rejected")
# Where each refused review action sends the error summary's link (the field in error).
_REVIEW_FIELDS = {"reason_required": "r-{action}", "field_required": "field", "chair_required": "chair",
                  "not_a_chair": "chair",
                  "not_a_sitting": "move-panel", "message_required": "body"}


def routes(web: WebApp) -> list[Route]:
    """The queue's pages; ``create_app`` puts them after the decision pages, whose
    ``/submissions/{sub_id}/decision`` would otherwise be taken for a review action."""
    return [
        route(web, "/queue", queue),
        route(web, "/submissions/{sub_id}", submission_page),
        route(web, "/submissions/{sub_id}/files/{index:int}", submission_file),
        route(web, "/submissions/{sub_id}/{action}", submission_action, methods=["POST"]),
    ]


async def queue(web: WebApp, request: Request) -> Response:
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


async def submission_page(web: WebApp, request: Request) -> Response:
    user = web.need(request, "read")
    sub = web.submission(request.path_params["sub_id"])
    web.store.record_view(user.email, "submission", sub.id, "submission")
    sittings = calendar.sittings(web.cfg.profile, web.now().date(), web.now().date() + timedelta(days=63))
    ask_body = web.review(user).ask_text(sub)
    return web.page(request, "submission.html", user, sub=sub, corrections=web.store.corrections(sub.id),
                    sittings=sittings, ask_body=ask_body, note=request.query_params.get("note"),
                    audit=[a for a in web.store.audit_log(sub.id)][-15:],
                    decision_rows=web.store.decisions_for_submission(sub.id))


async def submission_file(web: WebApp, request: Request) -> Response:
    user = web.need(request, "documents")
    sub = web.submission(request.path_params["sub_id"])
    index = int(request.path_params["index"])
    atts = sub.attachments
    if not 0 <= index < len(atts):
        raise HTTPException(404, "No such document.")
    att = atts[index]
    if not att.readable:
        raise HTTPException(404, "This file was flagged as unreadable or unsafe and is not shown.")
    data = web.archive.get(att.sha256, kind="blob")
    web.store.record_view(user.email, "submission", sub.id, f"attachment:{index}")
    fmt = sniff_format(data)
    if fmt in ("docx", "doc", "odt", "rtf"):
        preview = web.cfg.data_dir / "previews" / f"{att.sha256}.pdf"
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


async def submission_action(web: WebApp, request: Request) -> Response:
    user = web.need(request, "review")
    form = await web.form(request)
    sub = web.submission(request.path_params["sub_id"])
    path = f"/submissions/{sub.id}"
    try:
        note = _review_action(web.review(user), sub, request.path_params["action"], form)
    except CarepanelError as exc:
        return back(path, exc.detail, error=_REVIEW_FIELDS.get(exc.code or "", "").format(
            action=request.path_params["action"]) or None)
    return back(path, note)


def _review_action(review: Review, sub: StoredSubmission, action: str, form: FormData) -> str:
    """One review-queue form, done by the review module; the note to show the person."""
    sub_id, reason = sub.id, str(form.get("reason", ""))
    text = {name: str(form.get(name, "")) for name in ("field", "value", "manager", "chair", "when", "panel_date", "body")}
    if action == "correct":
        review.correct(sub_id, field=text["field"], value=text["value"], reason=reason)
        return "Correction recorded; the original stays as it was read."
    if action == "signoff":
        review.record_signoff(sub_id, manager=text["manager"], reason=reason)
        return "Manager sign-off recorded."
    if action == "accept-late":
        done = review.accept_late(sub_id, chair=text["chair"], when=text["when"], reason=reason,
                                  panel_date=parse_day(text["panel_date"]) if text["panel_date"] else None)
        return f"Accepted late for {done.panel_day:%d %B} with the chair's agreement."
    if action == "accept":
        review.accept(sub_id, reason=reason)
        return "Accepted for panel."
    if action == "move":
        day = parse_day(text["panel_date"])
        review.move(sub_id, to=day, reason=reason)
        return f"Moved to the panel on {day:%d %B %Y}."
    if action == "reject":
        review.reject(sub_id, reason=reason)
        return "Rejected; the sender has been told why."
    if action == "ask":
        review.ask(sub_id, body=text["body"], reason=reason)
        return "Email queued to the sender."
    raise HTTPException(404)
