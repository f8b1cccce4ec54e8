"""A text PDF's pages through pypdfium2 (PDFium, in C), shaped as pdfplumber pages.

pdfplumber reads a page by interpreting its content stream in Python (pdfminer): about 140 ms
for a three-page form before any table is found.  PDFium gives the same characters with their
boxes, and the ruling lines, in a few milliseconds.  ``FastPage`` hands them to pdfplumber's own
table finder (``TableFinder``: edges, intersections, cells) and text-line grouping
(``chars_to_textmap``), so the tables and lines come out as ``pdf_reader`` has always read them;
only the parsing of the file is PDFium's.

Used only where it is sure to agree: a page whose drawings are not all straight rules or
rectangles (curves, shading, nested form XObjects), a page whose text is not upright, or any
error, returns ``None`` and the caller reads the file with pdfplumber as before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

RULE = 3.0  # points: a drawn path thinner than this, one way, is a ruling line


class NotSimple(Exception):
    """The page has something the fast path does not model: read it with pdfplumber."""


@dataclass
class FastPage:
    """What ``pdf_reader._page_blocks`` asks of a pdfplumber page, and no more."""

    width: float
    height: float
    chars: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    images: list[dict[str, Any]]
    rects: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    curves: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    def find_tables(self) -> list[Any]:
        from pdfplumber.table import TableFinder

        return [_FastTable(self, t.cells) for t in TableFinder(self, {}).tables]  # type: ignore[arg-type]

    def filter(self, test: Callable[[dict[str, Any]], bool]) -> FastPage:
        return FastPage(self.width, self.height, [c for c in self.chars if test(c)], self.edges, self.images)

    def extract_text_lines(self, return_chars: bool = False) -> list[dict[str, Any]]:
        from pdfplumber.utils import chars_to_textmap

        if not self.chars:
            return []
        textmap = chars_to_textmap(self.chars, layout_bbox=self.bbox, layout_width=self.width, layout_height=self.height)
        return textmap.extract_text_lines(strip=True, return_chars=return_chars)  # type: ignore[no-any-return]


def _table_class() -> type:
    from pdfplumber import utils
    from pdfplumber.table import Table

    class FastTable(Table):  # type: ignore[misc]
        """pdfplumber's ``Table.extract`` tests every character against every row (most of a
        form's reading time); the same test, on the characters whose middle falls in the row's
        height only, found by bisection.  Same cells, same text."""

        def extract(self, **kwargs: Any) -> list[list[str | None]]:
            chars = sorted(self.page.chars, key=_v_mid)
            mids = [_v_mid(c) for c in chars]
            out: list[list[str | None]] = []
            for row in self.rows:
                x0, top, x1, bottom = row.bbox
                band = chars[bisect_left(mids, top):bisect_left(mids, bottom)]
                row_chars = [c for c in band if x0 <= (c["x0"] + c["x1"]) / 2 < x1]
                cells: list[str | None] = []
                for cell in row.cells:
                    if cell is None:
                        cells.append(None)
                        continue
                    inside = [c for c in row_chars if _in(c, cell)]
                    cells.append(utils.extract_text(sorted(inside, key=_order), **kwargs) if inside else "")
                out.append(cells)
            return out

    return FastTable


def _v_mid(c: dict[str, Any]) -> float:
    return (c["top"] + c["bottom"]) / 2  # type: ignore[no-any-return]


def _order(c: dict[str, Any]) -> int:
    return c["n"]  # type: ignore[no-any-return]


def _in(c: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    h, v = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    return box[0] <= h < box[2] and box[1] <= v < box[3]


def _FastTable(page: FastPage, cells: list[Any]) -> Any:  # noqa: N802 - a class made on first use
    global _FAST_TABLE
    if _FAST_TABLE is None:
        _FAST_TABLE = _table_class()
    return _FAST_TABLE(page, cells)


_FAST_TABLE: type | None = None


def pages(data: bytes, max_pages: int | None = None) -> Iterator[FastPage]:
    """Each page as a ``FastPage``; raises ``NotSimple`` (or PDFium's own error) to say "use
    pdfplumber"."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(data)
    try:
        if raw.FPDF_GetFormType(pdf.raw) not in (raw.FORMTYPE_NONE, -1):
            raise NotSimple("a fillable form")
        doctop = 0.0
        for n in range(min(len(pdf), max_pages) if max_pages is not None else len(pdf)):
            page = pdf[n]
            try:
                width, height = page.get_size()
                if page.get_rotation() % 360:
                    raise NotSimple("a rotated page")
                edges, images, marks = _drawings(page, height, raw)
                chars = _chars(page, height, doctop)
                yield FastPage(width, height, chars, edges, images, rects=marks)
                doctop += height
            finally:
                page.close()
    finally:
        pdf.close()


def _chars(page: Any, height: float, doctop: float) -> list[dict[str, Any]]:
    """Each printed character, boxed as pdfplumber boxes it (PDFium's own boxes follow each
    glyph's shape, so a full stop would leave its line: here every glyph of a font size gets
    one box height, from the baseline, as pdfminer gives it)."""
    import ctypes

    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    tp = textpage.raw
    x, y, rect = ctypes.c_double(), ctypes.c_double(), raw.FS_RECTF()
    px, py, prect = ctypes.byref(x), ctypes.byref(y), ctypes.byref(rect)
    unicode, generated, angle = raw.FPDFText_GetUnicode, raw.FPDFText_IsGenerated, raw.FPDFText_GetCharAngle
    box, origin, font_size = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetCharOrigin, raw.FPDFText_GetFontSize
    try:
        out: list[dict[str, Any]] = []
        last_y = None
        for i in range(textpage.count_chars()):
            code = unicode(tp, i)
            if code in (0, 10, 13, 0xFFFE) or generated(tp, i) == 1:
                continue
            if code == 2:  # PDFium's mark for a hyphen at a line's end: the hyphen printed
                code = 0x2D
            origin(tp, i, px, py)
            if y.value != last_y:  # a new line, or a run that climbs: rotated text is not modelled
                if angle(tp, i) not in (0.0, -1.0):
                    raise NotSimple("text that is not upright")
                last_y = y.value
            box(tp, i, prect)
            size = font_size(tp, i) or 10.0
            bottom = height - y.value + 0.2 * size
            top = bottom - size
            out.append({"text": chr(code), "x0": rect.left, "x1": rect.right, "top": top, "bottom": bottom,
                        "doctop": doctop + top, "width": rect.right - rect.left, "height": size,
                        "upright": True, "size": size, "object_type": "char", "n": len(out)})
        return out
    finally:
        textpage.close()


def _drawings(page: Any, height: float, raw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Ruling lines as pdfplumber edges, pictures as boxes, and whether anything is drawn."""
    edges: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for obj in page.get_objects(max_depth=0):
        kind = obj.type
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            continue
        left, bottom, right, top = obj.get_bounds()
        box = {"x0": left, "x1": right, "top": height - top, "bottom": height - bottom}
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            images.append(box)
            marks.append(box)
            continue
        if kind != raw.FPDF_PAGEOBJ_PATH:
            raise NotSimple("shading or a form XObject")
        marks.append(box)
        segments = raw.FPDFPath_CountSegments(obj.raw)
        w, h = right - left, top - bottom
        if w < RULE and h < RULE:
            continue  # a dot: pdfplumber's edges too short to matter
        if w < RULE:  # a vertical rule, drawn as a line or a thin rectangle
            edges.append(_edge("v", (left + right) / 2, height - top, height - bottom))
        elif h < RULE:
            edges.append(_edge("h", height - (top + bottom) / 2, left, right))
        elif segments in (4, 5) and _is_rectangle(obj, raw):
            y0, y1 = height - top, height - bottom
            edges += [_edge("h", y0, left, right), _edge("h", y1, left, right),
                      _edge("v", left, y0, y1), _edge("v", right, y0, y1)]
        else:
            raise NotSimple("a curve or a shape")
    return edges, images, marks


def _is_rectangle(obj: Any, raw: Any) -> bool:
    for i in range(raw.FPDFPath_CountSegments(obj.raw)):
        seg = raw.FPDFPath_GetPathSegment(obj.raw, i)
        if raw.FPDFPathSegment_GetType(seg) == raw.FPDF_SEGMENT_BEZIERTO:
            return False
    return True


def _edge(orientation: str, at: float, start: float, end: float) -> dict[str, Any]:
    if orientation == "v":
        return {"x0": at, "x1": at, "top": start, "bottom": end, "width": 0.0, "height": end - start,
                "orientation": "v", "object_type": "line"}
    return {"x0": start, "x1": end, "top": at, "bottom": at, "width": end - start, "height": 0.0,
            "orientation": "h", "object_type": "line"}
