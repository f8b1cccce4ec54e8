"""Building and sending the pack for one panel: the I/O around ``pipeline.agenda`` and
``outputs.pack``.

Reads the accepted submissions, the reviews and the administrator's agenda rows from the store
and the originals from the archive; converts Word papers in parallel on the long-lived
LibreOffice workers; writes the PDF atomically (a half-written pack is never sent); records the
pack; and queues the mail -- the pack to the chair and members, each case's slot to its social
worker and team manager -- in the same transaction that marks the pack sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..clock import LONDON, system_clock
from ..config import Config
from ..directory import Directory
from ..errors import CarepanelError, PackDeferred, PanelError
from ..logs import safe_fields
from ..mailbox.archive import Archive
from ..mailbox.durable import make_dirs, write_atomic
from ..office import Converter, OfficeError, OfficeUnavailable
from ..outputs.notices import environment
from ..outputs.pack import BuiltPack, PackCase, PackDocument, build_pack, split_pack
from ..formats.sniff import sniff_format
from ..pipeline import agenda as agenda_rules
from ..pipeline import calendar
from ..pipeline.agenda import Agenda, Case, Slot
from ..pipeline.identity import reference
from ..store import Review, Store, StoredSubmission

log = logging.getLogger("carepanel.packs")

ROLE_ORDER = {"request_form": 0, "assessment": 1, "care_plan": 2, "genogram": 3, "review_record": 4, "other": 5}
WORD = {"docx", "doc", "odt", "rtf", "docm"}
PreviousDecisions = Callable[[str], Sequence[tuple[str, bytes]]]


@dataclass(frozen=True)
class PackResult:
    panel_date: date
    path: Path
    pages: int
    revision: int
    cases: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    overflow: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Exactly the contract's shape for ``pack build --json``."""
        return {"panel_date": self.panel_date.isoformat(), "path": str(self.path), "pages": self.pages,
                "cases": [{"submission_id": c["submission_id"], "slot": c["slot"], "pages": c["pages"]} for c in self.cases],
                "warnings": list(self.warnings)}


# --------------------------------------------------------------------------- the agenda


def case_from_submission(cfg: Config, sub: StoredSubmission) -> Case:
    request = sub.request
    children = [c.to_json() for c in request.children] if request else []
    types = list(request.request_types) if request else []
    return Case(
        ref_id=sub.id, kind="request", title=", ".join(types) or "request",
        child_ref=reference(children) or "-", team=request.social_worker.team if request else None,
        received_at=sub.received_at, complex=agenda_rules.is_complex(cfg.profile, types, len(children)),
        submission_id=sub.id,
        child_key=sub.child_key, social_worker=sub.sender,
        team_manager=request.team_manager.name if request else None,
    )


def case_from_review(review: Review) -> Case:
    kind = "ratification" if review.kind == "ratification" else "review"
    return Case(ref_id=review.id, kind=kind, title=review.reason, child_ref=review.child_id or "-",
                team=None, received_at=review.created_at, child_key=review.child_key,
                submission_id=review.submission_id)


def agenda_for(cfg: Config, store: Store, panel_date: date) -> Agenda:
    if panel_date not in calendar.sittings(cfg.profile, panel_date, panel_date):
        raise PanelError(f"the {cfg.profile.title} does not sit on {panel_date:%A %-d %B %Y}")
    cases = [case_from_submission(cfg, s) for s in store.submissions(status="accepted", panel_date=panel_date)]
    cases += [case_from_review(r) for r in store.reviews_for(panel_date)]
    listed, withdrawn = agenda_rules.apply_items(cases, store.agenda_items(panel_date))
    return agenda_rules.build(cfg.profile, calendar.panel(cfg.profile, panel_date), listed, withdrawn)


# --------------------------------------------------------------------------- building


