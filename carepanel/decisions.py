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
import stat
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any

from docxtpl import DocxTemplate, Listing

from .clock import LONDON
from .config import Config
from .directory import Directory
from .errors import PanelError, StoreError
from .logs import safe_fields
from .mailbox.durable import make_dirs, write_atomic
from .office import Converter, OfficeError, OfficeUnavailable
from .outputs.cells import csv_text, xlsx_append
from .outputs.notices import environment
from .pipeline import calendar
from .pipeline import decisions as rules
from .pipeline.decisions import DecisionRecord
from .pipeline.identity import reference
from .store import Store

log = logging.getLogger("carepanel.decisions")
TEMPLATES = Path(__file__).resolve().parent / "outputs" / "templates" / "decisions"


def template_path(cfg: Config) -> Path:
    return cfg.decisions_template or TEMPLATES / f"{cfg.profile.name}.docx"


def _context(cfg: Config, record: DecisionRecord, *, children: list[dict[str, Any]], worker: str | None, team: str | None,
             request: str | None, panel_date: date, version: int, chair: str | None, signed_on: date | None) -> dict[str, Any]:
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
        "outcomes": [{"box": "☒" if o == record.outcome else "☐", "label": labels[o],
                      "detail": details.get(o) if o == record.outcome else None} for o in cfg.profile.decisions.outcomes],
        "outcome_label": labels[record.outcome],
        "decisions": list(record.decisions), "rationale": Listing(record.rationale),
        "approved": approved, "review_date": record.review_date.strftime("%d/%m/%Y") if record.review_date else None,
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
    """Draft the decision on a listed submission (or an emergency decision about ``child``)."""
    rules.validate(cfg.profile, decision)
    now = (now or datetime.now(LONDON)).astimezone(LONDON)
    if submission_id is not None:
        sub = store.submission(submission_id)
        if sub is None:
            raise PanelError(f"no submission {submission_id}")
        if sub["status"] != "accepted" or not sub.get("panel_date"):
            raise PanelError(f"submission {submission_id} is {sub['status']}, not listed for a panel: "
                             "accept it (or list it) before recording a decision")
        request = sub.get("request") or {}
        children = request.get("children") or []
        worker = (request.get("social_worker") or {}).get("name")
        team = (request.get("social_worker") or {}).get("team")
        summary = request.get("request")
        panel_date = date.fromisoformat(sub["panel_date"])
        series = "dser-" + submission_id.removeprefix("sub-")
        child_key = sub.get("child_key")
    else:
        if child is None or not decision.emergency:
            raise PanelError("a decision needs a listed submission, or is an emergency decision about a named child")
        children = [child]
        worker, team, summary = child.get("worker"), child.get("team"), child.get("request")
        panel_date = now.date()
        series = "dser-" + uuid.uuid4().hex[:16]
        child_key = "id:" + child["child_id"].replace(" ", "").upper() if child.get("child_id") else None

    latest = store.latest_version(series)
    version = (latest["version"] + 1) if latest else 1
    decision_id = f"dec-{series.removeprefix('dser-')}-v{version}"
    folder = cfg.decisions_dir / series / f"v{version}"
    make_dirs(folder)
    ctx = _context(cfg, decision, children=children, worker=worker, team=team, request=summary, panel_date=panel_date,
                   version=version, chair=None, signed_on=None)
    docx_bytes = render_docx(template_path(cfg), ctx)
    pdf_bytes = _to_pdf(cfg, docx_bytes, converter)
    _write_final(folder / "draft.docx", docx_bytes)
    _write_final(folder / "draft.pdf", pdf_bytes)
    child_id = next((c.get("child_id") for c in children if c.get("child_id")), None)
    store.insert_decision({
        "id": decision_id, "series": series, "version": version, "kind": "emergency" if decision.emergency else "panel",
        "submission_id": submission_id, "panel_date": panel_date.isoformat(), "child_key": child_key, "child_id": child_id,
        "outcome": decision.outcome, "record": _json({"decision": decision.to_json(), "children": children,
                                                     "worker": worker, "team": team, "request": summary}),
        "status": "draft", "docx_path": cfg.stored_path(folder / "draft.docx"), "pdf_path": cfg.stored_path(folder / "draft.pdf"),
        "pdf_sha256": _sha(pdf_bytes)}, actor=actor)
    if decision.emergency and child_key:
        sitting = rules.first_sitting_on_or_after(cfg.profile, panel_date + timedelta(days=1))
        if sitting:
            store.add_review(child_key=child_key, child_id=child_id, panel_date=sitting, kind="ratification",
                             reason=f"Ratify the emergency decision of {panel_date:%d/%m/%Y} ({decision.decided_by or 'outside panel'})",
                             decision_id=decision_id, actor=actor)
    if submission_id is not None and child_key:
        for review in store.reviews_for(panel_date):
            if review["child_key"] == child_key:
                store.set_review_status(review["id"], "heard", actor=actor, reason=f"decided in {decision_id}")
    log.info("decision drafted", extra=safe_fields(event="decision_drafted", decision_id=decision_id, status="draft"))
    return {"decision_id": decision_id, "status": "draft", "docx": str(folder / "draft.docx"), "pdf": str(folder / "draft.pdf")}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --------------------------------------------------------------------------- signing


