"""The councils' real blank forms filled in with what modern and old Word puts in the XML.

python-docx's ``cell.text`` skips content controls silently, and knows nothing of legacy form
fields, Word 2010 tick boxes or tracked changes; these helpers write each of them into the
real templates with lxml, as Word writes them, so the tests can say what a person reading
the form in Word would read.  Each builder returns the form's bytes; ``WORD_VARIANTS`` pairs
them with the request they must give (checked with ``formfill.check``).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from copy import deepcopy
from datetime import date
from itertools import pairwise

import docx
from docx.oxml.ns import qn
from docx.table import _Cell
from formfill import (
    BEXLEY_TEMPLATE,
    BX_CHILDREN,
    BX_COSTS,
    BX_QUESTIONS,
    BX_RECOMMEND,
    BX_SUMMARY,
    BX_WORKER,
    NS_CHILDREN,
    NS_EHC,
    NS_REQUEST,
    NS_SIGN,
    NS_TEMPLATE,
    NS_TOP,
    Form,
    Variant,
    bx_children,
    bx_signatures,
    ns_child,
    ns_request,
    ns_signatures,
    ns_summary,
    ns_value_cells,
)
from lxml import etree

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
PLACEHOLDER = "Click or tap here to enter text."
EMPTY_FORMTEXT = "\u2002" * 5  # what Word shows in a text form field nobody typed into


def el(tag: str, attrs: dict[str, str] | None = None, *children: etree._Element, text: str | None = None) -> etree._Element:
    """A WordprocessingML element; ``tag`` like ``w:r`` or ``w14:checkbox``."""
    name = f"{{{W14}}}{tag[4:]}" if tag.startswith("w14:") else qn(tag)
    node = etree.Element(name, nsmap={"w14": W14} if tag.startswith("w14:") else None)
    for k, v in (attrs or {}).items():
        node.set(f"{{{W14}}}{k[4:]}" if k.startswith("w14:") else qn(k), v)
    node.extend(children)
    if text is not None:
        node.text = text
        if text != text.strip():
            node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return node


def run(text: str) -> etree._Element:
    return el("w:r", None, el("w:t", text=text))


def para(*children: etree._Element) -> etree._Element:
    return el("w:p", None, *children)


def sdt(content: list[etree._Element], *props: etree._Element, placeholder: bool = False) -> etree._Element:
    pr = el("w:sdtPr", None, el("w:id", {"w:val": "1"}), *props)
    if placeholder:
        pr.append(el("w:showingPlcHdr"))
    return el("w:sdt", None, pr, el("w:sdtContent", None, *content))


def first_p(cell: _Cell) -> etree._Element:
    return cell._tc.findall(qn("w:p"))[0]


# --------------------------------------------------------------------------- content controls


def block_control(cell: _Cell, text: str, placeholder: bool = False) -> None:
    """A rich-text content control around a paragraph of the cell (block-level ``w:sdt``)."""
    p = first_p(cell)
    p.addprevious(sdt([para(run(PLACEHOLDER if placeholder else text))], el("w:alias", {"w:val": "Answer"}),
                      placeholder=placeholder))
    p.getparent().remove(p)


def run_control(cell: _Cell, text: str, *props: etree._Element, placeholder: bool = False) -> None:
    """A plain-text content control inside the cell's paragraph (run-level ``w:sdt``)."""
    first_p(cell).append(sdt([run(PLACEHOLDER if placeholder else text)], el("w:text"), *props, placeholder=placeholder))


def cell_control(cell: _Cell, text: str) -> None:
    """A content control around the whole cell (cell-level ``w:sdt`` inside the row)."""
    tc = cell._tc
    first_p(cell).append(run(text))
    holder = sdt([])
    tc.addprevious(holder)
    holder.find(qn("w:sdtContent")).append(tc)


def rows_control(f: Form, table: int, first: int, last: int) -> None:
    """A repeating-section content control around table rows (row-level ``w:sdt``)."""
    rows = [f.doc.tables[table].rows[i]._tr for i in range(first, last + 1)]
    holder = sdt([])
    rows[0].addprevious(holder)
    holder.find(qn("w:sdtContent")).extend(rows)


def date_control(cell: _Cell, shown: str, iso: str) -> None:
    run_control(cell, shown, el("w:date", {"w:fullDate": f"{iso}T00:00:00Z"}, el("w:dateFormat", {"w:val": "d MMMM yyyy"})))