def _documents(store: Store, archive: Archive, case: Case) -> list[tuple[str, bytes | None, str | None, str | None]]:
    """(title, bytes, format, problem) for each paper of a case, form first."""
    if case.submission_id is None:
        return []
    sub = store.submission(case.submission_id)
    if sub is None:
        return []
    docs: list[tuple[str, bytes | None, str | None, str | None]] = []
    for att in sorted(sub.attachments, key=lambda a: ROLE_ORDER.get(a.role, 9)):
        title = f"{att.role.replace('_', ' ').capitalize()}: {att.filename}"
        if not att.readable:
            docs.append((title, None, None, "it was flagged when it arrived (unreadable or unsafe) and is not opened"))
            continue
        try:
            data = archive.get(att.sha256, kind="blob")
        except (OSError, CarepanelError) as exc:
            docs.append((title, None, None, f"the stored copy could not be read ({type(exc).__name__})"))
            continue
        docs.append((title, data, sniff_format(data), None))
    return docs


Paper = tuple[str, bytes | None, str | None, str | None]  # (title, bytes, format, problem)


class _Progress:
    """Counts the steps of a build for the caller's progress bar (``carepanel pack build``)."""

    def __init__(self, total: int, report: Callable[[int, int, str], None] | None) -> None:
        self.total, self.done, self.report = total, 0, report

    def tick(self, label: str) -> None:
        self.done += 1
        if self.report:
            self.report(self.done, self.total, label)


def build(cfg: Config, store: Store, archive: Archive, panel_date: date, *, converter: Converter | None = None,
          progress: Callable[[int, int, str], None] | None = None, previous: PreviousDecisions | None = None,
          now: datetime | None = None, settle_for_missing: bool = True) -> PackResult:
    """Build (or rebuild, as the next revision) the pack for ``panel_date``.

    A paper LibreOffice cannot convert is listed on a page saying why.  When LibreOffice itself
    hung or died on it (``OfficeError.transient``) and ``settle_for_missing`` is false, nothing
    is written and ``PackDeferred`` is raised instead, so the scheduled papers-out can try again
    once the fault has cleared; a pack that cannot be written (disk full) raises it too, and
    leaves no partial file behind.
    """
    agenda = agenda_for(cfg, store, panel_date)
    slots = agenda.slots + agenda.overflow
    if previous is None:
        from .decisions import previous_decisions

        previous = previous_decisions(store, before=panel_date)
    raw = _gather(store, archive, slots, previous)
    jobs = [(i, j) for i, docs in enumerate(raw) for j, d in enumerate(docs) if d[1] is not None and d[2] in WORD]
    steps = _Progress(len(jobs) + len(slots) + 1, progress)
    converted, transient = _convert(cfg, raw, jobs, converter, steps)
    if transient and not settle_for_missing:
        raise PackDeferred(f"LibreOffice hung or stopped while converting {transient} of the papers; "
                           "the pack will be built again")
    cases = _lay_out(slots, raw, converted, steps)
    revision = len(store.packs(panel_date)) + 1
    built_at = (now or system_clock()).astimezone(LONDON)
    pack: BuiltPack = build_pack(f"{cfg.profile.title} – {cfg.profile.council}", agenda, cases,
                                 marking=cfg.pack.marking, revision=revision, built_at=built_at)
    path = _write(cfg, panel_date, revision, pack.pdf)
    steps.tick("written")
    warnings = list(pack.warnings) + [
        f"{s.case.child_ref or s.case.title} ({s.starts:%H:%M}) runs past the end of the sitting at {agenda.panel.ends_at:%H:%M}"
        for s in agenda.overflow]
    case_rows = [{"submission_id": s.case.submission_id, "ref_id": s.case.ref_id, "kind": s.case.kind,
                  "slot": s.starts.strftime("%H:%M"), "pages": list(pack.ranges[i])} for i, s in enumerate(slots)]
    store.record_pack(panel_date, cfg.stored_path(path), hashlib.sha256(pack.pdf).hexdigest(), pack.pages, case_rows, warnings)
    log.info("pack built", extra=safe_fields(event="pack_built", panel_date=panel_date.isoformat(), pages=pack.pages,
                                             cases=len(slots), revision=revision, warnings=len(warnings)))
    return PackResult(panel_date, path, pack.pages, revision, tuple(case_rows), tuple(warnings),
                      tuple(s.case.ref_id for s in agenda.overflow))


