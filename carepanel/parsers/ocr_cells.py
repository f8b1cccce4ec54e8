"""Dates and IDs in a scanned table's cells read again, each cell on its own.

Read with the whole page, a date or an ID in a narrow cell picks up what lies near it: a speck
becomes a full stop, a hyphen or a ``©`` ("03/03/2.\\n©020"), and an ID broken over two lines
("LCS900\\n101") loses its second half to a stray hyphen.  So a table cell whose page reading
looks like a date or an ID is cropped from the cleaned page and read again by Tesseract on its
own, allowed only the characters such a value has (``tessedit_char_whitelist``), and the new
reading replaces the old one only where it has the shape of the value: a real day-first date,
or letters then digits.  Where the page reading was already such a value and the two disagree,
a third reading (the cell enlarged and binarised) decides by majority.

The cell's words keep their positions (the crop's own word boxes, moved to the page), so the
table and its columns come out as before; only the cell's text changes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .pdf_fast import FastPage, _in
from .values import parse_date

MAX_CELLS = 40  # a page: a form's dates and IDs, not a spreadsheet of them
INSET = 3.0  # points kept off the cell's rules, whose remains read as "|" or "_"


@dataclass(frozen=True)
class Shape:
    """What a value of one kind looks like: before reading (loosely, as the page read it),
    after reading (exactly), and the characters it is written with.  ``confirm``: read the
    cell again even where the page's reading, its specks taken out, has the value's shape
    (a date's digits are worth a second look; an ID alone in its cell reads worse than in
    its line: Tesseract, given only "LCS900", reads a word)."""

    kind: str
    looks_like: Callable[[str], bool]
    is_value: Callable[[str], bool]
    allowed: str
    confirm: bool


_DATE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})")
_ID = re.compile(r"[A-Z]{1,5}\d{3,12}")


def _looks_like_date(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    return 4 <= digits and letters <= 2 and len(text) <= 14 and sum(text.count(sep) for sep in "/.-") >= 2


def _is_date(text: str) -> bool:
    return _DATE.fullmatch(text) is not None and parse_date(text) is not None


_ID_LIKE = re.compile(r"[\W_]{0,2}[A-Za-z]{1,5}[\W_]{0,2}\d[\d\W_]{2,16}")


def _looks_like_id(text: str) -> bool:
    """Letters then digits, specks and all ("_LCS900-101"); an amount or a phone number
    is not one."""
    return _ID_LIKE.fullmatch(text) is not None and sum(ch.isdigit() for ch in text) >= 3


def _is_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


DATE = Shape("date", _looks_like_date, _is_date, "0123456789/.-", confirm=True)
ID = Shape("id", _looks_like_id, _is_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", confirm=False)
SHAPES = (DATE, ID)

Box = tuple[float, float, float, float]
CellReader = Callable[[Box, str, bool], list[dict[str, Any]]]


def reread_cells(page: FastPage, read_cell: CellReader) -> FastPage:
    """``page`` with its table cells' dates and IDs made right where they can be.

    ``read_cell(box, allowed, enlarged)``: Tesseract's words inside ``box`` (points) of the
    cleaned page, read with only the ``allowed`` characters, as page characters; ``enlarged``:
    the other way of reading it (the crop enlarged and binarised), for a casting vote."""
    chars = list(page.chars)
    done = 0
    for table in page.find_tables():
        for box in table.cells:
            inside = [c for c in chars if _in(c, box)]
            before = _squash(inside)
            shape = next((s for s in SHAPES if before and s.looks_like(before)), None)
            if shape is None or done >= MAX_CELLS:
                continue
            done += 1
            words = _value(shape, _only(inside, shape.allowed), box, read_cell)
            if words is not None and _squash(words) != before:
                kept = [c for c in chars if not any(c is i for i in inside)]
                chars = kept + [{**w, "n": len(page.chars) + 1000 * done + i} for i, w in enumerate(words)]
    return FastPage(page.width, page.height, chars, page.edges, page.images)


def _value(shape: Shape, tidied: list[dict[str, Any]], box: Box, read_cell: CellReader) -> list[dict[str, Any]] | None:
    """The cell's words once they have the value's shape; ``None`` where no reading has it."""
    page_reading = _squash(tidied)
    if shape.is_value(page_reading) and not shape.confirm:
        return tidied
    inner = (box[0] + INSET, box[1] + INSET, box[2] - INSET, box[3] - INSET)
    if inner[2] <= inner[0] or inner[3] <= inner[1]:
        return tidied if shape.is_value(page_reading) else None
    words = read_cell(inner, shape.allowed, False)
    again = _squash(words)
    if not shape.is_value(page_reading):
        return words if shape.is_value(again) else None
    if not shape.is_value(again) or again == page_reading:
        return tidied
    third = _squash(read_cell(inner, shape.allowed, True))  # two readings of the value, different: a third decides
    return words if third == again else tidied


def _only(chars: list[dict[str, Any]], allowed: str) -> list[dict[str, Any]]:
    """The page's reading with every character the value cannot have taken out (a speck's
    ``.``, ``_``, ``©``, a hyphen at a line's end); words left empty dropped."""
    out = []
    for c in chars:
        text = "".join(ch for ch in str(c["text"]).upper() if ch in allowed)
        if text or not str(c["text"]).strip():
            out.append({**c, "text": text or c["text"]})
    return out


def _squash(chars: list[dict[str, Any]]) -> str:
    return "".join("".join(str(c["text"]).split()) for c in sorted(chars, key=lambda c: c["n"]))
