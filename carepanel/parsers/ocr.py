"""Scans and photos of a form: text by OCR (Tesseract through pytesseract), as plain lines.

Only when a PDF has no text layer, or the attachment is a picture.  What OCR reads is never
trusted as typed text is: the request carries a warning that an administrator should check it,
and OCR runs inside the sandboxed reader with the same deadline as any other reading.
"""

from __future__ import annotations

import io
import shutil
import time

from ..errors import UnreadableAttachment
from .layout import Layout, Paragraph

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


def _layout(lines: list[str]) -> Layout:
    if not lines:
        raise UnreadableAttachment("no text could be read from the scan")
    return Layout("ocr", tuple(Paragraph(line) for line in lines))


def read_pdf(data: bytes, deadline: float | None, max_pages: int | None) -> Layout:
    """An image-only PDF: each page rendered and read."""
    import pdfplumber

    if not available():
        raise UnreadableAttachment("no text to read; it may be a scan (OCR is not installed here)")
    lines: list[str] = []
    with pdfplumber.open(io.BytesIO(data), password="") as pdf:
        for page in pdf.pages[: min(max_pages or MAX_OCR_PAGES, MAX_OCR_PAGES)]:
            if deadline is not None and time.monotonic() > deadline:
                raise UnreadableAttachment("reading the scan took too long")
            lines += _lines(page.to_image(resolution=RESOLUTION).original, deadline)
    return _layout(lines)


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
            for n in range(min(getattr(img, "n_frames", 1), max_pages or MAX_OCR_PAGES, MAX_OCR_PAGES)):
                img.seek(n)  # a multi-page TIFF: every page, as a scanner writes them
                lines += _lines(img.convert("L"), deadline)
            return _layout(lines)
    except Image.DecompressionBombError as exc:  # Pillow refuses to open it at all: far past our own cap
        raise UnreadableAttachment("the picture is too large to read") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise UnreadableAttachment("the picture is damaged") from exc