def _gather(store: Store, archive: Archive, slots: Sequence[Slot], previous: PreviousDecisions | None) -> list[list[Paper]]:
    """Each slot's papers, form first, then the child's previous decisions (already PDFs)."""
    raw: list[list[Paper]] = []
    for slot in slots:
        docs = _documents(store, archive, slot.case)
        if previous is not None and slot.case.child_key:
            docs += [(title, pdf, "pdf", None) for title, pdf in previous(slot.case.child_key)]
        raw.append(docs)
    return raw


def _convert(cfg: Config, raw: list[list[Paper]], jobs: list[tuple[int, int]], converter: Converter | None,
             steps: _Progress) -> tuple[dict[tuple[int, int], bytes | str], int]:
    """The Word papers as PDF (or why not), converted in parallel; and how many failed because
    LibreOffice hung, died or could not start (the machine's fault, not the paper's)."""
    converted: dict[tuple[int, int], bytes | str] = {}
    transient = 0
    if not jobs:
        return converted, transient
    own = converter is None
    try:
        conv = converter or Converter(workers=cfg.pack.office_workers, timeout=cfg.pack.office_timeout_seconds)
    except OfficeUnavailable as exc:
        return {key: exc.detail for key in jobs}, len(jobs)  # LibreOffice cannot start here
    try:
        with ThreadPoolExecutor(max_workers=cfg.pack.office_workers, thread_name_prefix="pack") as pool:
            futures = {pool.submit(conv.to_pdf, raw[i][j][1] or b"", "." + str(raw[i][j][2])): (i, j) for i, j in jobs}
            for fut in as_completed(futures):
                key = futures[fut]
                try:
                    converted[key] = fut.result()
                except OfficeError as exc:
                    converted[key] = f"LibreOffice could not convert it ({exc.detail})"
                    transient += exc.transient
                except OfficeUnavailable as exc:  # it died while starting, or cannot start at all
                    converted[key] = f"LibreOffice could not convert it ({exc.detail})"
                    transient += 1
                steps.tick("converting Word documents")
    finally:
        if own:
            conv.close()
    return converted, transient


def _lay_out(slots: Sequence[Slot], raw: list[list[Paper]], converted: dict[tuple[int, int], bytes | str],
             steps: _Progress) -> list[PackCase]:
    """Each case with its papers as PDFs, or a page saying why one is missing."""
    cases: list[PackCase] = []
    for i, slot in enumerate(slots):
        documents = []
        for j, (title, data, fmt, problem) in enumerate(raw[i]):
            if problem is not None or data is None:
                documents.append(PackDocument(title, None, problem))
            elif fmt == "pdf":
                documents.append(PackDocument(title, data))
            elif (i, j) in converted:
                result = converted[(i, j)]
                documents.append(PackDocument(title, result, None) if isinstance(result, bytes)
                                 else PackDocument(title, None, result))
            else:
                documents.append(PackDocument(title, None, f"a {fmt or 'unknown'} file cannot be put in a PDF pack"))
        cases.append(PackCase(slot, tuple(documents)))
        steps.tick("laying out")
    return cases


def _write(cfg: Config, panel_date: date, revision: int, pdf: bytes) -> Path:
    """The pack's file, all of it or nothing (the temporary file goes on failure)."""
    folder = cfg.packs_dir / panel_date.isoformat()
    path = folder / f"pack-{panel_date.isoformat()}-r{revision}.pdf"
    try:
        make_dirs(folder)
        write_atomic(path, pdf)
    except OSError as exc:
        raise PackDeferred(f"the pack could not be written to {folder.name}: {exc.strerror or exc}") from exc
    return path


# --------------------------------------------------------------------------- sending


