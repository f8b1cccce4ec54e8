"""What a scan's page reading gets wrong in a table cell, made right: specks in a date or an
ID taken out, a date read again on its own and kept only where it is a real date, two
disagreeing readings settled by a third; an OCR'd name's l read as "!"; a crooked page's
skew measured.  No Tesseract here: the cell reader is a stand-in that says what it was asked."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from carepanel.models import Child, Request
from carepanel.parsers.ocr import tidy_names
from carepanel.parsers.ocr_cells import reread_cells
from carepanel.parsers.pdf_fast import FastPage, _edge
from carepanel.parsers.pdf_reader import _page_blocks
from carepanel.parsers.layout import Table

COLUMNS = (0.0, 100.0, 200.0, 300.0)  # a row of three ruled cells, points
TOP, BOTTOM = 100.0, 140.0


def chars(col: int, lines: list[str], start: int = 0) -> list[dict[str, Any]]:
    """Words in cell ``col``, one line each, as ``ocr_layout._words`` places them."""
    out: list[dict[str, Any]] = []
    for i, word in enumerate(lines):
        top = TOP + 4 + 14 * i
        base = {"top": top, "bottom": top + 10, "doctop": top, "height": 10.0, "size": 10.0, "upright": True,
                "object_type": "char"}
        x0 = COLUMNS[col] + 5
        out.append({**base, "text": word, "x0": x0, "x1": x0 + 60, "width": 60.0, "n": start + 2 * i})
        out.append({**base, "text": " ", "x0": x0 + 60, "x1": x0 + 60.5, "width": 0.5, "n": start + 2 * i + 1})
    return out


def page(cells: list[list[str]]) -> FastPage:
    edges = [_edge("h", y, COLUMNS[0], COLUMNS[-1]) for y in (TOP, BOTTOM)]
    edges += [_edge("v", x, TOP, BOTTOM) for x in COLUMNS]
    found = [c for col, lines in enumerate(cells) for c in chars(col, lines, start=100 * col)]
    return FastPage(400.0, 300.0, found, edges, [])


class Reader:
    """Tesseract on a cell, played back: what each reading of a cell gives."""

    def __init__(self, first: list[str] | None = None, enlarged: list[str] | None = None) -> None:
        self.answers = {False: first, True: enlarged}
        self.asked: list[tuple[str, bool]] = []

    def __call__(self, box: tuple[float, float, float, float], allowed: str, enlarged: bool) -> list[dict[str, Any]]:
        self.asked.append((allowed, enlarged))
        col = next(i for i, x in enumerate(COLUMNS) if x <= (box[0] + box[2]) / 2 < COLUMNS[i + 1])
        return chars(col, self.answers[enlarged] or [])


def texts(p: FastPage) -> list[str]:
    [(_, table)] = [(m, b) for m, b in _page_blocks(p) if isinstance(b, Table)]
    return [cell.text for cell in table.rows[0]]


def test_an_id_broken_over_two_lines_loses_the_speck_not_its_second_half() -> None:
    # before: "LCS900-\n101" read as the ID "LCS900" (the hyphen ended it); "_LCS900202" kept its underscore
    reader = Reader()
    fixed = reread_cells(page([["Poppy"], ["LCS900-", "101"], ["_LCS900202"]]), reader)
    assert texts(fixed) == ["Poppy", "LCS900\n101", "LCS900202"]
    assert reader.asked == []  # an ID made right from the page's own reading is not read alone


def test_a_date_spoilt_by_specks_is_read_again_and_kept_only_if_it_is_a_date() -> None:
    reader = Reader(first=["03/03/2", "020"])
    fixed = reread_cells(page([["Noah"], ["03/03/2.", "©020"], ["£1,250.00"]]), reader)
    assert texts(fixed) == ["Noah", "03/03/2\n020", "£1,250.00"]
    assert reader.asked == [("0123456789/.-", False)]  # the amount is not taken for a date

    not_a_date = Reader(first=["33/13/2", "020"])
    assert texts(reread_cells(page([["Noah"], ["03/03/2.", "©020"], [""]]), not_a_date))[1] == "03/03/2.\n©020"


@pytest.mark.parametrize(("enlarged", "kept"), [("14/05/2012", "14/05/2012"), ("14/06/2012", "14/06/2012"),
                                                ("14/08/2012", "14/05/2012")])
def test_two_readings_of_a_date_that_disagree_are_settled_by_a_third(enlarged: str, kept: str) -> None:
    reader = Reader(first=["14/06/2012"], enlarged=[enlarged])
    fixed = reread_cells(page([["Poppy"], ["14/05/2012"], ["CIN"]]), reader)
    assert texts(fixed)[1] == kept  # no majority: the page's reading stands
    assert [e for _, e in reader.asked] == [False, True]


def test_an_ocr_names_tall_strokes_are_letters() -> None:
    names = ["Poppy Examp!e", "|sla Nei|", "Daisy.Sample’", "Mary-Jane O’Neil", "Child 1"]
    req = replace(Request(source=None, form="x"), children=tuple(replace(Child(), name=n) for n in names))  # type: ignore[arg-type]
    assert [c.name for c in tidy_names(req).children] == [
        "Poppy Example", "Isla Neil", "Daisy Sample", "Mary-Jane O’Neil", "Child 1"]


@pytest.mark.parametrize("angle", [-1.0, 0.4, 0.8])
def test_a_crooked_pages_skew_is_measured(angle: float) -> None:
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    from carepanel.parsers.ocr_layout import _skew

    img = np.full((1650, 1275), 255, np.uint8)
    for y in range(150, 1500, 120):  # a ruled table and lines of "text"
        cv2.line(img, (100, y), (1175, y), 0, 2)
        for x in range(130, 1100, 90):
            cv2.rectangle(img, (x, y + 30), (x + 60, y + 50), 0, -1)
    turned = cv2.warpAffine(img, cv2.getRotationMatrix2D((637, 825), angle, 1.0), (1275, 1650), borderValue=255)
    assert _skew(turned, cv2, np) == pytest.approx(-angle, abs=0.06)


def test_a_hairline_rule_cut_by_a_speck_is_found_whole_and_text_is_no_rule() -> None:
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    from carepanel.parsers.ocr_layout import _rules

    binary = np.zeros((600, 1200), np.uint8)
    binary[300, 100:1100] = 255  # a rule a pixel high, a step down a pixel from x=600 (put level again)
    binary[301, 600:1100] = 255
    binary[299:302, 170:173] = 0  # a speck of white cuts it 70 pixels from the table's edge
    binary[100:500, 100] = binary[100:500, 1100] = 255
    for x in range(200, 1000, 9):  # a line of text's serifs along its baseline, 3 pixels apart
        binary[450, x:x + 6] = 255
    horizontal, _ = _rules(binary, 300.0, cv2, np)
    found = [cv2.boundingRect(c) for c in cv2.findContours(horizontal, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]]
    [(x, y, w, h)] = found  # one rule, and the baseline is none
    assert x <= 102 and x + w >= 1098 and 298 <= y <= 302