def sign(cfg: Config, store: Store, directory: Directory, decision_id: str, *, chair: str, actor: str | None = None,
         converter: Converter | None = None, now: datetime | None = None) -> dict[str, Any]:
    row = store.decision(decision_id)
    if row is None:
        raise PanelError(f"no decision {decision_id}")
    if row["status"] != "draft":
        raise PanelError(f"decision {decision_id} is already signed (by {row['signed_by']}); record a new version to change it")
    newer = store.latest_version(row["series"])
    if newer and newer["id"] != decision_id:
        raise PanelError(f"decision {decision_id} has a newer version, {newer['id']}: sign that one")
    draft_pdf = cfg.data_path(row["pdf_path"]).read_bytes()
    if _sha(draft_pdf) != row["pdf_sha256"]:
        raise PanelError(f"the draft of {decision_id} has changed on disk since it was made; it cannot be signed")
    now = (now or datetime.now(LONDON)).astimezone(LONDON)
    stored = json.loads(row["record"])
    decision = DecisionRecord.from_json(stored["decision"])
    panel_date = date.fromisoformat(row["panel_date"])
    ctx = _context(cfg, decision, children=stored["children"], worker=stored["worker"], team=stored["team"],
                   request=stored["request"], panel_date=panel_date, version=row["version"], chair=chair, signed_on=now.date())
    docx_bytes = render_docx(template_path(cfg), ctx)
    pdf_bytes = _to_pdf(cfg, docx_bytes, converter)
    folder = cfg.data_path(row["pdf_path"]).parent
    _write_final(folder / "signed.docx", docx_bytes)
    _write_final(folder / "signed.pdf", pdf_bytes)
    sha = _sha(pdf_bytes)

    system = cfg.profile.decisions.case_system
    upload = cfg.uploads_dir / system / panel_date.isoformat() / decision_id
    make_dirs(upload)
    child_ref = reference(stored["children"]) or "-"
    files = {
        rules.upload_name(system, row["child_id"], panel_date): pdf_bytes,
        "case-note.txt": rules.case_note(cfg.profile, decision, panel_date, chair, child_ref).encode("utf-8"),
    }
    for name, data in files.items():
        _write_final(upload / name, data)
    manifest = csv_text(["file", "sha256"], [[name, _sha(data)] for name, data in files.items()])
    _write_final(upload / "manifest.csv", manifest.encode("utf-8"))

    request_types = ()
    sub = store.submission(row["submission_id"]) if row["submission_id"] else None
    if sub:
        request_types = tuple((sub.get("request") or {}).get("request_types") or ())
    follow = [{"child_key": row["child_key"] or f"decision:{decision_id}", "child_id": row["child_id"],
               "panel_date": day.isoformat(), "kind": kind, "reason": reason, "submission_id": row["submission_id"]}
              for day, kind, reason in rules.follow_ups(cfg.profile, decision, panel_date, request_types)]
    finance = None
    if decision.outcome in ("approve", "alternative_approved") and (decision.weekly_cost or decision.total_cost):
        finance = {"child_id": row["child_id"], "resource": decision.resource, "weekly_cost": decision.weekly_cost,
                   "total_cost": rules.annual_total(decision), "period_weeks": decision.period_weeks,
                   "decision_date": panel_date.isoformat()}
    unmet = ({"child_id": row["child_id"], "need": decision.unmet_need, "panel_date": panel_date.isoformat()}
             if decision.unmet_need else None)
    due = rules.upload_deadline(cfg.profile, panel_date, now)
    notices = _notices(cfg, directory, row, sub, decision, child_ref, panel_date)
    try:
        store.sign_decision(decision_id, chair=chair, signed_at=now, draft_sha256=row["pdf_sha256"],
                            docx_path=cfg.stored_path(folder / "signed.docx"), pdf_path=cfg.stored_path(folder / "signed.pdf"),
                            pdf_sha256=sha, upload_dir=cfg.stored_path(upload), upload_due=due, follow_ups=follow, finance=finance, unmet=unmet,
                            outgoing=notices, actor=actor or f"chair:{chair}")
    except StoreError as exc:
        raise PanelError(exc.detail) from exc
    log.info("decision signed", extra=safe_fields(event="decision_signed", decision_id=decision_id, status="signed"))
    return {"decision_id": decision_id, "status": "signed", "sha256": sha, "upload_dir": str(upload)}