# --------------------------------------------------------------------------- legacy form fields


def _field(ff: etree._Element, code: str, result: list[etree._Element]) -> list[etree._Element]:
    begin = el("w:r", None, el("w:fldChar", {"w:fldCharType": "begin"}, ff))
    instr = el("w:r", None, el("w:instrText", text=f" {code} "))
    parts = [begin, instr]
    if result:
        parts += [el("w:r", None, el("w:fldChar", {"w:fldCharType": "separate"})), *result]
    return parts + [el("w:r", None, el("w:fldChar", {"w:fldCharType": "end"}))]


def form_text(cell: _Cell, text: str | None) -> None:
    """A legacy text form field (FORMTEXT), its value in the result runs; ``None``: left as Word shows it empty."""
    ff = el("w:ffData", None, el("w:name", {"w:val": "Text1"}), el("w:enabled"), el("w:textInput"))
    first_p(cell).extend(_field(ff, "FORMTEXT", [run(EMPTY_FORMTEXT if text is None else text)]))


def form_checkbox(checked: bool | None, default: bool = False) -> list[etree._Element]:
    """A legacy check box (FORMCHECKBOX): ``w:checked`` when ticked, else ``w:default`` decides."""
    box = el("w:checkBox", None, el("w:sizeAuto"), el("w:default", {"w:val": "1" if default else "0"}))
    if checked is not None:
        box.append(el("w:checked", {"w:val": "1" if checked else "0"}))
    ff = el("w:ffData", None, el("w:name", {"w:val": "Check1"}), el("w:enabled"), box)
    return _field(ff, "FORMCHECKBOX", [])


def form_dropdown(entries: list[str], chosen: int) -> list[etree._Element]:
    ddl = el("w:ddList", None, el("w:result", {"w:val": str(chosen)}), *(el("w:listEntry", {"w:val": e}) for e in entries))
    return _field(el("w:ffData", None, el("w:name", {"w:val": "Drop1"}), el("w:enabled"), ddl), "FORMDROPDOWN", [])


def tick_box_2010(checked: bool, glyph: str | None = None, font: str = "MS Gothic") -> etree._Element:
    """A Word 2010 check box content control: its state in ``w14:checked``, its glyph in the run."""
    box = el("w14:checkbox", None, el("w14:checked", {"w14:val": "1" if checked else "0"}),
             el("w14:checkedState", {"w14:val": "2612", "w14:font": font}),
             el("w14:uncheckedState", {"w14:val": "2610", "w14:font": font}))
    return sdt([run(glyph or ("☒" if checked else "☐"))], box)


def yes_no_cell(cell: _Cell, yes: list[etree._Element], no: list[etree._Element]) -> None:
    """Replace the printed ``Yes ☐   No ☐`` with boxes of another kind."""
    p = first_p(cell)
    for r in p.findall(qn("w:r")):
        p.remove(r)
    p.extend([run("Yes "), *yes, run("   No "), *no])


# --------------------------------------------------------------------------- tracked changes, comments

_rev = iter(range(100, 10_000))


def inserted(text: str) -> etree._Element:
    return el("w:ins", {"w:id": str(next(_rev)), "w:author": "Editor", "w:date": "2026-11-18T09:00:00Z"}, run(text))


def deleted(text: str) -> etree._Element:
    r = el("w:r", None, el("w:delText", text=text))
    return el("w:del", {"w:id": str(next(_rev)), "w:author": "Editor", "w:date": "2026-11-18T09:00:00Z"}, r)


def moved_from(text: str) -> etree._Element:
    return el("w:moveFrom", {"w:id": str(next(_rev)), "w:author": "Editor", "w:date": "2026-11-18T09:00:00Z"}, run(text))


def tracked(cell: _Cell, *parts: str | etree._Element) -> None:
    """Type into the cell's first paragraph: plain strings as typed, elements as tracked changes."""
    first_p(cell).extend(run(p) if isinstance(p, str) else p for p in parts)


def delete_row_tracked(f: Form, table: int, row: int) -> None:
    tr = f.doc.tables[table].rows[row]._tr
    pr = tr.find(qn("w:trPr"))
    if pr is None:
        pr = el("w:trPr")
        tr.insert(0, pr)
    pr.append(el("w:del", {"w:id": str(next(_rev)), "w:author": "Editor", "w:date": "2026-11-18T09:00:00Z"}))


