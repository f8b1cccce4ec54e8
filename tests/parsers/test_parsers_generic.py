"""The generic reader (no council's template) and the Word reader's details."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from carepanel.errors import NotARequestForm
from carepanel.parsers import docx_reader
from carepanel.parsers.layout import Table

from formfill import Read
from formfill import limits, profiles, read  # noqa: F401  (fixtures)
from formfill import BEXLEY_TEMPLATE, BX_QUESTIONS, NS_CHILDREN, NS_TEMPLATE, NS_TOP, Form, bexley_ticks


def word(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    if table:
        t = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_label_colon_lines(read: Read) -> None:
    data = word("Referral to the resource panel", "Child's name: Lily Test", "Date of birth: 2nd March 2014",
                "LCS number: 123456", "Request to panel: funding of £200 per week for a nursery place",
                "Social worker: Sam Worker", "Team manager: Terry Manager")
    request = read("referral.docx", data)
    assert request.form is None
    assert [(c.name, c.dob, c.child_id, c.age) for c in request.children] == [("Lily Test", date(2014, 3, 2), "123456", 12)]
    assert request.request == "funding of £200 per week for a nursery place"
    assert request.request_types == ("expenditure",)
    assert request.costs.weekly == 200.0
    assert (request.social_worker.name, request.team_manager.name) == ("Sam Worker", "Terry Manager")


def test_two_column_table(read: Read) -> None:
    data = word(table=[["Name of child", "Jay Test"], ["DOB", "01/01/2015"], ["ICS ID", "998877"],
                       ["What is the request", "Agreement to accommodate under s20"], ["Summary", "Mother unwell."]])
    request = read("form.docx", data, "swindon")
    assert [(c.name, c.child_id) for c in request.children] == [("Jay Test", "998877")]
    assert request.request_types == ("s20",)
    assert request.summary == "Mother unwell."
    assert request.missing == ("social_worker.name", "team_manager.name", "costs")


def test_children_table_with_parents(read: Read) -> None:
    data = word("Request: agreement to issue care proceedings",
                table=[["Name", "DOB", "LCS number", "Relationship"], ["Ann Test", "2.3.14", "LCS 111", "Self"],
                       ["Bob Test", "5.6.85", "LCS 112", "Father"], ["Cat Test", "", "", "Mother"]])
    request = read("form.docx", data)
    assert [c.name for c in request.children] == ["Ann Test"]
    assert request.request_types == ("care_proceedings",)


def test_plain_text_form(read: Read) -> None:
    data = b"Child's name: Max Test\nDOB: 02/03/2014\nRequest to panel: respite for Max, who is disabled\n"
    request = read("form.txt", data)
    assert request.source.format == "text"
    assert request.request_types == ("respite_disability",)


@pytest.mark.parametrize("paragraphs", [
    ("Minutes of the team meeting", "Present: everyone", "Actions: none"),
    ("Request: more stationery",),  # a request but nothing else a form says
    (),
])
def test_documents_that_are_not_forms(paragraphs: tuple[str, ...], read: Read) -> None:
    with pytest.raises(NotARequestForm):
        read("notes.docx", word(*paragraphs))


def test_council_form_recognised_without_its_title(read: Read) -> None:
    f = Form(NS_TEMPLATE)
    f.doc.tables[0].cell(0, 0).text = ""
    f.put(NS_CHILDREN, 2, 0, "Pat Test")
    assert read("form.docx", f.bytes()).form == "north-somerset"


def test_merged_cells_appear_once() -> None:
    layout = docx_reader.read(NS_TEMPLATE.read_bytes())
    heading = layout.tables[NS_CHILDREN].rows[0]
    assert len(heading) == 1 and heading[0].span == 8
    signatures: Table = layout.tables[8]
    assert [c.text for c in signatures.rows[0]] == ["Social Worker", "", "Team Manager"]
    assert [c.col for c in signatures.rows[0]] == [0, 2, 3]


def test_content_control_text_is_read(read: Read) -> None:
    f = Form(NS_TEMPLATE)
    cell = f.cell(NS_TOP, 1, 1)
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr><w:date/></w:sdtPr><w:sdtContent>"
        "<w:p><w:r><w:t>25/11/2026</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    )
    cell._tc.remove(cell.paragraphs[0]._p)
    cell._tc.append(sdt)
    f.put(NS_CHILDREN, 2, 0, "Pat Test")
    assert read("form.docx", f.bytes()).panel_date_asked == date(2026, 11, 25)


def test_struck_through_word_counts_as_deleted(read: Read) -> None:
    f = Form(BEXLEY_TEMPLATE)
    run = f.cell(BX_QUESTIONS, 0, 1).paragraphs[0].runs[0]
    run.text = "Yes ☐   "
    struck = f.cell(BX_QUESTIONS, 0, 1).paragraphs[0].add_run("No ☐")
    struck.font.strike = True
    request = read("form.docx", f.bytes(), "bexley")
    assert request.field("Has a family network meeting already taken place?") == "Yes ☐"
    assert "family_network_meeting" not in request.missing


def test_wingdings_tick_box_is_read(read: Read) -> None:
    f = Form(BEXLEY_TEMPLATE)
    paragraph = f.cell(BX_QUESTIONS, 1, 1).paragraphs[0]
    paragraph.runs[0].text = "Yes "
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>'))
    paragraph.add_run("  No ☐")
    request = read("form.docx", f.bytes(), "bexley")
    assert request.field("Is there a safety plan already in place for the child(ren)?") == "Yes ☒  No ☐"


def test_bexley_form_sent_to_another_panel_is_still_bexleys(read: Read) -> None:
    request = read("form.docx", bexley_ticks(), "swindon")
    assert request.form == "bexley"
    assert request.missing == ()


def test_head_of_service_stands_in_for_the_service_manager(read: Read) -> None:
    data = word("Child's name: Lily Test", "Request to panel: agreement to S20", "Head of service: Hana Senior")
    request = read("form.docx", data)
    assert request.service_manager.name == "Hana Senior"
    assert request.service_manager.signed is False
