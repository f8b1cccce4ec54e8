"""children.py: who on a form is a child, their IDs, and tables broken across PDF pages."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import date

import pytest
from reportlab.pdfgen import canvas

from carepanel.config import Limits
from carepanel.profiles import Profile
from carepanel.errors import UnreadableAttachment
from carepanel.parsers import pdf_reader, read_request
from carepanel.parsers.children import build_children, normalise_id, read_children
from carepanel.parsers.layout import Cell, Layout, Paragraph, Table

from formfill import Read
from formfill import limits, profiles, read  # noqa: F401  (fixtures)

TODAY = date(2026, 11, 20)


def names(rows: list[dict[str, str | None]]) -> list[str | None]:
    return [c.name for c in build_children(rows, TODAY).children]


@pytest.mark.parametrize("row,kept", [
    ({"name": "Amy Test", "dob": "02/03/2014"}, True),
    ({"name": "Jane Test (Mother)", "dob": "05/06/1990"}, False),  # marked and adult
    ({"name": "Jane Test (Mother)"}, False),  # marked, no legal status
    ({"name": "Mother: Jane Test", "legal_status": "N/A"}, False),
    ({"name": "Dad - John Test", "plan": "-"}, False),
    ({"name": "Jo Test", "relationship": "Stepfather"}, False),
    ({"name": "Ruby Test (mum)", "dob": "14/01/2010", "legal_status": "CIC"}, True),  # a looked-after teenage mother
    ({"name": "Sam Test", "age": "19"}, True),  # a care leaver: never left out by age (Rules v2)
    ({"name": "Sam Test", "dob": "1.1.2004"}, True),  # 22: care leavers are 0-25
    ({"name": "Sam Test", "dob": "EDD 01/03/2027"}, True),  # unborn
    ({"name": "Parents"}, False),
    ({"name": "Sam Test", "legal_status": "Mother"}, False),
    ({"name": "Sam Test", "legal_status": "N/A - parent"}, False),
    ({"name": "Sam Test", "legal_status": "CIN, lives with mother"}, True),
    ({"name": "Unborn baby of Jane Test (mother)", "dob": "EDD 01/03/2027"}, True),
])
def test_who_is_a_child(row: dict[str, str | None], kept: bool) -> None:
    assert bool(names([row])) is kept


@pytest.mark.parametrize("name,child_name,child_id", [
    ("Amelia Hart (LCS123456)", "Amelia Hart", "LCS123456"),
    ("Amelia Hart (LCS: 123456)", "Amelia Hart", "LCS123456"),
    ("Amelia Hart - LCS 123456", "Amelia Hart", "LCS123456"),
    ("Amelia Hart LCS123456", "Amelia Hart", "LCS123456"),
    ("Amelia Hart (123456)", "Amelia Hart", "123456"),
    ("Amelia Hart, ICS no. 98765", "Amelia Hart", "ICS98765"),
    ("Amelia Hart", "Amelia Hart", None),
])
def test_id_written_beside_the_name(name: str, child_name: str, child_id: str | None) -> None:
    child = build_children([{"name": name}], TODAY).children[0]
    assert (child.name, child.child_id) == (child_name, child_id)


def test_id_column_wins_and_is_normalised() -> None:
    child = build_children([{"name": "A Test (LCS1111)", "child_id": "LCS 2222"}], TODAY).children[0]
    assert child.child_id == "LCS2222"
    assert normalise_id("Mosaic ID: 4455") == "MOSAIC4455"
    assert normalise_id("A-77") == "A-77"


def test_rows_of_two_tables_merge_by_name() -> None:
    kids = build_children([{"name": "Amy Test (LCS1001)", "dob": "2.3.14"},
                           {"name": "Amy Test", "ethnicity": "White British", "disability": "None"}], TODAY).children
    assert [(c.name, c.child_id, c.ethnicity, c.disability) for c in kids] == [("Amy Test", "LCS1001", "White British", None)]


def test_unreadable_date_of_birth_is_warned() -> None:
    result = build_children([{"name": "Amy Test", "dob": "spring 2014"}], TODAY)
    assert result.children[0].dob is None
    assert result.warnings == ("1 child(ren)'s date of birth could not be read as a date",)


def _row(*texts: str) -> tuple[Cell, ...]:
    return tuple(Cell(t, i) for i, t in enumerate(texts))


def test_pdf_children_table_carried_over_to_the_next_page() -> None:
    spec = [{"columns": {"Name": "name", "DOB": "dob", "Child ID": "child_id"}, "min_columns": 2}]
    first = Table((_row("Name", "DOB", "Child ID"), _row("Amy Test", "2.3.14", "LCS1")))
    carried = Table((_row("Ben Test", "2.3.16", "LCS2"),))
    layout = Layout("pdf", (first, carried))
    assert [c.child_id for c in read_children(layout, spec, TODAY).children] == ["LCS1", "LCS2"]
    apart = Layout("pdf", (first, Paragraph("Home address"), carried))
    assert [c.child_id for c in read_children(apart, spec, TODAY).children] == ["LCS1"]
    word = Layout("docx", (first, carried))
    assert [c.child_id for c in read_children(word, spec, TODAY).children] == ["LCS1"]


def test_pdf_reading_stops_at_the_deadline(limits: Limits, profiles: dict[str, Profile]) -> None:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Child's name: Amy Test")
    page.save()
    with pytest.raises(UnreadableAttachment, match="too long"):
        pdf_reader.read(out.getvalue(), deadline=time.monotonic() - 1)
    with pytest.raises(UnreadableAttachment, match="too long"):
        read_request("form.pdf", out.getvalue(), profile=profiles["north-somerset"],
                     limits=replace(limits, parse_timeout_seconds=-1), today=TODAY)


def test_a_children_table_joined_to_the_next_part_of_the_form_ends_there() -> None:
    # As LibreOffice saves a form whose tables touched: one table, on one grid.
    heading = ("Name", "DOB", "Child ID")
    rows = (
        (Cell("Details of all children", 0, 6),),
        tuple(Cell(h, 2 * i, 2) for i, h in enumerate(heading)),
        (Cell("Amy Test", 0, 2), Cell("01/01/2015", 2, 2), Cell("LCS1001", 4, 2)),
        (Cell("Ben Test", 0, 2), Cell("02/02/2016", 2, 4)),  # cells merged across: still a child
        (Cell("Home address", 0, 6),),  # the next part of the form, across the whole width
        (Cell("1 Example Road", 0, 6),),
        (Cell("Type of placement", 0, 2), Cell("None", 2, 4)),
        (Cell("Signature", 0, 1), Cell("S Worker", 1, 5)),
    )
    spec = [{"columns": {"Name": "name", "DOB": "dob", "Child ID": "child_id"}, "min_columns": 2}]
    found = read_children(Layout("docx", (Table(rows),)), spec, date(2026, 11, 20))
    assert [c.name for c in found.children] == ["Amy Test", "Ben Test"]


def test_a_pdf_children_heading_ruled_coarser_than_its_rows_keeps_them_all() -> None:
    rows = (
        (Cell("Name", 0, 1), Cell("DOB", 1, 1), Cell("Child ID", 2, 2)),  # two heading cells run together
        (Cell("Amy Test", 0, 1), Cell("01/01/2015", 1, 1), Cell("LCS1001", 2, 1), Cell("", 3, 1)),
        (Cell("Ben Test", 0, 1), Cell("02/02/2016", 1, 1), Cell("LCS1002", 2, 1), Cell("", 3, 1)),
    )
    spec = [{"columns": {"Name": "name", "DOB": "dob", "Child ID": "child_id"}, "min_columns": 2}]
    found = read_children(Layout("pdf", (Table(rows),)), spec, date(2026, 11, 20))
    assert [(c.name, c.child_id) for c in found.children] == [("Amy Test", "LCS1001"), ("Ben Test", "LCS1002")]
