"""One bookmarked PDF per panel: the cover and agenda, then each case's papers.

Given the agenda and every document already as PDF bytes (Word is converted before, by the
long-lived LibreOffice of ``office.py``), this module lays the pack out with pypdf: a cover page
whose agenda rows link to their cases, an outline with a bookmark for every case and document,
"Page X of Y" and the council's protective marking stamped on every page, and page labels equal
to the printed numbers (so the page a chair types into the viewer is the page printed on it).

The cover and the stamps are drawn with reportlab: pypdf merges and annotates PDFs but does
not draw text.  A document that cannot be included is still listed, on a page of its own that
says why, so nobody at panel mistakes a missing report for a short one.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.annotations import Link
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ..pipeline.agenda import KIND_LABEL, Agenda, Slot
from .pdfsafe import neutralise

Progress = Callable[[str], None]
ROWS_PER_COVER_PAGE = 22


@dataclass(frozen=True)
class PackDocument:
    """One document of a case; ``pdf`` is None when it could not be made, and ``problem`` says why."""

    title: str
    pdf: bytes | None
    problem: str | None = None


@dataclass(frozen=True)
class PackCase:
    slot: Slot
    documents: tuple[PackDocument, ...]


@dataclass(frozen=True)
class BuiltPack:
    pdf: bytes
    pages: int
    ranges: tuple[tuple[int, int], ...]  # per case, first and last page (1-based, as printed)
    warnings: tuple[str, ...] = field(default_factory=tuple)


def build_pack(title: str, agenda: Agenda, cases: Sequence[PackCase], *, marking: str, revision: int = 1,
               built_at: datetime | None = None, progress: Progress | None = None) -> BuiltPack:
    warnings: list[str] = []
    readers: list[list[PdfReader | str]] = []
    for case in cases:
        docs: list[PdfReader | str] = []
        for doc in case.documents:
            reader, problem = _open(doc)
            if problem:
                warnings.append(f"{case.slot.case.child_ref or case.slot.case.title}: {doc.title}: {problem}")
            docs.append(reader if reader is not None else problem or "could not be included")
        readers.append(docs)

    cover_pages = max(1, -(-len(agenda.slots + agenda.overflow) // ROWS_PER_COVER_PAGE))
    ranges: list[tuple[int, int]] = []
    page = cover_pages
    for docs in readers:
        first = page + 1
        page += sum(len(d.pages) if isinstance(d, PdfReader) else 1 for d in docs) or 1
        ranges.append((first, page))
    total = page

    writer = PdfWriter()
    cover, link_rows = _cover(title, agenda, cases, ranges, marking=marking, revision=revision, built_at=built_at)
    writer.append(PdfReader(io.BytesIO(cover)))
    root = writer.add_outline_item(title="Agenda", page_number=0)
    for case, docs, (first, _) in zip(cases, readers, ranges):
        if progress:
            progress(f"adding {case.slot.case.child_ref or case.slot.case.title}")
        parent = writer.add_outline_item(title=_case_heading(case.slot), page_number=first - 1)
        if not docs:
            writer.append(PdfReader(io.BytesIO(_notice_page("No documents", "This item has no documents."))))
        for doc, item in zip(case.documents, docs):
            at = len(writer.pages)
            if isinstance(item, PdfReader):
                writer.append(item, import_outline=False)
            else:
                writer.append(PdfReader(io.BytesIO(_notice_page(doc.title, f"This document could not be included: {item}"))))
            writer.add_outline_item(title=doc.title, page_number=at, parent=parent)
    del root
    assert len(writer.pages) == total, (len(writer.pages), total)

    for cover_index, y0, y1, case_index in link_rows:
        target = ranges[case_index][0] - 1
        writer.add_annotation(page_number=cover_index, annotation=Link(rect=(15 * mm, y0, A4[0] - 15 * mm, y1),
                                                                        target_page_index=target))
    neutralise(writer)
    _stamp(writer, marking, total)
    writer.set_page_label(0, total - 1, style=PageLabelStyle.DECIMAL, start=1)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": f"{title} pack, revision {revision}", "/Producer": "carepanel"})
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return BuiltPack(out.getvalue(), total, tuple(ranges), tuple(warnings))


# --------------------------------------------------------------------------- documents


def _open(doc: PackDocument) -> tuple[PdfReader | None, str | None]:
    if doc.pdf is None:
        return None, doc.problem or "it could not be converted to PDF"
    try:
        reader = PdfReader(io.BytesIO(doc.pdf))
        if reader.is_encrypted and not reader.decrypt(""):
            return None, "it is password-protected"
        if len(reader.pages) == 0:
            return None, "it has no pages"
        return reader, None
    except Exception as exc:  # noqa: BLE001 - any broken PDF becomes a listed, explained gap
        return None, f"it is not a readable PDF ({type(exc).__name__})"


# --------------------------------------------------------------------------- drawing


def _case_heading(slot: Slot) -> str:
    case = slot.case
    who = f" – {case.child_ref}" if case.child_ref else ""
    return f"{slot.starts:%H:%M} {KIND_LABEL[case.kind]}{who} – {case.title}"


def _cover(title: str, agenda: Agenda, cases: Sequence[PackCase], ranges: Sequence[tuple[int, int]], *, marking: str,
           revision: int, built_at: datetime | None) -> tuple[bytes, list[tuple[int, float, float, int]]]:
    """The cover and agenda pages, and where each row is (page, y0, y1, case index) for its link."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    width, height = A4
    index = {id(case.slot): i for i, case in enumerate(cases)}
    rows = list(agenda.slots) + list(agenda.overflow)
    links: list[tuple[int, float, float, int]] = []
    panel = agenda.panel
    for page_no in range(max(1, -(-len(rows) // ROWS_PER_COVER_PAGE))):
        y = height - 28 * mm
        c.setFont("Helvetica-Bold", 16)
        c.drawString(15 * mm, y, title)
        y -= 8 * mm
        c.setFont("Helvetica", 11)
        rev = f", revision {revision}" if revision > 1 else ""
        c.drawString(15 * mm, y, f"{panel.date:%A %-d %B %Y}, {panel.starts_at:%H:%M}–{panel.ends_at:%H:%M}{rev}")
        if built_at is not None:
            c.setFont("Helvetica", 8)
            c.drawRightString(width - 15 * mm, y, f"built {built_at:%d/%m/%Y %H:%M}")
        y -= 10 * mm
        c.setFont("Helvetica-Bold", 9)
        for x, head in ((15, "Time"), (32, "Item"), (58, "Child"), (105, "Request"), (145, "Team"), (182, "Pages")):
            c.drawString(x * mm, y, head)
        y -= 2 * mm
        c.line(15 * mm, y, width - 15 * mm, y)
        y -= 6 * mm
        c.setFont("Helvetica", 9)
        for slot in rows[page_no * ROWS_PER_COVER_PAGE:(page_no + 1) * ROWS_PER_COVER_PAGE]:
            case = slot.case
            i = index.get(id(slot))
            overflow = slot in agenda.overflow
            c.setFillColorRGB(0.7, 0, 0) if overflow else c.setFillColorRGB(0, 0, 0)
            c.drawString(15 * mm, y, f"{slot.starts:%H:%M}")
            c.drawString(32 * mm, y, _fit(KIND_LABEL[case.kind], 24))
            c.drawString(58 * mm, y, _fit(case.child_ref or "-", 48))
            c.drawString(105 * mm, y, _fit(case.title, 30))
            c.drawString(145 * mm, y, _fit(case.team or "-", 24))
            if i is not None:
                first, last = ranges[i]
                c.drawString(182 * mm, y, f"{first}–{last}" if last > first else f"{first}")
                links.append((page_no, y - 2 * mm, y + 4 * mm, i))
            y -= 8 * mm
        c.setFillColorRGB(0, 0, 0)
        if agenda.overflow and page_no == 0:
            c.setFont("Helvetica-Bold", 9)
            c.drawString(15 * mm, 30 * mm, f"{len(agenda.overflow)} item(s) in red run past the end of the sitting.")
            c.setFont("Helvetica", 9)
        c.showPage()
    c.save()
    return buf.getvalue(), links


def _fit(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _notice_page(title: str, text: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(20 * mm, A4[1] - 40 * mm, _fit(title, 70))
    c.setFont("Helvetica", 11)
    y = A4[1] - 52 * mm
    for line in _wrap(text, 90):
        c.drawString(20 * mm, y, line)
        y -= 6 * mm
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def _stamp(writer: PdfWriter, marking: str, total: int) -> None:
    """Marking at the top and bottom, "Page X of Y" at the foot, each page at its own size."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for number, page in enumerate(writer.pages, start=1):
        if page.get("/Rotate", 0):
            page.transfer_rotation_to_content()
        box = page.mediabox
        w, h = float(box.width), float(box.height)
        c.setPageSize((w, h))
        c.translate(float(box.left), float(box.bottom))
        c.setFont("Helvetica-Bold", 8)
        c.setFillColorRGB(0.6, 0, 0)
        c.drawCentredString(w / 2, h - 5 * mm, marking)
        c.drawCentredString(w / 2, 4 * mm, marking)
        c.setFillColorRGB(0, 0, 0)
        c.setFont("Helvetica", 8)
        c.drawRightString(w - 10 * mm, 4 * mm, f"Page {number} of {total}")
        c.showPage()
    c.save()
    overlay = PdfReader(io.BytesIO(buf.getvalue()))
    for page, stamp in zip(writer.pages, overlay.pages):
        page.merge_page(stamp, over=True)


def split_pack(pdf: bytes, ranges: Sequence[tuple[int, int]], max_bytes: int) -> list[bytes]:
    """The pack in parts that each fit in an email, cut only between cases (a case is never split
    across two emails); every part starts with the cover, so each can be read on its own.
    A single case larger than the limit still makes one part of its own."""
    reader = PdfReader(io.BytesIO(pdf))
    cover = range(0, (ranges[0][0] - 1) if ranges else len(reader.pages))

    def write(case_ranges: Sequence[tuple[int, int]]) -> bytes:
        writer = PdfWriter()
        for i in cover:
            writer.add_page(reader.pages[i])
        for first, last in case_ranges:
            for i in range(first - 1, last):
                writer.add_page(reader.pages[i])
        writer.compress_identical_objects()
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    parts: list[bytes] = []
    current: list[tuple[int, int]] = []
    last_good: bytes | None = None
    for r in ranges:
        attempt = write(current + [r])
        if current and len(attempt) > max_bytes:
            parts.append(last_good or write(current))
            current = [r]
            last_good = write(current)
        else:
            current.append(r)
            last_good = attempt
    if current:
        parts.append(last_good or write(current))
    return parts or [pdf]