def delete_row(f: Form, table: int, row: int) -> None:
    tr = f.doc.tables[table].rows[row]._tr
    tr.getparent().remove(tr)


def add_row(f: Form, table: int, values: list[str]) -> None:
    """A row added to a full table, as people do: a copy of the last row, emptied, then typed in."""
    tbl = f.doc.tables[table]._tbl
    last = tbl.findall(qn("w:tr"))[-1]
    new = deepcopy(last)
    for t in new.iter(qn("w:t")):
        t.text = ""
    last.addnext(new)
    row = f.doc.tables[table].rows[-1]
    for cell, value in zip(row.cells, values):
        if value:
            first_p(cell).append(run(value))


# --------------------------------------------------------------------------- the forms


def ns_content_controls() -> bytes:
    f = Form(NS_TEMPLATE)
    # python-docx no longer finds a cell or row once it is inside a control: those come last
    child_name, tm_name = f.cell(NS_CHILDREN, 2, 0), f.cell(NS_SIGN, 1, 4)
    block_control(f.cell(NS_TOP, 1, 1), "25/11/2026")
    run_control(f.cell(NS_CHILDREN, 2, 1), "02/03/2014")
    run_control(f.cell(NS_CHILDREN, 2, 4), "LCS123456")
    run_control(f.cell(NS_CHILDREN, 2, 5), "CIN")
    run_control(f.cell(NS_CHILDREN, 3, 0), "Ben Hart")
    run_control(f.cell(NS_CHILDREN, 3, 1), "05/05/2016")
    run_control(f.cell(NS_CHILDREN, 3, 4), "LCS123457")
    run_control(f.cell(NS_CHILDREN, 4, 0), "", placeholder=True)  # an empty row still showing its prompt
    ns_request(f, "Agreement to accommodate Amelia and Ben under Section 20.")
    ns_summary(f, current_situation="Mother is in hospital.", what_needs_to_change="A safe place to live for now.")
    run_control(f.cell(NS_SIGN, 1, 1), "Sam Worker")
    run_control(f.cell(NS_SIGN, 2, 1), "", placeholder=True)
    run_control(f.cell(NS_SIGN, 3, 4), "T Manager")
    date_control(f.cell(NS_SIGN, 4, 4), "18 November 2026", "2026-11-18")
    rows_control(f, NS_CHILDREN, 2, 4)  # the children's rows as a repeating section
    cell_control(child_name, "Amelia Hart")
    cell_control(tm_name, "Terry Manager")
    return f.bytes()


def ns_legacy_fields() -> bytes:
    f = Form(NS_TEMPLATE)
    form_text(f.cell(NS_TOP, 1, 1), "02/12/2026")
    form_text(f.cell(NS_CHILDREN, 2, 0), "Oscar Reed")
    form_text(f.cell(NS_CHILDREN, 2, 1), "2nd March 2014")
    form_text(f.cell(NS_CHILDREN, 2, 4), "LCS 222333")
    form_text(f.cell(NS_CHILDREN, 2, 5), None)  # a field nobody filled in
    ehc = f.cell(NS_EHC, 0, 1)
    p = first_p(ehc)
    for r in p.findall(qn("w:r")):
        p.remove(r)
    p.extend(form_dropdown(["Choose", "Yes", "No"], 2))
    ns_request(f, "Agreement to initiate care proceedings (Section 31).")
    ns_summary(f, current_situation="Neglect continues.", what_needs_to_change="Safe care at home.")
    form_text(f.cell(NS_SIGN, 1, 1), "Alex Case")
    form_text(f.cell(NS_SIGN, 2, 1), None)
    form_text(f.cell(NS_SIGN, 1, 4), "Morgan Lead")
    form_text(f.cell(NS_SIGN, 3, 4), "Morgan Lead")
    form_text(f.cell(NS_SIGN, 4, 4), "19.11.26")
    return f.bytes()


def _bexley_base(f: Form) -> None:
    f.put(BX_WORKER, 1, 0, "Robin Practitioner").put(BX_WORKER, 1, 1, "Children Looked After")
    bx_children(f, ("Kai Hill (LCS123456)", "08/02/2011", "15"))
    f.put(BX_SUMMARY, 1, 0, "Kai's foster placement ended after missing episodes.")
    f.put(BX_RECOMMEND, 1, 0, "Approval of a residential placement for Kai.")
    f.put(BX_COSTS, 1, 0, "£4,200 per week; £218,400 in total for 52 weeks.")
    bx_signatures(f, ("Robin Practitioner", "R Practitioner", "17/11/2026"), ("Casey Supervisor", "C Supervisor", "17/11/2026"),
                  ("Jordan Senior", "J Senior", "18/11/2026"))


