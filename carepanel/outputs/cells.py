"""Spreadsheet cells that stay text: no formula from an emailed form reaches a finance officer.

A child ID or a resource name is copied from a form a stranger could have written; opened in
Excel or LibreOffice, a CSV or XLSX cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return may run as a formula (``=HYPERLINK(...)`` leaking data, DDE running commands).
Following OWASP's advice on CSV injection, such a text cell gets a leading apostrophe, which
the spreadsheet shows as text and does not display.  Numbers the program computed (costs,
weeks) stay numbers: they are not text anyone wrote.  Every CSV and XLSX the program writes
goes through ``csv_rows`` or ``xlsx_append``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """``value``, with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_cell(value: Any) -> Any:
    """A cell's value: numbers as they are, ``None`` as empty, anything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    return safe_text(str(value))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([safe_text(h) for h in header])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def xlsx_append(ws: Any, row: Sequence[Any]) -> None:
    """Append a row to an openpyxl worksheet with every text cell typed as a string.

    openpyxl itself turns any string starting with ``=`` into a formula; setting the type to
    ``s`` after assignment keeps it text, and the apostrophe keeps it text once re-saved by Excel.
    """
    cells = [safe_cell(v) for v in row]
    ws.append(cells)
    for cell, value in zip(ws[ws.max_row], cells, strict=False):
        if isinstance(value, str):
            cell.value = value
            cell.data_type = "s"
