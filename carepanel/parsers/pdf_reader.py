"""PDF -> ``Layout``: ruled tables as tables, the other text as lines (PDFium through
``pdf_fast`` where it agrees, else pdfplumber).

A form printed to PDF from Word or LibreOffice keeps its ruled tables, so the same form
mapping reads it.  Blocks are ordered by page, then by their top edge.  A picture inside a
table cell (a pasted signature) is noticed.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zlib
from typing import Any

import pdfplumber
from pdfminer.pdftypes import PDFException
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import PdfminerException

from ..errors import UnreadableAttachment
from .layout import Block, Cell, Layout, Paragraph, Table

PDF_ERRORS = (PSException, PDFException, PdfminerException, ValueError, KeyError, TypeError, AttributeError,
              IndexError, AssertionError, RecursionError, OverflowError, ZeroDivisionError, struct.error,
              zlib.error, OSError, NotImplementedError)

BBox = tuple[float, float, float, float]


MARGIN = 0.12  # share of the page height at top and bottom where running headers and footers sit
PAGE_NUMBER = re.compile(r"^\W*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\W*$", re.I)


def read(data: bytes, *, deadline: float | None = None, max_pages: int | None = None) -> Layout:
    """``deadline`` (``time.monotonic()``): give up past it; ``max_pages``: read no further.

    PDFium first (``pdf_fast``: the same tables and lines, several times faster); where it is
    not sure to agree with pdfplumber, or fails, pdfplumber reads the file as it always has."""
    fast = _read_fast(data, deadline, max_pages)
    if fast is not None:
        return fast
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            pages = []
            marked = False  # anything drawn at all: a scanned image, or text turned into shapes
            for page in pdf.pages[:max_pages]:
                if deadline is not None and time.monotonic() > deadline:
                    raise UnreadableAttachment("the PDF took too long to read")
                pages.append(_page_blocks(page))
                marked = marked or bool(page.images or page.curves or page.rects or page.lines)
    except PDF_ERRORS as exc:
        raise UnreadableAttachment("the PDF is damaged and cannot be read") from exc
    layout = Layout("pdf", tuple(_without_furniture(pages)) + _form_fields(data))
    if not layout.text().strip(" |\n"):
        if not marked:  # blank pages: OCR (a second a page) would find nothing either
            raise UnreadableAttachment("the PDF has no text and nothing on its pages to read")
        from . import ocr

        return ocr.read_pdf(data, deadline, max_pages)  # a scan: read by OCR, with a warning
    return layout


def _read_fast(data: bytes, deadline: float | None, max_pages: int | None) -> Layout | None:
    from . import pdf_fast

    if b"/AcroForm" in data:
        return None  # a fillable form's answers are read by pypdf below, with pdfplumber's pages
    try:
        pages = []
        for page in pdf_fast.pages(data, max_pages):
            if deadline is not None and time.monotonic() > deadline:
                raise UnreadableAttachment("the PDF took too long to read")
            pages.append(_page_blocks(page))
    except UnreadableAttachment:
        raise
    except Exception:  # noqa: BLE001 - NotSimple, or PDFium's error: pdfplumber decides, as before
        return None
    layout = Layout("pdf", tuple(_without_furniture(pages)))
    return layout if layout.text().strip(" |\n") else None  # no text: pdfplumber's path finds the scan


def _form_fields(data: bytes) -> tuple[Paragraph, ...]:
    """A fillable PDF's answers live in its form fields, not its page text: each filled field
    becomes a "Label: value" line (the field's tooltip as the label where it has one)."""
    if b"/AcroForm" not in data:
        return ()
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    except (PyPdfError, *PDF_ERRORS):
        return ()
    out = []
    for name, field in fields.items():
        value = field.get("/V")
        if value is None or str(value).strip() in ("", "/Off"):
            continue
        label = str(field.get("/TU") or name).strip()
        text = "Yes" if str(value) in ("/Yes", "/On") else str(value).strip()
        out.append(Paragraph(f"{label}: {text}"))
    return tuple(out)


def _without_furniture(pages: list[list[tuple[bool, Block]]]) -> list[Block]:
    """Drop running headers, footers and page numbers: margin lines repeated on other pages."""
    seen: dict[str, int] = {}
    for page in pages:
        for text in {b.text.strip() for margin, b in page if margin and isinstance(b, Paragraph)}:
            seen[text] = seen.get(text, 0) + 1
    out: list[Block] = []
    for page in pages:
        for margin, block in page:
            if margin and isinstance(block, Paragraph):
                text = block.text.strip()
                if seen.get(text, 0) > 1 or PAGE_NUMBER.match(text):
                    continue
            out.append(block)
    return out


def _page_blocks(page: Any) -> list[tuple[bool, Block]]:
    """The page's blocks in order, each marked if it sits in the header or footer margin."""
    placed: list[tuple[float, bool, Block]] = []
    height = float(page.height) or 1.0
    tables = page.find_tables()
    images = [(float(i["x0"]), float(i["top"]), float(i["x1"]), float(i["bottom"])) for i in page.images]
    for table in tables:
        placed.append((float(table.bbox[1]), False, _table(table, images)))
    boxes = [tuple(float(v) for v in t.bbox) for t in tables]
    outside = page.filter(lambda obj: not any(_inside(obj, b) for b in boxes)) if boxes else page
    for line in outside.extract_text_lines(return_chars=False):
        top, bottom = float(line["top"]), float(line["bottom"])
        margin = top < MARGIN * height or bottom > (1 - MARGIN) * height
        placed.append((top, margin, Paragraph(line["text"])))
    placed.sort(key=lambda p: p[0])
    return [(margin, block) for _, margin, block in placed]


def _inside(obj: dict[str, Any], box: tuple[float, ...]) -> bool:
    if "x0" not in obj or "top" not in obj:
        return False
    cx = (float(obj["x0"]) + float(obj.get("x1", obj["x0"]))) / 2
    cy = (float(obj["top"]) + float(obj.get("bottom", obj["top"]))) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _table(table: Any, images: list[BBox]) -> Table:
    texts = table.extract()
    row_cells = [row.cells for row in table.rows]
    starts: dict[int, float] = {}
    for cells in row_cells:
        for j, bbox in enumerate(cells):
            if bbox is not None:
                starts[j] = min(starts.get(j, bbox[0]), bbox[0])
    rows = []
    for cells, words in zip(row_cells, texts):
        row = []
        for j, bbox in enumerate(cells):
            if bbox is None:
                continue
            span = max(1, sum(1 for k, x0 in starts.items() if k >= j and x0 < bbox[2] - 1))
            text = (words[j] if j < len(words) else None) or ""
            row.append(Cell(text, j, span, any(_overlaps(img, bbox) for img in images)))
        rows.append(tuple(row))
    return Table(tuple(rows))


def _overlaps(img: BBox, bbox: tuple[float, ...]) -> bool:
    cx, cy = (img[0] + img[2]) / 2, (img[1] + img[3]) / 2
    return bbox[0] <= cx <= bbox[2] and bbox[1] <= cy <= bbox[3]
