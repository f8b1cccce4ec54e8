"""A scanned or photographed page read field by field: OCR words with their positions
(Tesseract's TSV) placed in the table cells the page's ruling lines draw.

    straighten  a phone photo's page found and its perspective undone; a page under 270 dpi
                enlarged to 300; skew (a page fed crooked, up to a few degrees) measured by
                the page's row sums (projection profile) and undone
    rules       horizontal and vertical ruling lines, by morphology (OpenCV), bridged over
                the breaks a speck makes
    clean       a 3x3 median takes out speckle, which Tesseract reads as punctuation
    words       Tesseract's words and boxes, read with the rules whited out
    cells       a table cell that reads like a date or an ID made right (``ocr_cells``)
    layout      the words as characters and the rules as edges of a ``pdf_fast.FastPage``:
                pdfplumber's own table finder and line grouping make the tables and lines,
                so ``forms.py`` reads a scan as it reads a PDF

OpenCV (Apache-2.0) does the image work; no table-detection library is used because the
page already goes through pdfplumber's table finder once its rules are edges (img2table, the
maintained one, would add polars and its own OCR wrappers for the same cells).
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import UnreadableAttachment
from .layout import Block
from .ocr_cells import reread_cells
from .pdf_fast import FastPage

POINTS = 72.0
READ_DPI = 300.0
MAX_SKEW = 3.0  # degrees: a page fed crooked; past this it is a photo, unwarped first
GAP = 0.05  # inches: a break in a rule (a speck of white) bridged
STRIPS = 40  # upright strips of the page whose row sums are shifted to try an angle


def page_blocks(image: Any, dpi: float, deadline: float | None) -> list[tuple[bool, Block]]:
    """The page's blocks (``pdf_reader._page_blocks``' shape) from a PIL image."""
    import cv2
    import numpy as np

    from .pdf_reader import _page_blocks

    gray = np.array(image.convert("L"))
    gray = _unwarp(gray, cv2, np)
    if dpi < READ_DPI * 0.9:  # Tesseract reads best with capitals 20-30 pixels high: 10-point type at 300 dpi
        gray = cv2.resize(gray, None, fx=READ_DPI / dpi, fy=READ_DPI / dpi, interpolation=cv2.INTER_CUBIC)
        dpi = READ_DPI
    gray = _deskew(gray, cv2, np)
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    h_mask, v_mask = _rules(binary, dpi, cv2, np)  # before the median, which thins a hairline rule
    gray = cv2.medianBlur(gray, 3)  # speckle: a dot a pixel or two across, read as punctuation or a letter
    scale = POINTS / dpi
    edges = _edges(h_mask, "h", scale, cv2) + _edges(v_mask, "v", scale, cv2)
    clean = gray.copy()
    clean[cv2.dilate(h_mask | v_mask, np.ones((5, 5), np.uint8)) > 0] = 255  # words read without the rules
    chars = _words(clean, scale, deadline)
    height, width = gray.shape
    page = FastPage(width * scale, height * scale, chars, edges, [])

    def read_cell(box: tuple[float, float, float, float], allowed: str, enlarged: bool) -> list[dict[str, Any]]:
        return _cell_words(clean, box, scale, allowed, enlarged, deadline, cv2)

    return _page_blocks(reread_cells(page, read_cell))


def _cell_words(clean: Any, box: tuple[float, float, float, float], scale: float, allowed: str, enlarged: bool,
                deadline: float | None, cv2: Any) -> list[dict[str, Any]]:
    """One table cell read on its own with only ``allowed`` characters (``ocr_cells``), its words
    placed on the page.  ``enlarged``: twice the size and black and white by Otsu's threshold,
    a second opinion that sees the strokes differently."""
    x0, top, x1, bottom = (round(v / scale) for v in box)
    crop = clean[max(0, top):bottom, max(0, x0):x1]
    if crop.shape[0] < 4 or crop.shape[1] < 4:
        return []
    factor = 1.0
    if enlarged:
        factor = 2.0
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        crop = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    pad = int(10 * factor)  # Tesseract finds text lines best with a margin round them
    crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    step = scale / factor
    return _words(crop, step, deadline, config=f"--psm 6 -c tessedit_char_whitelist={allowed}",
                  origin=(max(0, x0) * scale - pad * step, max(0, top) * scale - pad * step))


def _unwarp(gray: Any, cv2: Any, np: Any) -> Any:
    """A photo of a page on a desk: the page's four corners taken to a flat rectangle."""
    h, w = gray.shape
    small = cv2.resize(gray, (w // 4, h // 4))
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return gray
    page = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(page)
    if area < 0.3 * small.size or area > 0.97 * small.size:
        return gray  # no page on a background: a scan, or a photo filled by the page
    quad = cv2.approxPolyDP(page, 0.02 * cv2.arcLength(page, True), True)
    if len(quad) != 4:
        return gray
    pts = quad.reshape(4, 2).astype("float32") * 4
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    tl, br, tr, bl = pts[np.argmin(s)], pts[np.argmax(s)], pts[np.argmin(d)], pts[np.argmax(d)]
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype="float32")
    matrix = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], dtype="float32"), target)
    return cv2.warpPerspective(gray, matrix, (width, height), borderValue=255)