def bexley_legacy_boxes() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    _bexley_base(f)
    # ticked by the user (w:checked), and one whose default is ticked and never changed
    yes_no_cell(f.cell(BX_QUESTIONS, 0, 1), form_checkbox(True), form_checkbox(False))
    yes_no_cell(f.cell(BX_QUESTIONS, 1, 1), form_checkbox(None), form_checkbox(None, default=True))
    return f.bytes()


def bexley_w14_boxes() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    _bexley_base(f)
    # a tick drawn as Wingdings "þ" (as Word writes a custom checked symbol): the state decides
    yes_no_cell(f.cell(BX_QUESTIONS, 0, 1), [tick_box_2010(True, glyph="þ", font="Wingdings")], [tick_box_2010(False)])
    yes_no_cell(f.cell(BX_QUESTIONS, 1, 1), [tick_box_2010(False)], [tick_box_2010(True)])
    return f.bytes()


def ns_tracked_changes() -> bytes:
    f = Form(NS_TEMPLATE)
    tracked(f.cell(NS_TOP, 1, 1), deleted("18/11/2026"), inserted("25/11/2026"))
    tracked(f.cell(NS_CHILDREN, 2, 0), "Amelia ", deleted("Harte"), inserted("Hart"))
    tracked(f.cell(NS_CHILDREN, 2, 1), "02/03/2014")
    tracked(f.cell(NS_CHILDREN, 2, 4), deleted("LCS111111"), inserted("LCS123456"))
    tracked(f.cell(NS_CHILDREN, 3, 0), "Wrong Child")  # a row deleted with changes tracked
    tracked(f.cell(NS_CHILDREN, 3, 4), "LCS000000")
    delete_row_tracked(f, NS_CHILDREN, 3)
    request = f.cell(NS_REQUEST, 1, 0)
    p = request.paragraphs[0]._p
    p.extend([run("Agreement to accommodate Amelia under Section "), deleted("31"), inserted("20"),
              moved_from(" with in-house foster carers"), run(".")])
    ns_summary(f, current_situation="Mother is in hospital.", what_needs_to_change="A safe place to live for now.")
    ns_signatures(f, ("Sam Worker", "CIN Team 2", "", ""), None)
    tracked(f.cell(NS_SIGN, 1, 4), inserted("Terry Manager"))
    tracked(f.cell(NS_SIGN, 3, 4), "T Manager")
    tracked(f.cell(NS_SIGN, 4, 4), "18/11/2026")
    # Reviewers' comments, with words that would be read as answers if they were text.
    f.doc.add_comment(f.cell(NS_CHILDREN, 2, 0).paragraphs[0].runs, text="Child ID: LCS999999 per Terry Manager",
                      author="Reviewer", initials="RV")
    f.doc.add_comment(f.cell(NS_REQUEST, 1, 0).paragraphs[0].runs, text="Date presented to Panel: 01/01/2027",
                      author="Reviewer", initials="RV")
    return f.bytes()


def ns_merged_cells() -> bytes:
    f = Form(NS_TEMPLATE)
    f.put(NS_TOP, 1, 1, "25/11/2026")
    ns_child(f, 2, "Ava Stone", "2nd March 2014", "", "Female", "LCS300001", "CIN", "", "")
    ns_child(f, 3, "Ben Stone", "02/03/2016", "", "Male", "LCS300002", "CIN", "", "CIN Y")
    # siblings' ethnicity typed once in a cell merged down both rows (w:vMerge) ...
    f.cell(NS_CHILDREN, 2, 6).merge(f.cell(NS_CHILDREN, 3, 6)).paragraphs[0].add_run("Black British")
    # ... and the first child's ethnicity and plan columns merged across (w:gridSpan)
    f.cell(NS_CHILDREN, 4, 0).paragraphs[0].add_run("Cara Stone")
    f.put(NS_CHILDREN, 4, 1, "2.3.18").put(NS_CHILDREN, 4, 4, "LCS300003")
    f.cell(NS_CHILDREN, 4, 6).merge(f.cell(NS_CHILDREN, 4, 7)).paragraphs[0].add_run("White British")
    ns_request(f, "Agreement to enter pre-proceedings (PLO).")
    ns_summary(f, current_situation="Ongoing neglect.", what_needs_to_change="Home conditions.")
    # the Social Worker's two value cells merged across the gap column
    f.cell(NS_SIGN, 1, 1).merge(f.cell(NS_SIGN, 1, 2)).paragraphs[0].add_run("Sam Worker")
    ns_signatures(f, (None, "Team 1", "", ""), ("Terry Manager", "Team 1", "T Manager", "18/11/2026"))  # type: ignore[arg-type]
    return f.bytes()