def send(cfg: Config, store: Store, archive: Archive, directory: Directory, panel_date: date, *,
         converter: Converter | None = None, now: datetime | None = None, rebuild: bool = False,
         settle_for_missing: bool = True) -> dict[str, Any]:
    """Queue the pack for the chair and members and the slot times for each case's staff.

    Builds the pack first when none exists, or when ``rebuild`` (a change since it was built).
    A second send for the same panel is marked as a revision.
    """
    packs = store.packs(panel_date)
    if rebuild or not packs:
        build(cfg, store, archive, panel_date, converter=converter, now=now, settle_for_missing=settle_for_missing)
        packs = store.packs(panel_date)
    pack = packs[-1]
    readers = [m.email for m in directory.with_role("chair", "panel_member")]
    if not readers:
        raise PanelError("the staff directory has no chair or panel member to send the pack to")
    sent_before = sum(1 for p in packs if p.sent_at)
    agenda = agenda_for(cfg, store, panel_date)
    env = environment(cfg.notices.templates_dir)
    title = cfg.profile.title
    revision_note = f"REVISION {sent_before + 1}: " if sent_before else ""
    day = f"{panel_date:%A %-d %B %Y}"
    path = cfg.data_path(pack.path)
    size_mb = path.stat().st_size / (1024 * 1024)
    as_link = size_mb > cfg.pack.max_email_mb
    values = {"panel_title": title, "panel_day": day, "revision": sent_before + 1 if sent_before else None,
              "agenda": agenda.to_json(), "pages": pack.pages, "as_link": as_link,
              "link": f"{cfg.pack.web_url}/panels/{panel_date.isoformat()}/pack",
              "warnings": list(pack.warnings), "marking": cfg.pack.marking}
    parts = [path]
    if as_link and cfg.pack.too_large == "split":
        ranges = [tuple(c["pages"]) for c in pack.agenda]
        pieces = split_pack(path.read_bytes(), ranges, int(cfg.pack.max_email_mb * 1024 * 1024))
        parts = []
        for n, piece in enumerate(pieces, start=1):
            part = path.with_name(f"{path.stem}-part{n}of{len(pieces)}.pdf")
            try:
                write_atomic(part, piece)
            except OSError as exc:
                raise PackDeferred(f"a part of the pack could not be written: {exc.strerror or exc}") from exc
            parts.append(part)
        as_link = False
        values["as_link"] = False
    items: list[dict[str, Any]] = []
    for n, part in enumerate(parts, start=1):
        of = f" (part {n} of {len(parts)})" if len(parts) > 1 else ""
        body = env.get_template("pack.txt.j2").render(**values, part=n if len(parts) > 1 else None, parts=len(parts))
        attachments = [] if as_link else [{"path": cfg.stored_path(part), "filename": part.name, "mime": "application/pdf"}]
        items.append({
            "id": f"pack-{pack.id}-{n}", "kind": "pack", "submission_id": None,
            "recipients": {"to": readers, "cc": []},
            "subject": f"{revision_note}{title} papers – {day}{of} [{cfg.pack.marking}]",
            "body": body, "in_reply_to": None, "attachments": attachments})
    for slot in agenda.slots + agenda.overflow:
        case = slot.case
        if case.kind != "request" or not case.social_worker:
            continue
        tm = directory.by_name(case.team_manager, frozenset({"team_manager"})) if case.team_manager else None
        notice = env.get_template("slot.txt.j2").render(
            panel_title=title, panel_day=day, slot=slot.starts.strftime("%H:%M"), ends=slot.ends.strftime("%H:%M"),
            child_ref=case.child_ref, reference=case.submission_id, revision=sent_before + 1 if sent_before else None,
            overflow=slot in agenda.overflow)
        items.append({"id": f"slot-{pack.id}-{case.ref_id}", "kind": "slot", "submission_id": case.submission_id,
                      "recipients": {"to": [case.social_worker], "cc": [tm.email] if tm and tm.email != case.social_worker else []},
                      "subject": f"{revision_note}{title} {day}: your time is {slot.starts:%H:%M}", "body": notice,
                      "in_reply_to": None})
    store.mark_pack_sent(pack.id, items)
    log.info("pack queued", extra=safe_fields(event="pack_queued", panel_date=panel_date.isoformat(),
                                              revision=pack.revision, mails=len(items), as_link=as_link))
    return {"panel_date": panel_date.isoformat(), "path": str(path), "revision": pack.revision,
            "sent_to": len(readers), "slot_notices": len(items) - len(parts), "as_link": as_link, "parts": len(parts)}