def _deskew(gray: Any, cv2: Any, np: Any) -> Any:
    """The page turned level again: the angle whose rows of ink are most sharply separated
    (the ruling lines and text lines line up with the rows), undone."""
    angle = _skew(gray, cv2, np)
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _skew(gray: Any, cv2: Any, np: Any) -> float:
    """The page's skew in degrees (within ``MAX_SKEW``), by projection profile: the page's ink,
    at about 150 dpi, summed along rows tilted by each candidate angle; the angle with the
    peakiest row sums is the one its ruling lines and text lines run at.  The page is cut into
    narrow upright strips whose row sums are shifted, not turned (a shear: at a few degrees the
    same as a turn), so each angle costs a few array shifts: a coarse search, then a fine one.

    Hand-written (a few lines of NumPy): the ``deskew`` package does this through
    scikit-image's Hough transform, a large dependency for it; OpenCV's ``HoughLinesP`` on the
    full page took 8 s a page here, and turning the page for each angle 1.5 s a scan."""
    h, w = gray.shape
    factor = min(1.0, 1200 / w)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    cuts = np.linspace(0, ink.shape[1], STRIPS + 1).astype(int)
    profiles = [ink[:, a:b].sum(axis=1) for a, b in zip(cuts[:-1], cuts[1:])]
    offsets = (cuts[:-1] + cuts[1:]) / 2 - ink.shape[1] / 2
    rows = np.arange(ink.shape[0], dtype=np.float64)

    def peakiness(angle: float) -> float:
        slope = np.tan(np.radians(angle))
        total = sum(np.interp(rows + x * slope, rows, p, left=0.0, right=0.0) for x, p in zip(offsets, profiles))
        return float(np.square(total).sum())

    level = peakiness(0.0)
    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.1), key=peakiness)
    best = float(max(np.arange(coarse - 0.1, coarse + 0.101, 0.01), key=peakiness))
    return best if peakiness(best) > level * 1.0001 else 0.0


def _rules(binary: Any, dpi: float, cv2: Any, np: Any) -> tuple[Any, Any]:
    """Ruling lines: dark runs longer than any letter (a fifth of an inch, about 14 points:
    a capital of 14-point type is 10, a table row at least 15).

    A hairline rule scanned crooked and put level again is a staircase of steps a pixel
    apart, and a speck of noise can cut it: each run is thickened across by a pixel either
    side (the steps join), runs a fifth of an inch long are kept, and those in line with a
    gap of ``GAP`` between them joined, before a horizontal rule's length is asked for (no
    letter is a fifth of an inch long, so no baseline of text is joined into a rule)."""
    reach = max(15, int(dpi * 0.2))
    gap = max(3, int(dpi * GAP))
    out = []
    # (thickened across, a piece, the bridge, a whole rule): a table's row may be only a
    # fifth of an inch high, so a vertical rule need be no longer
    for across, piece, bridge, whole in (((3, 1), (reach, 1), (1, gap), (reach * 2, 1)),
                                         ((1, 3), (1, reach), (gap, 1), (1, reach))):
        thick = cv2.dilate(binary, np.ones(across, np.uint8))
        pieces = cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, piece))
        joined = cv2.morphologyEx(pieces, cv2.MORPH_CLOSE, np.ones(bridge, np.uint8))
        out.append(cv2.morphologyEx(joined, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, whole)))
    return out[0], out[1]


def _edges(mask: Any, orientation: str, scale: float, cv2: Any) -> list[dict[str, Any]]:
    from .pdf_fast import _edge

    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if orientation == "h":
            out.append(_edge("h", (y + h / 2) * scale, x * scale, (x + w) * scale))
        else:
            out.append(_edge("v", (x + w / 2) * scale, y * scale, (y + h) * scale))
    return out


def _words(gray: Any, scale: float, deadline: float | None, config: str = "--psm 6",
           origin: tuple[float, float] = (0.0, 0.0)) -> list[dict[str, Any]]:
    """Tesseract's words as pdfplumber characters, a space between words of one line;
    ``origin``: where the image's top left corner sits on the page, in points."""
    import pytesseract  # type: ignore[import-untyped]

    remaining = None if deadline is None else max(1.0, deadline - time.monotonic())
    try:
        data = pytesseract.image_to_data(_uncompressed(gray), lang="eng", config=config, output_type=pytesseract.Output.DICT,
                                         timeout=remaining or 0)
    except RuntimeError as exc:
        raise UnreadableAttachment("reading the scan took too long") from exc
    except (OSError, pytesseract.TesseractError) as exc:
        raise UnreadableAttachment("the scan could not be read") from exc
    lines: dict[tuple[int, int, int], list[tuple[float, float, float, float, str]]] = {}
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text or float(data["conf"][i]) < 0:
            continue
        x, y, w, h = (data[k][i] * scale for k in ("left", "top", "width", "height"))
        x, y = x + origin[0], y + origin[1]
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append((x, x + w, y, y + h, text))
    out: list[dict[str, Any]] = []
    for words in sorted(lines.values(), key=lambda ws: (min(w[2] for w in ws), min(w[0] for w in ws))):
        # one box height for the whole line, so its words group as one line whatever their letters
        top, bottom = min(w[2] for w in words), max(w[3] for w in words)
        size = max(bottom - top, 1.0)
        base = {"top": top, "bottom": bottom, "doctop": top, "height": size, "upright": True, "size": size,
                "object_type": "char"}
        for x0, x1, _, _, text in sorted(words):
            out.append({**base, "text": text, "x0": x0, "x1": x1, "width": x1 - x0, "n": len(out)})
            out.append({**base, "text": " ", "x0": x1, "x1": x1 + 0.5, "width": 0.5, "n": len(out)})
    return out


def _uncompressed(gray: Any) -> Any:
    """The page as a picture pytesseract hands Tesseract as an uncompressed BMP: it writes a
    PNG by default, and compressing a 300-dpi page took longer than some pages' reading."""
    from PIL import Image

    image = Image.fromarray(gray)
    image.format = "BMP"  # pytesseract writes its temporary file in the picture's own format
    return image