def ns_rows_deleted_and_added() -> bytes:
    f = Form(NS_TEMPLATE)
    f.put(NS_TOP, 1, 1, "02/12/2026")
    delete_row(f, NS_TOP, 2)  # "If this case has previously been presented" removed
    for _ in range(3):
        delete_row(f, NS_CHILDREN, 3)  # the empty children's rows removed
    ns_child(f, 2, "Finn Ward", "12/12/2012", "13", "Male", "LCS555666", "S20", "White British", "CIC Y")
    add_row(f, NS_CHILDREN, ["Gus Ward", "01/06/2015", "", "Male", "LCS555667", "S20", "White British", "CIC Y"])
    add_row(f, NS_CHILDREN, ["Hana Ward", "9/9/2019", "", "Female", "LCS555668", "S20", "White British", "CIC Y"])
    delete_row(f, NS_SIGN, 2)  # the Team row removed from the signatures
    ns_request(f, "Agreement to a residential placement out of area.")
    ns_summary(f, current_situation="Foster placement ended.", what_needs_to_change="A stable home.")
    for row, value in ((1, "Sam Worker"), (3, "18/11/2026")):
        f.put(NS_SIGN, row, 1, value)
    for row, value in ((1, "Terry Manager"), (2, "T Manager"), (3, "18/11/2026")):
        f.put(NS_SIGN, row, 4, value)
    return f.bytes()


def bexley_several_children() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    f.put(BX_WORKER, 1, 0, "Drew Assessor")
    rows = [("Maya Lane (LCS 654321)", "21st June 2018", ""), ("Zac Lane (LCS 654322)", "3.9.20", ""),
            ("Ivy Lane (LCS 654323)", "1/1/2022", "4")]
    table_rows = len(f.doc.tables[BX_CHILDREN].rows) - 1
    bx_children(f, *rows[:table_rows])
    for extra in rows[table_rows:]:
        add_row(f, BX_CHILDREN, list(extra))
    f.replace(BX_QUESTIONS, 0, 1, "Yes ☐", "Yes ☒").replace(BX_QUESTIONS, 1, 1, "No ☐", "No ☒")
    f.put(BX_SUMMARY, 1, 0, "Father is a single carer working shifts.")
    f.put(BX_RECOMMEND, 1, 0, "Funding for after-school childcare for all three.")
    f.put(BX_COSTS, 1, 0, "Weekly: £95\nTotal: £4,940")
    bx_signatures(f, ("Drew Assessor", "", ""), ("Quinn Overseer", "<picture>", "18th November 2026"), ("Avery Director", "", ""))
    return f.bytes()


BEXLEY_SIGNED = {
    "form": "bexley", "children.name": ["Kai Hill"], "children.child_id": ["LCS123456"],
    "social_worker": ("Robin Practitioner", "Children Looked After"),
    "team_manager": ("Casey Supervisor", True, date(2026, 11, 17)),
    "service_manager": ("Jordan Senior", True, date(2026, 11, 18)), "costs": (4200.0, 218400.0),
}
YES_NO = ("Has a family network meeting already taken place?", "Is there a safety plan already in place for the child(ren)?")

