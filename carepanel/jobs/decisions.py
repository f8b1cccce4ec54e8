"""Recording, signing and following up panel decisions: the I/O around ``pipeline.decisions``.

A decision is drafted as a Word document from the council's own template (docxtpl) and its PDF
(LibreOffice); the chair signs the PDF they were shown -- its hash is checked, then the final
sheet with their name is rendered, hashed into the audit log and made read-only. After that the
files and the row are never changed (a database trigger refuses it): a change is a new version.
Signing also lays out the upload folder for the child's case system, puts review dates on later
agendas, writes the finance and unmet-need logs, and queues the notices to the social worker and
team manager -- all in the one transaction that marks it signed.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import stat
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any

from docxtpl import DocxTemplate, Listing

from ..clock import LONDON, system_clock
from ..config import Config
from ..directory import Directory
from ..errors import PanelError, StoreError
from ..logs import safe_fields
from ..mailbox.durable import make_dirs, write_atomic
from ..office import Converter, OfficeError, OfficeUnavailable
from ..outputs.cells import csv_text, xlsx_append
from ..outputs.notices import decision_notice, decision_recipients, environment
from ..outputs.seal import sealed_decision
from ..pipeline import calendar
from ..pipeline import decisions as rules
from ..pipeline.decisions import DecisionRecord
from ..pipeline.identity import reference
from ..store import Decision, Store, StoredSubmission

log = logging.getLogger("carepanel.decisions")
TEMPLATES = Path(__file__).resolve().parents[1] / "outputs" / "templates" / "decisions"


def template_path(cfg: Config) -> Path:
    return cfg.decisions_template or TEMPLATES / f"{cfg.profile.name}.docx"


def _context(cfg: Config, record: DecisionRecord, *, children: list[dict[str, Any]], worker: str | None, team: str | None,
             request: str | None, panel_date: date, version: int, chair: str | None, signed_on: date | None,
             review: date | None = None) -> dict[str, Any]:
    labels = cfg.profile.decisions.labels
    details = {"defer": record.defer_to.strftime("%d/%m/%Y") if record.defer_to else None,
               "return_to_panel": (record.return_date.strftime("%d/%m/%Y") if record.return_date else record.return_frequency)}
    approved = None
    if record.resource:
        costs = []
        if record.weekly_cost is not None:
            costs.append(f"£{record.weekly_cost:,.2f} a week")
        total = rules.annual_total(record)
        if total is not None:
            costs.append(f"£{total:,.2f} in total")
        approved = record.resource + (f" ({', '.join(costs)})" if costs else "")
    return {
        "marking": cfg.pack.marking, "council": cfg.profile.council, "panel_title": cfg.profile.title,
        "draft": chair is None, "version": version, "emergency": record.emergency,
        "children": ", ".join(c.get("name") or "" for c in children) or "-",
        "child_ids": ", ".join(c.get("child_id") or "-" for c in children) or "-",
        "worker": worker or "-", "team": team or "-", "request": request or "-",
        "panel_day": f"{panel_date:%A %-d %B %Y}",
        "outcomes": [{"box": "☒" if o in record.outcomes else "☐", "label": labels[o],
                      "detail": details.get(o) if o in record.outcomes else None} for o in cfg.profile.decisions.outcomes],
        "outcome_label": rules.outcome_label(cfg.profile, record),
        "decisions": list(record.decisions), "rationale": Listing(record.rationale),
        "approved": approved,
        "review_date": (review or record.review_date).strftime("%d/%m/%Y") if (review or record.review_date) else None,
        "actions": [{"number": a.number, "text": a.text, "owner": a.owner,
                     "due": a.due.strftime("%d/%m/%Y") if a.due else None} for a in record.actions],
        "members": ", ".join(record.members) or "-", "conflicts": "; ".join(record.conflicts),
        "dissent": "; ".join(record.dissent),
        "chair": chair, "signature": f"Signed electronically by {chair}" if chair else None,
        "signed_on": signed_on.strftime("%d/%m/%Y") if signed_on else None,
    }


def render_docx(template: Path, context: dict[str, Any]) -> bytes:
    doc = DocxTemplate(str(template))
    doc.render(context, autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _to_pdf(cfg: Config, data: bytes, converter: Converter | None) -> bytes:
    try:
        if converter is not None:
            return converter.to_pdf(data, ".docx")
        with Converter(workers=1, timeout=cfg.pack.office_timeout_seconds) as conv:
            return conv.to_pdf(data, ".docx")
    except OfficeUnavailable as exc:
        raise PanelError(f"cannot make the decision PDF: {exc.detail}") from exc
    except OfficeError as exc:
        raise PanelError(f"LibreOffice could not convert the decision sheet: {exc.detail}") from exc


def _write_final(path: Path, data: bytes) -> None:
    """Written once, then read-only: nothing of ours opens it for writing again."""
    write_atomic(path, data)
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- recording


def record(cfg: Config, store: Store, submission_id: str | None, decision: DecisionRecord, *, actor: str,
           converter: Converter | None = None, now: datetime | None = None,
           child: dict[str, Any] | None = None) -> dict[str, Any]:
    """Draft the decision on a listed submission (or an emergency decision about ``child``:
    see ``record_emergency``, which checks who made it first).

    A panel's decision is refused before its sitting has started (``not_yet_sat``)."""
    rules.validate(cfg.profile, decision)
    now = (now or system_clock()).astimezone(LONDON)
    request_types: tuple[str, ...] = ()
    if submission_id is not None:
        sub = store.submission(submission_id)
        if sub is None:
            raise PanelError(f"no submission {submission_id}")
        listed_for = sub.panel_day
        if sub.status != "accepted" or listed_for is None:
            raise PanelError(f"submission {submission_id} is {sub.status}, not listed for a panel: "
                             "accept it (or list it) before recording a decision")
        request = sub.request
        children = [c.to_json() for c in request.children] if request else []
        worker = request.social_worker.name if request else None
        team = request.social_worker.team if request else None
        summary = request.request if request else None
        panel_date = listed_for
        series = "dser-" + submission_id.removeprefix("sub-")
        child_key = sub.child_key
        request_types = request.request_types if request else ()
        if not rules.sitting_started(cfg.profile, panel_date, now):
            raise PanelError(f"the panel of {panel_date:%d/%m/%Y} has not sat yet: a decision is recorded once the "
                             f"sitting has started ({calendar.panel(cfg.profile, panel_date).starts_at:%H:%M})",
                             code="not_yet_sat")
    else:
        if child is None or not decision.emergency:
            raise PanelError("a decision needs a listed submission, or is an emergency decision about a named child")
        children = [child]
        worker, team, summary = child.get("worker"), child.get("team"), child.get("request")
        panel_date = decision.decided_on or now.date()
        series = "dser-" + uuid.uuid4().hex[:16]
        child_key = "id:" + child["child_id"].replace(" ", "").upper() if child.get("child_id") else None

    latest = store.latest_version(series)
    version = (latest.version + 1) if latest else 1
    decision_id = f"dec-{series.removeprefix('dser-')}-v{version}"
    folder = cfg.decisions_dir / series / f"v{version}"
    make_dirs(folder)
    booked = rules.follow_ups(cfg.profile, decision, panel_date, request_types) if submission_id is not None else []
    ctx = _context(cfg, decision, children=children, worker=worker, team=team, request=summary, panel_date=panel_date,
                   version=version, chair=None, signed_on=None, review=rules.next_review(booked))
    docx_bytes = render_docx(template_path(cfg), ctx)
    pdf_bytes = _to_pdf(cfg, docx_bytes, converter)
    _write_final(folder / "draft.docx", docx_bytes)
    _write_final(folder / "draft.pdf", pdf_bytes)
    store.insert_decision({
        "id": decision_id, "series": series, "version": version, "kind": "emergency" if decision.emergency else "panel",
        "submission_id": submission_id, "panel_date": panel_date.isoformat(), "child_key": child_key,
        "child_id": _group_ids(children), "outcome": decision.outcome,
        "record": _json({"decision": decision.to_json(), "children": children, "worker": worker, "team": team,
                         "request": summary, "drafted_at": now.isoformat()}),
        "status": "draft", "docx_path": cfg.stored_path(folder / "draft.docx"), "pdf_path": cfg.stored_path(folder / "draft.pdf"),
        "pdf_sha256": _sha(pdf_bytes)}, actor=actor)
    if decision.emergency and child_key:
        sitting = _ratification_sitting(cfg, panel_date, now)
        if sitting:
            store.add_review(child_key=child_key, child_id=_group_ids(children), panel_date=sitting, kind="ratification",
                             reason=f"Ratify the emergency decision of {panel_date:%d/%m/%Y} ({decision.decided_by or 'outside panel'})",
                             decision_id=decision_id, actor=actor)
    if submission_id is not None and child_key:
        for review in store.reviews_for(panel_date):
            if review.child_key == child_key:
                store.set_review_status(review.id, "heard", actor=actor, reason=f"decided in {decision_id}")
    log.info("decision drafted", extra=safe_fields(event="decision_drafted", decision_id=decision_id, status="draft"))
    return {"decision_id": decision_id, "status": "draft", "docx": str(folder / "draft.docx"), "pdf": str(folder / "draft.pdf")}