def _notices(cfg: Config, directory: Directory, row: dict[str, Any], sub: dict[str, Any] | None, decision: DecisionRecord,
             child_ref: str, panel_date: date) -> list[dict[str, Any]]:
    if sub is None:
        return []
    request = sub.get("request") or {}
    to: list[str] = []
    if "social_worker" in cfg.profile.decisions.notify and sub.get("sender"):
        to.append(sub["sender"])
    tm = directory.by_name((request.get("team_manager") or {}).get("name"), frozenset({"team_manager"}))
    cc = [tm.email] if tm and "team_manager" in cfg.profile.decisions.notify and tm.email not in to else []
    if not to and cc:
        to, cc = cc, []
    if not to:
        return []
    body = environment(cfg.notices.templates_dir).get_template("decision.txt.j2").render(
        panel_title=cfg.profile.title, panel_day=f"{panel_date:%A %-d %B %Y}", child_ref=child_ref,
        outcome=cfg.profile.decisions.labels[decision.outcome], rationale=decision.rationale,
        actions=[a.to_json() for a in decision.actions], review=decision.review_date, reference=row["id"],
        case_system=cfg.profile.decisions.case_system)
    return [{"id": f"notice-{row['id']}", "kind": "decision", "submission_id": sub["id"],
             "recipients": {"to": to, "cc": cc}, "subject": f"{cfg.profile.title} decision: {child_ref}",
             "body": body, "in_reply_to": sub.get("message_id")}]


# --------------------------------------------------------------------------- what is due