WORD_VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("ns_content_controls", ns_content_controls, "north-somerset", expect={
        "form": "north-somerset", "children.name": ["Amelia Hart", "Ben Hart"],
        "children.dob": [date(2014, 3, 2), date(2016, 5, 5)], "children.child_id": ["LCS123456", "LCS123457"],
        "children.legal_status": ["CIN", None],
        "request": "Agreement to accommodate Amelia and Ben under Section 20.", "request_types": ("s20",),
        "social_worker": ("Sam Worker", None),  # the Team control still shows its placeholder: nothing typed
        "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "panel_date_asked": date(2026, 11, 25), "missing": [],
    }),
    Variant("ns_legacy_fields", ns_legacy_fields, "north-somerset", expect={
        "form": "north-somerset", "children.name": ["Oscar Reed"], "children.dob": [date(2014, 3, 2)],
        "children.child_id": ["LCS222333"], "children.legal_status": [None], "field:EHC plan?": "No",
        "request_types": ("care_proceedings",), "social_worker": ("Alex Case", None),
        "team_manager": ("Morgan Lead", True, date(2026, 11, 19)), "panel_date_asked": date(2026, 12, 2), "missing": [],
    }),
    Variant("bexley_legacy_boxes", bexley_legacy_boxes, "bexley", expect={
        **BEXLEY_SIGNED, "yes_no": {YES_NO[0]: True, YES_NO[1]: False}, "missing": [],
    }),
    Variant("bexley_w14_boxes", bexley_w14_boxes, "bexley", expect={
        **BEXLEY_SIGNED, "yes_no": {YES_NO[0]: True, YES_NO[1]: False}, "missing": [],
    }),
    Variant("ns_tracked_changes", ns_tracked_changes, "north-somerset", expect={
        "form": "north-somerset", "children.name": ["Amelia Hart"], "children.child_id": ["LCS123456"],
        "request": "Agreement to accommodate Amelia under Section 20.", "request_types": ("s20",),
        "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "panel_date_asked": date(2026, 11, 25), "missing": [],
    }),
    Variant("ns_merged_cells", ns_merged_cells, "north-somerset", expect={
        "children.name": ["Ava Stone", "Ben Stone", "Cara Stone"], "children.child_id": ["LCS300001", "LCS300002", "LCS300003"],
        "children.ethnicity": ["Black British", "Black British", "White British"], "children.plan": [None, "CIN Y", None],
        "children.dob": [date(2014, 3, 2), date(2016, 3, 2), date(2018, 3, 2)],
        "social_worker": ("Sam Worker", "Team 1"), "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "request_types": ("pre_proceedings",), "missing": [],
    }),
    Variant("ns_rows_deleted_and_added", ns_rows_deleted_and_added, "north-somerset", expect={
        "children.name": ["Finn Ward", "Gus Ward", "Hana Ward"], "children.age": [13, 11, 7],
        "children.child_id": ["LCS555666", "LCS555667", "LCS555668"],
        "social_worker": ("Sam Worker", None), "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "request_types": ("external_placement",), "panel_date_asked": date(2026, 12, 2), "missing": [],
    }),
    Variant("bexley_several_children", bexley_several_children, "bexley", expect={
        "form": "bexley", "children.name": ["Maya Lane", "Zac Lane", "Ivy Lane"],
        "children.child_id": ["LCS654321", "LCS654322", "LCS654323"], "children.age": [8, 6, 4],
        "request_types": ("expenditure",), "costs": (95.0, 4940.0),
        "team_manager": ("Quinn Overseer", True, date(2026, 11, 18)),
        "yes_no": {YES_NO[0]: True, YES_NO[1]: False}, "missing": [],
    }),
)}


# --------------------------------------------------------------------------- hostile XML