def record_emergency(cfg: Config, store: Store, directory: Directory, decision: DecisionRecord, *,
                     decided_by: list[str], child: dict[str, Any], actor: str, converter: Converter | None = None,
                     now: datetime | None = None) -> dict[str, Any]:
    """An emergency decision made outside panel: each person named must be in the directory with
    a role the profile lets decide, on a date inside its retrospective window; else
    ``not_authorised``, nothing written.  It is listed for ratification at the next sitting."""
    now = (now or system_clock()).astimezone(LONDON)
    people = [(name, directory.by_name(name)) for name in decided_by]
    about = " ".join(filter(None, [child.get("request"), decision.rationale, decision.resource]))
    rules.check_emergency(cfg.profile, decision, people, about, now.date())
    names = " and ".join(m.name if m else n for n, m in people)
    decision = replace(decision, emergency=True, decided_by=names, decided_on=decision.decided_on or now.date())
    return record(cfg, store, None, decision, actor=actor, converter=converter, now=now, child=child)


def _ratification_sitting(cfg: Config, decided_on: date, now: datetime) -> date | None:
    """The first sitting after the decision that has not yet started."""
    day = max(decided_on + timedelta(days=1), now.date())
    while True:
        sitting = rules.first_sitting_on_or_after(cfg.profile, day)
        if sitting is None or not rules.sitting_started(cfg.profile, sitting, now):
            return sitting
        day = sitting + timedelta(days=1)


