"""Scans and photos of a form: text by OCR (Tesseract through pytesseract), as plain lines.

Only when a PDF has no text layer, or the attachment is a picture.  What OCR reads is never
trusted as typed text is: the request carries a warning that an administrator should check it,
and OCR runs inside the sandboxed reader with the same deadline as any other reading.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from dataclasses import replace

from ..errors import UnreadableAttachment
from ..models import Request
from .layout import Block, Layout, Paragraph

# Tesseract's OpenMP threads fight each other and every other process on a small shared machine:
# one thread reads a page about five times faster here (and see tesseract-ocr/tesseract#898,
# #3109).  Set for the Tesseract processes pytesseract starts; an operator's own setting wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

OCR_WARNING = "read by OCR from a scan or photo: an administrator should check every field against the original"
MAX_OCR_PAGES = 6
RESOLUTION = 300


def available() -> bool:
    return shutil.which("tesseract") is not None


def _lines(image: object, deadline: float | None) -> list[str]:
    import pytesseract  # type: ignore[import-untyped]

    remaining = None if deadline is None else max(1.0, deadline - time.monotonic())
    try:
        text = pytesseract.image_to_string(image, lang="eng", config="--psm 4", timeout=remaining or 0)
    except RuntimeError as exc:  # pytesseract's timeout
        raise UnreadableAttachment("reading the scan took too long") from exc
    except (OSError, pytesseract.TesseractError) as exc:
        raise UnreadableAttachment("the scan could not be read") from exc
    return [line.strip() for line in text.splitlines() if line.strip()]


def _layout(lines: list[str], blocks: list[Block] | None = None) -> Layout:
    out = [*(blocks or ()), *(Paragraph(line) for line in lines)]
    layout = Layout("ocr", tuple(out))
    if not layout.text().strip(" |\n"):
        raise UnreadableAttachment("no text could be read from the scan")
    return layout


def _blocks(image: object, dpi: float, deadline: float | None) -> list[Block] | None:
    """The page's tables and lines from OCR with word positions (``ocr_layout``); ``None``
    where that cannot run (OpenCV missing), and the page is read as plain lines."""
    try:
        from .ocr_layout import page_blocks
    except ImportError:
        return None
    return [block for _, block in page_blocks(image, dpi, deadline)]


def _dpi(img: object) -> float:
    """The picture's resolution as recorded, else as a phone or scanner most likely took it."""
    info = getattr(img, "info", {}) or {}
    dpi = info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    if 70 <= value <= 1200:
        return value
    width = getattr(img, "width", 2480)
    return max(100.0, min(600.0, width / 8.27))  # an A4 page across the picture


def read_pdf(data: bytes, deadline: float | None, max_pages: int | None) -> Layout:
    """An image-only PDF: each page rendered and read."""
    import pdfplumber

    if not available():
        raise UnreadableAttachment("no text to read; it may be a scan (OCR is not installed here)")
    lines: list[str] = []
    found: list[Block] = []
    with pdfplumber.open(io.BytesIO(data), password="") as pdf:
        for page in pdf.pages[: min(max_pages or MAX_OCR_PAGES, MAX_OCR_PAGES)]:
            if deadline is not None and time.monotonic() > deadline:
                raise UnreadableAttachment("reading the scan took too long")
            image = page.to_image(resolution=RESOLUTION).original
            blocks = _blocks(image, RESOLUTION, deadline)
            if blocks is None:
                lines += _lines(image, deadline)
            else:
                found.extend(blocks)
    return _layout(lines, found)


def read_image(data: bytes, deadline: float | None, max_pages: int | None) -> Layout:
    """A photo or a scanned page sent as a picture (a multi-page TIFF: each page)."""
    from PIL import Image, UnidentifiedImageError

    if not available():
        raise UnreadableAttachment("a picture has no text to read (OCR is not installed here)")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 60_000_000:
                raise UnreadableAttachment("the picture is too large to read")
            lines: list[str] = []
            found: list[Block] = []
            dpi = _dpi(img)
            for n in range(min(getattr(img, "n_frames", 1), max_pages or MAX_OCR_PAGES, MAX_OCR_PAGES)):
                img.seek(n)  # a multi-page TIFF: every page, as a scanner writes them
                page = img.convert("L")
                blocks = _blocks(page, dpi, deadline)
                if blocks is None:
                    lines += _lines(page, deadline)
                else:
                    found.extend(blocks)
            return _layout(lines, found)
    except Image.DecompressionBombError as exc:  # Pillow refuses to open it at all: far past our own cap
        raise UnreadableAttachment("the picture is too large to read") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise UnreadableAttachment("the picture is damaged") from exc


def values_read(request: Request) -> tuple[str, ...]:
    """One warning naming every value that OCR gave the request, so whoever reads the
    request knows which of its fields to check against the scan."""
    parts = []
    if request.children:
        parts.append(f"{len(request.children)} child(ren)'s names, dates of birth and IDs")
    for label, who in (("the social worker", request.social_worker.name), ("the team manager", request.team_manager.name),
                       ("the service manager", request.service_manager.name)):
        if who:
            parts.append(label)
    if request.team_manager.signed or request.service_manager.signed:
        parts.append("the signatures")
    if request.panel_date_asked:
        parts.append("the panel date")
    if request.costs.weekly is not None or request.costs.total is not None:
        parts.append("the costs")
    if request.request:
        parts.append("the request")
    if not parts:
        return ()
    return ("values read by OCR, to check against the scan: " + ", ".join(parts),)


_NAME_NOISE = re.compile(r"[^\w\s'’\-]|(?<!\w)['’\-]|['’\-](?!\w)")
_INNER_STROKE = re.compile(r"(?<=[^\W\d_])[!|1](?=[^\W\d_])|(?<=[^\W\d_]{2})[!|1](?![\w!|])")  # "Examp!e", "Nei|"
_FIRST_STROKE = re.compile(r"(?<![\w!|])[!|1](?=[^\W\d_]{2})")  # "|sla"


def tidy_names(request: Request) -> Request:
    """A speck on a scan reads as a full stop or a quote mark inside a name ("Daisy.Sample’"),
    and an l or a capital I as "!", "|" or "1" ("Examp!e", "|sla"): in a child's name read by
    OCR, a tall stroke starting a word of letters is an I, one among or after letters an l,
    and anything else but letters, spaces and inner apostrophes and hyphens is a space."""
    def tidy(name: str) -> str:
        return " ".join(_NAME_NOISE.sub(" ", _INNER_STROKE.sub("l", _FIRST_STROKE.sub("I", name))).split()) or name

    children = tuple(replace(c, name=tidy(c.name)) if c.name else c for c in request.children)
    return replace(request, children=children)