def with_document_xml(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """The .docx with its ``word/document.xml`` rewritten by ``edit`` (the rest as it was)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info.filename, edit(body) if info.filename == "word/document.xml" else body)
    return out.getvalue()


def _with_doctype(xml: bytes, doctype: str, reference: str, answer: str = "Amelia Hart") -> bytes:
    head, _, rest = xml.partition(b"?>")
    assert answer.encode() in rest
    return head + b"?>" + doctype.encode() + rest.replace(answer.encode(), f"Amelia Hart {reference}".encode(), 1)


def xxe_docx(secret_path: str) -> bytes:
    """The filled form with an external entity naming a local file, used in the child's name."""
    doctype = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
    return with_document_xml(ns_value_cells(), lambda xml: _with_doctype(xml, doctype, "&xxe;"))


def billion_laughs_docx() -> bytes:
    """Entities nested ten deep: expanded, one reference would be a thousand million "lol"s."""
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE w:document [" + "".join(ents) + "]>"
    return with_document_xml(ns_value_cells(), lambda xml: _with_doctype(xml, doctype, "&lol9;"))


def huge_document_docx(megabytes: int = 400) -> bytes:
    """A form whose document.xml expands to ``megabytes`` of blank paragraphs (small on the wire)."""
    pad = b"<w:p/>" * (megabytes * 1024 * 1024 // 6)
    return with_document_xml(ns_value_cells(), lambda xml: xml.replace(b"</w:body>", pad + b"</w:body>", 1))


# --------------------------------------------------------------------------- tables joined as LibreOffice joins them


def joined_like_libreoffice(data: bytes) -> bytes:
    """The .docx with the blank lines between its tables deleted, which in Word joins the
    tables into one, and each run of touching tables made one table on a common grid, as
    LibreOffice saves such a form again (.odt, .doc or .docx) -- without needing LibreOffice.

    Every table's column edges are placed by its ``w:gridCol`` widths; the joined table's grid
    has every edge of every table, and each cell spans the grid columns between its own edges.
    """
    doc = docx.Document(io.BytesIO(data))
    body = doc.element.body
    runs: list[list[etree._Element]] = []
    touching = False
    blanks: list[etree._Element] = []  # empty paragraphs between tables: deleted, as in Word, which joins them
    for child in list(body):
        if child.tag == qn("w:tbl"):
            if touching:
                runs[-1].append(child)
                for p in blanks:
                    body.remove(p)
            else:
                runs.append([child])
            touching, blanks = True, []
        elif touching and child.tag == qn("w:p") and not "".join(child.itertext()).strip() \
                and child.find(f".//{qn('w:sectPr')}") is None:
            blanks.append(child)
        else:
            touching, blanks = False, []
    for tables in (r for r in runs if len(r) > 1):
        edges_of = [_grid_edges(t) for t in tables]
        width = max(e[-1] for e in edges_of)
        scaled = [[round(x * width / e[-1]) for x in e] for e in edges_of]  # each table across the full width
        grid = sorted({x for e in scaled for x in e})
        first = tables[0]
        old_grid = first.find(qn("w:tblGrid"))
        new_grid = el("w:tblGrid", None, *(el("w:gridCol", {"w:w": str(b - a)}) for a, b in pairwise(grid)))
        old_grid.addprevious(new_grid)
        first.remove(old_grid)
        for table, edges in zip(tables, scaled):
            borders = _borders(table)
            for tr in _within_controls(table, "w:tr"):
                if borders is not None and tr.find(qn("w:tblPrEx")) is None:
                    # each row keeps its own table's ruling, as Word keeps it when tables join
                    tr.insert(0, el("w:tblPrEx", None, deepcopy(borders)))
                col = _val(tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}"), 0)
                for tc in _within_controls(tr, "w:tc"):
                    pr = tc.find(qn("w:tcPr"))
                    if pr is None:
                        pr = el("w:tcPr")
                        tc.insert(0, pr)
                    span = _val(pr.find(qn("w:gridSpan")), 1)
                    start, end = edges[col], edges[min(col + span, len(edges) - 1)]
                    for old in pr.findall(qn("w:gridSpan")):
                        pr.remove(old)
                    pr.insert(1 if pr.find(qn("w:tcW")) is not None else 0,
                              el("w:gridSpan", {"w:val": str(grid.index(end) - grid.index(start))}))
                    col += span
            if table is not first:
                first.extend(c for c in list(table) if c.tag in (qn("w:tr"), qn("w:sdt")))
                body.remove(table)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _borders(tbl: etree._Element) -> etree._Element | None:
    """The table's ruling: its own ``w:tblBorders``, or the single lines of the TableGrid style."""
    own = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}")
    if own is not None:
        return own
    style = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
    if style is None or style.get(qn("w:val")) != "TableGrid":
        return None
    sides = ("top", "left", "bottom", "right", "insideH", "insideV")
    return el("w:tblBorders", None, *(el(f"w:{side}", {"w:val": "single", "w:sz": "4", "w:space": "0", "w:color": "auto"})
                                       for side in sides))


def _within_controls(parent: etree._Element, tag: str) -> list[etree._Element]:
    """Direct children ``tag``, and those one content control down (a row or cell control)."""
    return parent.xpath(f"./{tag} | ./w:sdt/w:sdtContent/{tag}")  # python-docx's xpath knows the w: prefix


def _grid_edges(tbl: etree._Element) -> list[int]:
    edges = [0]
    for gc in tbl.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"):
        edges.append(edges[-1] + int(gc.get(qn("w:w"), "0") or 0))
    return edges


def _val(node: etree._Element | None, default: int) -> int:
    return default if node is None else int(node.get(qn("w:val"), default))