def due_papers(cfg: Config, store: Store, now: datetime) -> list[date]:
    """Sittings whose papers-out time has come and whose pack has not gone (looking a week back,
    so a service that was down at papers-out time sends as soon as it is back, before panel)."""
    due = []
    for day in calendar.sittings(cfg.profile, (now - timedelta(days=7)).astimezone(LONDON).date(),
                                 (now + timedelta(days=14)).astimezone(LONDON).date()):
        p = calendar.panel(cfg.profile, day)
        if p.papers_out <= now < p.starts_at and not any(pk.sent_at for pk in store.packs(day)):
            due.append(day)
    return due


def agenda_warnings(cfg: Config, store: Store, directory: Directory, now: datetime) -> list[dict[str, Any]]:
    """Before papers go out: tell the administrators, once, when the next panel's cases do not fit
    the sitting (between the cut-off and papers-out, when the list is settled but can still change)."""
    from ..outputs.notices import environment

    warnings: list[dict[str, Any]] = []
    today = now.astimezone(LONDON).date()
    for day in calendar.sittings(cfg.profile, today, today + timedelta(days=14)):
        p = calendar.panel(cfg.profile, day)
        if not (p.cutoff <= now < p.papers_out) or any(pk.sent_at for pk in store.packs(day)):
            continue
        agenda = agenda_for(cfg, store, day)
        if agenda.overflow:
            cases = ", ".join(f"{s.case.child_ref or s.case.title} ({s.starts:%H:%M})" for s in agenda.overflow)
            warnings.append({"code": "agenda_overflow", "id": day.isoformat(), "due": p.papers_out.isoformat(),
                             "detail": f"the panel on {day:%A %-d %B} has more cases than fit between "
                                       f"{p.starts_at:%H:%M} and {p.ends_at:%H:%M}: {cases} run past the end. "
                                       "Reorder, move or withdraw before the papers go out."})
    admins = [m.email for m in directory.with_role("administrator")]
    if warnings and admins:
        env = environment(cfg.notices.templates_dir)
        store.queue_outgoing([{"id": f"warn-{w['code']}-{w['id']}-{len(w['detail'])}", "kind": "warning",
                               "submission_id": None, "recipients": {"to": admins, "cc": []},
                               "subject": f"{cfg.profile.title}: the agenda for {w['id']} is over-full",
                               "body": env.get_template("warning.txt.j2").render(warning=w, panel_title=cfg.profile.title),
                               "in_reply_to": None} for w in warnings])
    return warnings


def tell_administrators(cfg: Config, store: Store, directory: Directory, day: date, sent: dict[str, Any]) -> None:
    """After a scheduled papers-out: what went, and any paper that could not be included."""
    admins = [m.email for m in directory.with_role("administrator")]
    built = store.packs(day)
    if not admins or not built:
        return
    warnings = list(built[-1].warnings)
    lines = [f"The papers for the {cfg.profile.title} on {day:%A %-d %B %Y} went out automatically "
             f"(revision {sent['revision']}, {built[-1].pages} pages, to {sent['sent_to']} people, "
             f"{sent['slot_notices']} slot notices)."]
    if warnings:
        lines += ["", "Please check:"] + [f"- {w}" for w in warnings]
    store.queue_outgoing([{"id": f"papers-out-{built[-1].id}", "kind": "warning", "submission_id": None,
                           "recipients": {"to": admins, "cc": []},
                           "subject": f"{cfg.profile.title} papers sent for {day:%d/%m/%Y}"
                                      + (f" – {len(warnings)} to check" if warnings else ""),
                           "body": "\n".join(lines) + "\n", "in_reply_to": None}])