def _group_ids(children: list[dict[str, Any]]) -> str | None:
    """Every child's ID, for a sibling group's one decision ("LCS1, LCS2"); None if none has one."""
    ids = [c["child_id"] for c in children if c.get("child_id")]
    return ", ".join(dict.fromkeys(ids)) or None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --------------------------------------------------------------------------- signing


def chair_in_directory(directory: Directory, name: str) -> str:
    """The directory's own spelling of a chair's or vice chair's name; anyone else is refused
    (``not_a_chair``): only they sign a decision."""
    member = directory.by_name(name)
    if member is None or not rules.has_role(member, "chair", "vice_chair"):
        raise PanelError(f"{name!r} is not a chair or vice chair in the staff directory: only they sign a decision",
                         code="not_a_chair")
    return member.name


def sign(cfg: Config, store: Store, directory: Directory, decision_id: str, *, chair: str, actor: str | None = None,
         converter: Converter | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The chair's sign-off.  Refused, with nothing signed, for someone who is not a chair or vice
    chair in the directory (``not_a_chair``) and before the sitting has started (``not_yet_sat``;
    an emergency decision is signed whenever it is made)."""
    row = store.decision(decision_id)
    if row is None:
        raise PanelError(f"no decision {decision_id}")
    if row.status != "draft":
        raise PanelError(f"decision {decision_id} is already signed (by {row.signed_by}); record a new version to change it")
    chair = chair_in_directory(directory, chair)
    newer = store.latest_version(row.series)
    if newer and newer.id != decision_id:
        raise PanelError(f"decision {decision_id} has a newer version, {newer.id}: sign that one")
    now = (now or system_clock()).astimezone(LONDON)
    panel_date = date.fromisoformat(row.panel_date)
    if row.kind != "emergency" and not rules.sitting_started(cfg.profile, panel_date, now):
        raise PanelError(f"the panel of {panel_date:%d/%m/%Y} has not sat yet: its decisions are signed once it has",
                         code="not_yet_sat")
    draft_pdf = cfg.data_path(row.pdf_path).read_bytes()
    if _sha(draft_pdf) != row.pdf_sha256:
        raise PanelError(f"the draft of {decision_id} has changed on disk since it was made; it cannot be signed")
    stored = json.loads(row.record)
    decision = DecisionRecord.from_json(stored["decision"])
    request_types: tuple[str, ...] = ()
    sub = store.submission(row.submission_id) if row.submission_id else None
    if sub:
        request_types = sub.request.request_types if sub.request else ()
    booked = rules.follow_ups(cfg.profile, decision, panel_date, request_types) if row.kind != "emergency" else []
    review = rules.next_review(booked)
    ctx = _context(cfg, decision, children=stored["children"], worker=stored["worker"], team=stored["team"],
                   request=stored["request"], panel_date=panel_date, version=row.version, chair=chair,
                   signed_on=now.date(), review=review)
    docx_bytes = render_docx(template_path(cfg), ctx)
    # PDF/A with title, author and language, sealed with the council's certificate (outputs/seal.py)
    pdf_bytes = sealed_decision(cfg, docx_bytes, converter, decision_id=decision_id, chair=chair, at=now)
    folder = cfg.data_path(row.pdf_path).parent
    _write_final(folder / "signed.docx", docx_bytes)
    _write_final(folder / "signed.pdf", pdf_bytes)
    sha = _sha(pdf_bytes)

    upload = _upload_folders(cfg, decision, stored["children"], row, panel_date, chair, review, pdf_bytes)

    group_ids = row.child_id
    follow = [{"child_key": row.child_key or f"decision:{decision_id}", "child_id": group_ids,
               "panel_date": day.isoformat(), "kind": kind, "reason": reason, "submission_id": row.submission_id}
              for day, kind, reason in booked]
    finance = None
    if rules.approved_spending(cfg.profile, decision):
        finance = {"child_id": group_ids, "resource": decision.resource, "weekly_cost": decision.weekly_cost,
                   "total_cost": rules.annual_total(decision), "period_weeks": decision.period_weeks,
                   "decision_date": panel_date.isoformat()}
    unmet = ({"child_id": group_ids, "need": decision.unmet_need, "panel_date": panel_date.isoformat()}
             if decision.unmet_need else None)
    drafted_at = _drafted_at(store, row)
    due = rules.deadlines(cfg.profile, panel_date, drafted_at=drafted_at, signed_at=now).get("uploaded")
    notices = _notices(cfg, directory, row, sub, decision, reference(stored["children"]) or "-", panel_date, review)
    try:
        store.sign_decision(decision_id, chair=chair, signed_at=now, draft_sha256=row.pdf_sha256,
                            docx_path=cfg.stored_path(folder / "signed.docx"), pdf_path=cfg.stored_path(folder / "signed.pdf"),
                            pdf_sha256=sha, upload_dir=cfg.stored_path(upload), upload_due=due, follow_ups=follow,
                            finance=finance, unmet=unmet, outgoing=notices, actor=actor or f"chair:{chair}")
    except StoreError as exc:
        raise PanelError(exc.detail) from exc
    log.info("decision signed", extra=safe_fields(event="decision_signed", decision_id=decision_id, status="signed"))
    return {"decision_id": decision_id, "status": "signed", "sha256": sha, "upload_dir": str(upload)}


def _upload_folders(cfg: Config, decision: DecisionRecord, children: list[dict[str, Any]], row: Decision,
                    panel_date: date, chair: str, review: date | None, pdf_bytes: bytes) -> Path:
    """The folder laid out for the case system's upload: the signed sheet named with the child's
    ID, the case note and a manifest.  A sibling group has one folder per child, each named with
    that child's ID (each child's record gets its own copy of the one decision); the folder
    returned then holds those."""
    system = cfg.profile.decisions.case_system
    upload = cfg.uploads_dir / system / panel_date.isoformat() / row.id
    make_dirs(upload)
    ids = [c.get("child_id") for c in children if c.get("child_id")]
    group_ref = reference(children) or "-"
    unique = list(dict.fromkeys(ids))
    if len(unique) > 1:
        targets: list[tuple[Path, str | None]] = [(upload / _folder_name(i), i) for i in unique]
    else:
        targets = [(upload, unique[0] if unique else None)]
    for folder, child_id in targets:
        make_dirs(folder)
        files = {
            rules.upload_name(system, child_id, panel_date): pdf_bytes,
            "case-note.txt": rules.case_note(cfg.profile, decision, panel_date, chair, group_ref, review).encode("utf-8"),
        }
        for name, data in files.items():
            _write_final(folder / name, data)
        manifest = csv_text(["file", "sha256"], [[name, _sha(data)] for name, data in files.items()])
        _write_final(folder / "manifest.csv", manifest.encode("utf-8"))
    return upload


def _folder_name(child_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", child_id) or "NOID"


def _drafted_at(store: Store, row: Decision) -> datetime | None:
    """When the first draft of this decision was made (the base of "final within 48 h of the draft")."""
    first = store.decision(f"{row.id.rsplit('-v', 1)[0]}-v1") or row
    try:
        stored = json.loads(first.record)
        return datetime.fromisoformat(stored.get("drafted_at") or first.created_at)
    except (ValueError, TypeError):
        return None


def _notices(cfg: Config, directory: Directory, row: Decision, sub: StoredSubmission | None, decision: DecisionRecord,
             child_ref: str, panel_date: date, review: date | None) -> list[dict[str, Any]]:
    if sub is None:
        return []
    to, cc = decision_recipients(cfg, directory, sub.request, sub.sender)
    if not to:
        return []
    return [decision_notice(cfg, decision_id=row.id, submission_id=sub.id, in_reply_to=sub.message_id,
                            to=to, cc=cc, child_ref=child_ref, panel_day=f"{panel_date:%A %-d %B %Y}",
                            outcome=rules.outcome_label(cfg.profile, decision), rationale=decision.rationale,
                            actions=[a.to_json() for a in decision.actions], review=review or decision.review_date)]


# --------------------------------------------------------------------------- what is due


_MISSED = {"drafted": "decision_not_drafted", "signed": "decision_not_signed", "uploaded": "upload_missed"}
_SOON = {"uploaded": "upload_due_soon", "signed": "signature_due_soon"}
_WHAT = {"drafted": "the draft record should have gone to the chair",
         "signed": "the signed record (and the summary to those told) should have gone out",
         "uploaded": "the signed record should have been on the child's {system} record"}


def check_deadlines(cfg: Config, store: Store, directory: Directory, now: datetime) -> list[dict[str, Any]]:
    """Warnings for the administrator: each deadline of the profile (drafted, signed, uploaded,
    counted from the panel, the draft or the signature, as the policy says) due soon or missed,
    and reviews not brought back.  Each warning is emailed once (its id is stable), and returned."""
    warnings: list[dict[str, Any]] = []
    system = cfg.profile.decisions.case_system
    latest: dict[str, Decision] = {}
    for row in store.decisions():
        if row.kind == "panel" and not row.superseded_by:
            latest[row.series] = row  # ordered by version: the last is the newest
    for row in latest.values():
        if row.uploaded_at:
            continue
        panel_date = date.fromisoformat(row.panel_date)
        signed_at = datetime.fromisoformat(row.signed_at) if row.signed_at else None
        due = rules.deadlines(cfg.profile, panel_date, drafted_at=_drafted_at(store, row), signed_at=signed_at)
        for event, at in due.items():
            happened = {"drafted": True, "signed": signed_at is not None, "uploaded": False}[event]
            if happened:
                continue
            hours = _hours(cfg, event)
            window = timedelta(hours=min(24, hours / 4))
            if now > at:
                warnings.append({"code": _MISSED[event], "id": row.id, "due": at.isoformat(),
                                 "detail": f"{row.id}: {_WHAT[event].format(system=system)} by {at.astimezone(LONDON):%d/%m/%Y %H:%M}"})
            elif now > at - window and event in _SOON:
                warnings.append({"code": _SOON[event], "id": row.id, "due": at.isoformat(),
                                 "detail": f"{row.id}: due by {at.astimezone(LONDON):%d/%m/%Y %H:%M} ({event})"})
    today = now.astimezone(LONDON).date()
    for review in store.reviews_before(today):
        heard = any(d.child_key == review.child_key and d.panel_date == review.panel_date
                    for d in store.decisions(child_key=review.child_key))
        if heard:
            store.set_review_status(review.id, "heard", reason="a decision was recorded at that panel")
            continue
        store.set_review_status(review.id, "missed", reason="the panel date passed without the review being heard")
        warnings.append({"code": "review_missed", "id": review.id, "due": review.panel_date,
                         "detail": f"the {review.kind.replace('_', ' ')} for {review.child_id or review.child_key} "
                                   f"due at the panel on {review.panel_date} was not heard; where funding depends on "
                                   "review it may end: list it for the next panel"})
    from_panel = [d for d in cfg.profile.decisions.deadlines if d.base == "panel" and d.event in ("drafted", "signed")]
    for sub in store.submissions(status="accepted") if from_panel else []:
        day = sub.panel_day
        if day is None or day >= today or store.decisions_for_submission(sub.id):
            continue
        for d in from_panel:
            at = rules.due(d, calendar.panel(cfg.profile, day).ends_at)
            if now > at:
                warnings.append({"code": _MISSED[d.event], "id": sub.id, "due": at.isoformat(),
                                 "detail": f"no decision drafted for {sub.id} heard on {day:%d/%m/%Y}: "
                                           f"{_WHAT[d.event].format(system=system)} by {at.astimezone(LONDON):%d/%m/%Y %H:%M}"})
                break
    admins = [m.email for m in directory.members if rules.has_role(m, "administrator")]
    if warnings and admins:
        env = environment(cfg.notices.templates_dir)
        store.queue_outgoing([{"id": f"warn-{w['code']}-{w['id']}", "kind": "warning", "submission_id": None,
                               "recipients": {"to": admins, "cc": []},
                               "subject": f"{cfg.profile.title}: {w['code'].replace('_', ' ')}",
                               "body": env.get_template("warning.txt.j2").render(warning=w, panel_title=cfg.profile.title),
                               "in_reply_to": None} for w in warnings])
    return warnings


def _hours(cfg: Config, event: str) -> float:
    """How long the deadline for ``event`` gives, for the due-soon warning's window (a week for
    a weekday deadline)."""
    spans = [d.hours if d.hours is not None else 168 for d in cfg.profile.decisions.deadlines if d.event == event]
    return float(min(spans, default=48))


# --------------------------------------------------------------------------- logs and records


FINANCE_COLUMNS = ["decision_id", "child_id", "resource", "weekly_cost", "total_cost", "period_weeks", "decision_date", "outcome"]


def export_finance(store: Store, path: Path) -> int:
    """The finance officer's log of approved expenditure, as CSV or XLSX by the file's suffix."""
    rows = store.finance_log()
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Approved expenditure"
        xlsx_append(ws, FINANCE_COLUMNS)
        for r in rows:
            xlsx_append(ws, [getattr(r, c) for c in FINANCE_COLUMNS])
        buf = io.BytesIO()
        wb.save(buf)
        write_atomic(path, buf.getvalue())
    elif path.suffix.lower() == ".csv":
        text = csv_text(FINANCE_COLUMNS, [[getattr(r, c) for c in FINANCE_COLUMNS] for r in rows])
        write_atomic(path, text.encode("utf-8"))
    else:
        raise PanelError(f"{path.name}: the finance log exports to .csv or .xlsx")
    return len(rows)


def meeting_record(cfg: Config, store: Store, panel_date: date, *, converter: Converter | None = None) -> tuple[Path, Path]:
    """The record of the whole meeting (every case, decision and action) for the chair to agree."""
    import docx

    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = cfg.pack.marking
    doc.add_heading(f"{cfg.profile.title} – record of the meeting", level=1)
    doc.add_paragraph(f"{cfg.profile.council}, {panel_date:%A %-d %B %Y}")
    rows = [d for d in store.decisions(panel_date=panel_date) if not d.superseded_by]
    latest: dict[str, Decision] = {}
    for d in rows:
        latest[d.series] = d
    members: set[str] = set()
    for n, d in enumerate(latest.values(), start=1):
        stored = json.loads(d.record)
        dec = DecisionRecord.from_json(stored["decision"])
        members |= set(dec.members)
        doc.add_heading(f"{n}. {reference(stored['children']) or '-'}: {rules.outcome_label(cfg.profile, dec)}", level=2)
        doc.add_paragraph(f"Request: {stored.get('request') or '-'}")
        doc.add_paragraph(f"Reason: {dec.rationale}")
        for a in dec.actions:
            doc.add_paragraph(f"Action {a.number}: {a.text} – {a.owner}" + (f", by {a.due:%d/%m/%Y}" if a.due else ""))
        if dec.dissent:
            doc.add_paragraph("Formal dissent: " + "; ".join(dec.dissent))
        doc.add_paragraph(f"Status: {d.status}" + (f", signed by {d.signed_by}" if d.signed_by else ""))
    if not latest:
        doc.add_paragraph("No decisions were recorded for this panel.")
    doc.add_paragraph("Present: " + (", ".join(sorted(members)) or "-"))
    buf = io.BytesIO()
    doc.save(buf)
    folder = cfg.decisions_dir / "meetings" / panel_date.isoformat()
    make_dirs(folder)
    docx_path, pdf_path = folder / "meeting-record.docx", folder / "meeting-record.pdf"
    write_atomic(docx_path, buf.getvalue())
    write_atomic(pdf_path, _to_pdf(cfg, buf.getvalue(), converter))
    return docx_path, pdf_path


def previous_decisions(store: Store, before: date) -> Callable[[str], list[tuple[str, bytes]]]:
    """For the pack: the signed decision sheets already on file for a child from earlier panels,
    newest first, read back through their hashes (a sheet altered on disk is left out)."""

    def lookup(child_key: str) -> list[tuple[str, bytes]]:
        out = []
        for d in reversed(store.decisions(child_key=child_key, status="signed")):
            if d.superseded_by or d.panel_date >= before.isoformat():
                continue
            try:
                data = (store.path.parent / d.pdf_path).read_bytes()
            except OSError:
                continue
            if _sha(data) == d.pdf_sha256:
                out.append((f"Previous decision {d.panel_date} ({d.outcome})", data))
        return out

    return lookup