def check_deadlines(cfg: Config, store: Store, directory: Directory, now: datetime) -> list[dict[str, Any]]:
    """Warnings for the administrator: uploads due soon or missed, decisions not drafted, reviews
    not brought back. Each warning is emailed once (its id is stable), and returned."""
    warnings: list[dict[str, Any]] = []
    for row in store.decisions(status="signed"):
        if row["uploaded_at"] or row["superseded_by"] or not row["upload_due"]:
            continue
        due = datetime.fromisoformat(row["upload_due"])
        window = timedelta(hours=min(24, cfg.profile.decisions.upload_within_hours / 4))
        if now > due:
            warnings.append({"code": "upload_missed", "id": row["id"], "due": due.isoformat(),
                             "detail": f"{row['id']} should have been on the child's {cfg.profile.decisions.case_system} "
                                       f"record by {due:%d/%m/%Y %H:%M}"})
        elif now > due - window:
            warnings.append({"code": "upload_due_soon", "id": row["id"], "due": due.isoformat(),
                             "detail": f"{row['id']} must be uploaded to {cfg.profile.decisions.case_system} by {due:%d/%m/%Y %H:%M}"})
    today = now.astimezone(LONDON).date()
    for review in store.reviews_before(today):
        heard = any(d["child_key"] == review["child_key"] and d["panel_date"] == review["panel_date"]
                    for d in store.decisions(child_key=review["child_key"]))
        if heard:
            store.set_review_status(review["id"], "heard", reason="a decision was recorded at that panel")
            continue
        store.set_review_status(review["id"], "missed", reason="the panel date passed without the review being heard")
        warnings.append({"code": "review_missed", "id": review["id"], "due": review["panel_date"],
                         "detail": f"the {review['kind'].replace('_', ' ')} for {review.get('child_id') or review['child_key']} "
                                   f"due at the panel on {review['panel_date']} was not heard; where funding depends on "
                                   "review it may end: list it for the next panel"})
    hours = cfg.profile.decisions.draft_within_hours
    if hours:
        for sub in store.submissions(status="accepted"):
            day = date.fromisoformat(sub["panel_date"]) if sub.get("panel_date") else None
            if day is None or day >= today:
                continue
            deadline = calendar.panel(cfg.profile, day).ends_at + timedelta(hours=hours)
            if now > deadline and not store.decisions_for_submission(sub["id"]):
                warnings.append({"code": "decision_not_drafted", "id": sub["id"], "due": deadline.isoformat(),
                                 "detail": f"no decision drafted for {sub['id']} heard on {day:%d/%m/%Y} (due within {hours} hours)"})
    admins = [m.email for m in directory.with_role("administrator")]
    if warnings and admins:
        env = environment(cfg.notices.templates_dir)
        store.queue_outgoing([{"id": f"warn-{w['code']}-{w['id']}", "kind": "warning", "submission_id": None,
                               "recipients": {"to": admins, "cc": []},
                               "subject": f"{cfg.profile.title}: {w['code'].replace('_', ' ')}",
                               "body": env.get_template("warning.txt.j2").render(warning=w, panel_title=cfg.profile.title),
                               "in_reply_to": None} for w in warnings])
    return warnings


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
            xlsx_append(ws, [r.get(c) for c in FINANCE_COLUMNS])
        buf = io.BytesIO()
        wb.save(buf)
        write_atomic(path, buf.getvalue())
    elif path.suffix.lower() == ".csv":
        text = csv_text(FINANCE_COLUMNS, [[r.get(c) for c in FINANCE_COLUMNS] for r in rows])
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
    rows = [d for d in store.decisions(panel_date=panel_date) if not d["superseded_by"]]
    latest: dict[str, dict[str, Any]] = {}
    for d in rows:
        latest[d["series"]] = d
    members: set[str] = set()
    for n, d in enumerate(latest.values(), start=1):
        stored = json.loads(d["record"])
        dec = DecisionRecord.from_json(stored["decision"])
        members |= set(dec.members)
        doc.add_heading(f"{n}. {reference(stored['children']) or '-'}: {cfg.profile.decisions.labels[dec.outcome]}", level=2)
        doc.add_paragraph(f"Request: {stored.get('request') or '-'}")
        doc.add_paragraph(f"Reason: {dec.rationale}")
        for a in dec.actions:
            doc.add_paragraph(f"Action {a.number}: {a.text} – {a.owner}" + (f", by {a.due:%d/%m/%Y}" if a.due else ""))
        if dec.dissent:
            doc.add_paragraph("Formal dissent: " + "; ".join(dec.dissent))
        doc.add_paragraph(f"Status: {d['status']}" + (f", signed by {d['signed_by']}" if d["signed_by"] else ""))
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
            if d["superseded_by"] or d["panel_date"] >= before.isoformat():
                continue
            try:
                data = (store.path.parent / d["pdf_path"]).read_bytes()
            except OSError:
                continue
            if _sha(data) == d["pdf_sha256"]:
                out.append((f"Previous decision {d['panel_date']} ({d['outcome']})", data))
        return out

    return lookup

