"""Filling in the councils' real blank forms (``shared/forms/``) the ways people do.

Also the parser tests' fixtures (import the ones a test module uses from here: a
``conftest.py`` in this folder would shadow the one in ``tests/``, which other tests import).

Each ``Variant`` opens a blank template with python-docx, fills it in one way (answers in
the value cell, under the question, after a colon; dates as people write them; typed and
pasted signatures; parents in the children table; tick boxes and deleted words) and says
what the request read from it must hold.  The PDF tests convert some of them with
LibreOffice and expect the same key fields.

Table numbers are those of the blank templates (see ``shared/forms/README.md``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
import re
import shutil
import subprocess
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.shared import Mm
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from carepanel import parsers
from carepanel.config import Limits
from carepanel.profiles import Profile, builtin_forms, load_profile
from carepanel.parsers.values import parse_yes_no
from carepanel.models import Request
from carepanel.demo.samples import signature_png

FORMS = Path(__file__).resolve().parents[2].parent / "shared" / "forms"
NS_TEMPLATE = FORMS / "north-somerset-request-form.docx"
BEXLEY_TEMPLATE = FORMS / "bexley-referral-form.docx"
TODAY = date(2026, 11, 20)

# North Somerset tables
NS_TOP, NS_CHILDREN, NS_ADDRESS, NS_EHC, NS_REQUEST, NS_SUMMARY, NS_DURATION, NS_SIGN = 1, 2, 3, 4, 5, 6, 7, 8
# Bexley tables
BX_WORKER, BX_CHILDREN, BX_FAMILY, BX_QUESTIONS, BX_SUMMARY, BX_RECOMMEND, BX_COSTS, BX_SOS_CHILDREN, BX_SIGN = 1, 2, 3, 5, 6, 7, 10, 11, 15


class Form:
    """A blank template being filled in."""

    def __init__(self, template: Path) -> None:
        self.doc: Document = docx.Document(str(template))

    def cell(self, table: int, row: int, col: int) -> _Cell:
        return self.doc.tables[table].cell(row, col)

    def put(self, table: int, row: int, col: int, text: str) -> Form:
        """Type into a (blank) value cell; lines become paragraphs."""
        cell = self.cell(table, row, col)
        lines = text.split("\n")
        cell.paragraphs[0].add_run(lines[0])
        for line in lines[1:]:
            _paragraph_after(cell.paragraphs[-1], line)
        return self

    def under(self, table: int, row: int, col: int, text: str) -> Form:
        """Type on a new line under the question, inside the label cell."""
        cell = self.cell(table, row, col)
        for line in text.split("\n"):
            cell.add_paragraph(line)
        return self

    def after_colon(self, table: int, row: int, col: int, text: str) -> Form:
        """Type after the label, on its own line: ``Date presented to Panel: 2.12.26``."""
        paragraph = self.cell(table, row, col).paragraphs[0]
        paragraph.runs[-1].text = paragraph.runs[-1].text.rstrip(" :") + ": " + text
        return self

    def replace(self, table: int, row: int, col: int, old: str, new: str) -> Form:
        """Edit printed text in a cell (a tick box ticked, a word deleted)."""
        for paragraph in self.cell(table, row, col).paragraphs:
            for run in paragraph.runs:
                if old in run.text:
                    run.text = run.text.replace(old, new)
                    return self
        raise AssertionError(f"{old!r} not found in table {table} row {row} col {col}")

    def answer_prompt(self, table: int, row: int, col: int, prompt: str, text: str) -> Form:
        """Type into the blank line under a printed prompt inside one cell (NS summary)."""
        paragraphs = self.cell(table, row, col).paragraphs
        i = next(i for i, p in enumerate(paragraphs) if p.text.strip().startswith(prompt))
        paragraphs[i + 1].add_run(text)
        return self

    def above_prompt(self, table: int, row: int, col: int, prompt: str, text: str) -> Form:
        """Type above a printed prompt in the same cell (the NS request above "What work...")."""
        paragraphs = self.cell(table, row, col).paragraphs
        i = next(i for i, p in enumerate(paragraphs) if p.text.strip().startswith(prompt))
        target = paragraphs[i - 1] if i and not paragraphs[i - 1].text.strip() else paragraphs[i].insert_paragraph_before("")
        target.add_run(text)
        return self

    def picture(self, table: int, row: int, col: int) -> Form:
        """Paste a picture of a signature."""
        self.cell(table, row, col).paragraphs[0].add_run().add_picture(io.BytesIO(signature_png()), width=Mm(25))
        return self

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def _paragraph_after(paragraph: Paragraph, text: str) -> None:
    new = deepcopy(paragraph._p)
    for child in list(new):
        if child.tag.endswith("}r"):
            new.remove(child)
    paragraph._p.addnext(new)
    Paragraph(new, paragraph._parent).add_run(text)


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    name: str
    build: Callable[[], bytes]
    profile: str
    expect: dict[str, Any] = field(default_factory=dict)
    pdf: bool = False  # also checked after LibreOffice converts it to PDF


def ns_child(f: Form, row: int, *values: str) -> None:
    for col, value in enumerate(values):
        if value:
            f.put(NS_CHILDREN, row, col, value)


def ns_signatures(f: Form, sw: tuple[str, str, str, str] | None, tm: tuple[str, str, str, str] | None) -> None:
    for col, values in ((1, sw), (4, tm)):
        for row, value in enumerate(values or (), start=1):
            if value == "<picture>":
                f.picture(NS_SIGN, row, col)
            elif value:
                f.put(NS_SIGN, row, col, value)


def ns_summary(f: Form, **answers: str) -> None:
    prompts = {"current_situation": "Current situation", "going_well": "What is going well",
               "worried_about": "What are we worried about", "what_needs_to_change": "What needs to change",
               "other_information": "Any other relevant information", "expected_outcome": "What do you expect"}
    for key, text in answers.items():
        f.answer_prompt(NS_SUMMARY, 1, 0, prompts[key], text)


def ns_request(f: Form, request: str, work: str | None = None) -> None:
    f.above_prompt(NS_REQUEST, 1, 0, "What work has already", request)
    if work:
        f.under(NS_REQUEST, 1, 0, work)


def ns_value_cells() -> bytes:
    f = Form(NS_TEMPLATE)
    f.put(NS_TOP, 1, 1, "25/11/2026")
    ns_child(f, 2, "Amelia Hart", "02/03/2014", "12", "Female", "LCS123456", "CIN", "White British", "CIN Y")
    f.put(NS_ADDRESS, 1, 0, "1 Example Street")
    f.replace(NS_EHC, 0, 1, "Yes/No", "No")
    ns_request(f, "Agreement to accommodate Amelia under Section 20 with in-house foster carers.",
               "FGC held in October; Child & Family Centre support.")
    ns_summary(f, current_situation="Mother is in hospital.", going_well="Amelia attends school.",
               worried_about="No safe adult at home.", what_needs_to_change="A safe place to live for now.",
               other_information="Aunt being assessed.", expected_outcome="Return home within eight weeks.")
    f.put(NS_DURATION, 1, 0, "Eight weeks.")
    ns_signatures(f, ("Sam Worker", "CIN Team 2", "S Worker", "17/11/2026"), ("Terry Manager", "CIN Team 2", "T Manager", "18/11/2026"))
    return f.bytes()


def ns_under_question() -> bytes:
    f = Form(NS_TEMPLATE)
    f.under(NS_TOP, 1, 0, "2nd December 2026")
    ns_child(f, 2, "Oscar Reed", "2nd March 2014", "", "Male", "LCS 222333", "CP", "White British", "CP Y")
    f.under(NS_REQUEST, 0, 0, "Agreement to initiate care proceedings (Section 31).")
    ns_summary(f, current_situation="Neglect continues.", what_needs_to_change="Safe care at home.")
    f.under(NS_DURATION, 0, 0, "Until the final hearing.")
    ns_signatures(f, ("Alex Case", "Safeguarding 1", "", ""), ("Morgan Lead", "Safeguarding 1", "Morgan Lead", "19.11.26"))
    return f.bytes()


def ns_after_colon() -> bytes:
    f = Form(NS_TEMPLATE)
    f.after_colon(NS_TOP, 1, 0, "2.12.26")
    ns_child(f, 2, "Isla Moor", "2-3-2014", "", "Female", "LCS444555", "CIC", "White Irish", "CIC Y")
    ns_request(f, "Request funding of £250 per week for a tutor, £5,000 in total.")
    ns_summary(f, current_situation="Isla is out of school.", what_needs_to_change="A return to education.")
    for row, text in ((1, "Jo Bloggs"), (2, "CLA Team")):
        f.after_colon(NS_SIGN, row, 0, text)
    f.after_colon(NS_SIGN, 1, 3, "Pat Senior")
    f.after_colon(NS_SIGN, 3, 3, "P Senior")
    f.after_colon(NS_SIGN, 4, 3, "18 Nov 2026")
    return f.bytes()


def ns_parents_listed() -> bytes:
    f = Form(NS_TEMPLATE)
    f.put(NS_TOP, 1, 1, "25/11/2026")
    ns_child(f, 2, "Leo Hart", "02/03/2016", "", "Male", "LCS100001", "CP", "White British", "CP Y")
    ns_child(f, 3, "Jane Hart (Mother)", "05/06/1990", "36", "Female", "", "", "White British", "")
    ns_child(f, 4, "Mark Hart - Dad", "", "", "Male", "", "N/A", "", "")
    ns_child(f, 5, "Ruby Hart (mum)", "14/01/2010", "", "Female", "LCS100002", "CIC", "White British", "CIC Y")
    # a fifth row, as people add one to a full table
    row = f.doc.tables[NS_CHILDREN].add_row()
    row.cells[0].text, row.cells[1].text = "Gran Hart", "1.1.60"
    ns_request(f, "Agreement to enter pre-proceedings (PLO).")
    ns_summary(f, current_situation="Ongoing neglect.", what_needs_to_change="Home conditions.")
    ns_signatures(f, ("Sam Worker", "Team 1", "", ""), ("Terry Manager", "Team 1", "<picture>", "18/11/2026"))
    return f.bytes()


def ns_several_children() -> bytes:
    f = Form(NS_TEMPLATE)
    f.put(NS_TOP, 1, 1, "Wednesday 25th November 2026")
    ns_child(f, 2, "Ava Stone", "2nd March 2014", "", "Female", "LCS300001", "CIN", "Black British", "CIN Y")
    ns_child(f, 3, "Ben Stone", "02/03/2016", "", "Male", "LCS300002", "CIN", "Black British", "CIN Y")
    ns_child(f, 4, "Cara Stone", "2.3.18", "", "Female", "LCS300003", "CIN", "Black British", "CIN Y")
    ns_request(f, "Respite short breaks for Ben, who is autistic and has a learning disability.")
    ns_summary(f, current_situation="Carers are exhausted.", what_needs_to_change="Regular short breaks.")
    ns_signatures(f, ("Sam Worker", "Disabled Children", "", ""), ("Terry Manager", "Disabled Children", "T. Manager", "2026-11-18"))
    return f.bytes()


def ns_picture_signature() -> bytes:
    f = Form(NS_TEMPLATE)
    f.put(NS_TOP, 1, 1, "02/12/2026")
    ns_child(f, 2, "Finn Ward", "12/12/2012", "13", "Male", "LCS555666", "S20", "White British", "CIC Y")
    ns_request(f, "Agreement to a residential placement out of area.")
    ns_summary(f, current_situation="Foster placement ended.", what_needs_to_change="A stable home.")
    ns_signatures(f, ("Sam Worker", "CLA", "N/A", ""), ("Terry Manager", "CLA", "<picture>", "March 2, 2026"))
    return f.bytes()


def ns_incomplete() -> bytes:
    f = Form(NS_TEMPLATE)
    ns_child(f, 2, "Noah Park", "", "6", "Male", "", "CIN", "", "")
    ns_request(f, "Nursery funding.")
    ns_summary(f, current_situation="Needs socialisation.")
    ns_signatures(f, ("Sam Worker", "", "", ""), None)
    return f.bytes()


def bx_children(f: Form, *rows: tuple[str, str, str]) -> None:
    for r, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if value:
                f.put(BX_CHILDREN, r, col, value)


def bx_signatures(f: Form, *people: tuple[str, str, str] | None) -> None:
    for row, values in enumerate(people):
        if values is None:
            continue
        name, signature, when = values
        if name:
            f.put(BX_SIGN, row, 1, name)
        if signature == "<picture>":
            f.picture(BX_SIGN, row, 3)
        elif signature:
            f.put(BX_SIGN, row, 3, signature)
        if when:
            f.put(BX_SIGN, row, 5, when)


def bexley_ticks() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    for col, value in enumerate(("Robin Practitioner", "Children Looked After", "17/11/2026")):
        f.put(BX_WORKER, 1, col, value)
    bx_children(f, ("Kai Hill (LCS123456)", "08/02/2011", "15"))
    f.put(BX_FAMILY, 2, 0, "Kai Hill").put(BX_FAMILY, 2, 3, "Self")
    f.put(BX_FAMILY, 3, 0, "Lee Hill").put(BX_FAMILY, 3, 3, "Mother")
    f.replace(BX_QUESTIONS, 0, 1, "Yes ☐", "Yes ☒")
    f.replace(BX_QUESTIONS, 1, 1, "No ☐", "No ☒")
    f.put(BX_QUESTIONS, 3, 0, "A safety plan will be agreed at the network meeting.")
    f.put(BX_SUMMARY, 1, 0, "Kai's foster placement ended after missing episodes.")
    f.put(BX_RECOMMEND, 1, 0, "For panel on 26/11/2026: approval of a residential placement for Kai.")
    f.put(BX_COSTS, 1, 0, "£4,200 per week; £218,400 in total for 52 weeks.")
    bx_signatures(f, ("Robin Practitioner", "R Practitioner", "17/11/2026"), ("Casey Supervisor", "C Supervisor", "17/11/2026"),
                  ("Jordan Senior", "J Senior", "18/11/2026"))
    return f.bytes()


def bexley_deleted_words() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    f.put(BX_WORKER, 1, 0, "Drew Assessor")
    bx_children(f, ("Maya Lane (LCS: 654321)", "21st June 2018", ""), ("Zac Lane - LCS 654322", "3.9.20", ""))
    f.replace(BX_QUESTIONS, 0, 1, "Yes ☐   No ☐", "Yes")
    f.replace(BX_QUESTIONS, 1, 1, "Yes ☐   ", "")
    f.put(BX_SUMMARY, 1, 0, "Father is a single carer working shifts.")
    f.put(BX_RECOMMEND, 1, 0, "Funding for after-school childcare.")
    f.put(BX_COSTS, 1, 0, "Weekly: £95\nTotal: £4,940")
    bx_signatures(f, ("Drew Assessor", "", ""), ("Quinn Overseer", "<picture>", "18th November 2026"), ("Avery Director", "", ""))
    return f.bytes()


def bexley_unanswered() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    f.put(BX_WORKER, 1, 0, "Drew Assessor")
    bx_children(f, ("Eli Rowe", "01/01/2015", "11"))
    f.replace(BX_QUESTIONS, 0, 1, "Yes ☐", "Yes ☒")
    f.put(BX_RECOMMEND, 1, 0, "Agreement to Section 20 accommodation.")
    bx_signatures(f, None, ("Quinn Overseer", "", ""), None)
    return f.bytes()


def bexley_sos_details() -> bytes:
    f = Form(BEXLEY_TEMPLATE)
    f.put(BX_WORKER, 1, 0, "Robin Practitioner").put(BX_WORKER, 1, 1, "CIN 3")
    bx_children(f, ("Amy Cole (LCS700001)", "2 Mar 14", ""), ("Tom Cole (LCS700002)", "2014-03-02", ""))
    for r, values in enumerate((("Amy Cole", "02/03/2014", "White British", "None", "CIN"),
                                ("Tom Cole", "02/03/2014", "White British", "Autism", "CIN")), start=1):
        for col, value in enumerate(values):
            f.put(BX_SOS_CHILDREN, r, col, value)
    f.replace(BX_QUESTIONS, 0, 1, "Yes ☐", "Yes ☒").replace(BX_QUESTIONS, 1, 1, "Yes ☐", "Yes ☒")
    f.under(BX_SUMMARY, 0, 0, "Twins; Tom's needs have grown.")
    f.put(BX_RECOMMEND, 1, 0, "Respite for Tom, who has a disability, two nights a month.")
    f.put(BX_COSTS, 1, 0, "£300 per night, about £7,200 for the year")
    bx_signatures(f, ("Robin Practitioner", "", ""), ("Casey Supervisor", "Casey Supervisor", "19/11/2026"),
                  ("Jordan Senior", "<picture>", "19/11/2026"))
    return f.bytes()


NS_FULL_MISSING: list[str] = []

VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("ns_value_cells", ns_value_cells, "north-somerset", pdf=True, expect={
        "form": "north-somerset",
        "children.name": ["Amelia Hart"], "children.dob": [date(2014, 3, 2)], "children.age": [12],
        "children.child_id": ["LCS123456"], "children.legal_status": ["CIN"], "children.plan": ["CIN Y"],
        "request": "Agreement to accommodate Amelia under Section 20 with in-house foster carers.",
        "request_types": ("s20", "placement"),
        "field:What work has already been undertaken to support the family:": "FGC held in October; Child & Family Centre support.",
        "field:What needs to change?": "A safe place to live for now.",
        "field:What is going well?": "Amelia attends school.",
        "field:EHC plan?": "No",
        "summary_has": ["Mother is in hospital.", "Return home within eight weeks."],
        "social_worker": ("Sam Worker", "CIN Team 2"),
        "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "panel_date_asked": date(2026, 11, 25), "duration": "Eight weeks.", "missing": [],
    }),
    Variant("ns_under_question", ns_under_question, "north-somerset", expect={
        "form": "north-somerset",
        "children.name": ["Oscar Reed"], "children.dob": [date(2014, 3, 2)], "children.age": [12], "children.child_id": ["LCS222333"],
        "request": "Agreement to initiate care proceedings (Section 31).", "request_types": ("care_proceedings",),
        "team_manager": ("Morgan Lead", True, date(2026, 11, 19)),
        "social_worker": ("Alex Case", "Safeguarding 1"),
        "panel_date_asked": date(2026, 12, 2), "duration": "Until the final hearing.", "missing": [],
    }),
    Variant("ns_after_colon", ns_after_colon, "north-somerset", expect={
        "children.name": ["Isla Moor"], "children.dob": [date(2014, 3, 2)], "children.child_id": ["LCS444555"],
        "request_types": ("expenditure",), "costs": (250.0, 5000.0),
        "social_worker": ("Jo Bloggs", "CLA Team"),
        "team_manager": ("Pat Senior", True, date(2026, 11, 18)),
        "panel_date_asked": date(2026, 12, 2), "missing": [],
    }),
    Variant("ns_parents_listed", ns_parents_listed, "north-somerset", pdf=True, expect={
        "children.name": ["Leo Hart", "Ruby Hart (mum)"], "children.child_id": ["LCS100001", "LCS100002"],
        "children.age": [10, 16], "request_types": ("pre_proceedings",),
        "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "warnings_has": ["left out"], "missing": [],
    }),
    Variant("ns_several_children", ns_several_children, "north-somerset", expect={
        "children.name": ["Ava Stone", "Ben Stone", "Cara Stone"],
        "children.dob": [date(2014, 3, 2), date(2016, 3, 2), date(2018, 3, 2)], "children.age": [12, 10, 8],
        "request_types": ("respite_disability",),
        "team_manager": ("Terry Manager", True, date(2026, 11, 18)),
        "panel_date_asked": date(2026, 11, 25), "missing": [],
    }),
    Variant("ns_picture_signature", ns_picture_signature, "north-somerset", pdf=True, expect={
        "children.name": ["Finn Ward"], "children.age": [13],
        "request_types": ("external_placement",),
        "team_manager": ("Terry Manager", True, date(2026, 3, 2)),
        "field:Social Worker / Signature": "N/A",
        "panel_date_asked": date(2026, 12, 2), "missing": [],
    }),
    Variant("ns_incomplete", ns_incomplete, "north-somerset", expect={
        "children.name": ["Noah Park"], "children.dob": [None], "children.age": [6],
        "team_manager": (None, False, None), "panel_date_asked": None,
        "missing": ["children.dob", "children.child_id", "summary.what_needs_to_change", "team_manager.name"],
    }),
    Variant("ns_judged_by_bexley", ns_value_cells, "bexley", expect={
        "form": "north-somerset", "children.name": ["Amelia Hart"],
        "missing": ["costs", "family_network_meeting", "safety_plan"],
    }),
    Variant("bexley_ticks", bexley_ticks, "bexley", pdf=True, expect={
        "form": "bexley",
        "children.name": ["Kai Hill"], "children.child_id": ["LCS123456"], "children.dob": [date(2011, 2, 8)], "children.age": [15],
        "request": "For panel on 26/11/2026: approval of a residential placement for Kai.",
        "request_types": ("external_placement",), "costs": (4200.0, 218400.0),
        "summary_has": ["missing episodes"],
        "social_worker": ("Robin Practitioner", "Children Looked After"),
        "team_manager": ("Casey Supervisor", True, date(2026, 11, 17)),
        "service_manager": ("Jordan Senior", True, date(2026, 11, 18)),
        "yes_no": {"Has a family network meeting already taken place?": True,
                   "Is there a safety plan already in place for the child(ren)?": False},
        "panel_date_asked": date(2026, 11, 26), "missing": [],
    }),
    Variant("bexley_deleted_words", bexley_deleted_words, "bexley", pdf=True, expect={
        "children.name": ["Maya Lane", "Zac Lane"], "children.child_id": ["LCS654321", "LCS654322"],
        "children.dob": [date(2018, 6, 21), date(2020, 9, 3)], "children.age": [8, 6],
        "request_types": ("expenditure",), "costs": (95.0, 4940.0),
        "team_manager": ("Quinn Overseer", True, date(2026, 11, 18)),
        "service_manager": ("Avery Director", False, None),
        "yes_no": {"Has a family network meeting already taken place?": True,
                   "Is there a safety plan already in place for the child(ren)?": False},
        "panel_date_asked": None, "missing": [],
    }),
    Variant("bexley_unanswered", bexley_unanswered, "bexley", expect={
        "children.name": ["Eli Rowe"], "children.child_id": [None],
        "team_manager": ("Quinn Overseer", False, None), "request_types": ("s20",),
        "missing": ["summary", "costs", "safety_plan"],  # Rules v2: Bexley's form has no child ID box
    }),
    Variant("bexley_sos_details", bexley_sos_details, "bexley", pdf=True, expect={
        "children.name": ["Amy Cole", "Tom Cole"], "children.child_id": ["LCS700001", "LCS700002"],
        "children.dob": [date(2014, 3, 2), date(2014, 3, 2)], "children.ethnicity": ["White British", "White British"],
        "children.disability": [None, "Autism"], "children.legal_status": ["CIN", "CIN"],
        "request_types": ("expenditure", "respite_disability"), "costs": (2100.0, 7200.0),
        "summary_has": ["Tom's needs have grown."],
        "team_manager": ("Casey Supervisor", True, date(2026, 11, 19)),
        "service_manager": ("Jordan Senior", True, date(2026, 11, 19)),
        "social_worker": ("Robin Practitioner", "CIN 3"), "missing": [],
    }),
    Variant("bexley_judged_by_north_somerset", bexley_ticks, "north-somerset", expect={
        "form": "bexley", "children.name": ["Kai Hill"], "missing": ["summary.what_needs_to_change"],
    }),
)}


# --------------------------------------------------------------------------- fixtures and checks

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

Read = Callable[..., Request]


@pytest.fixture(scope="session")
def limits() -> Limits:
    mb = 1024 * 1024
    return Limits(max_message_bytes=60 * mb, max_attachment_bytes=30 * mb, max_pages=300,
                  max_decompressed_bytes=200 * mb, parse_timeout_seconds=60)


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return {name: load_profile(name) for name in ("north-somerset", "bexley", "swindon")}


@pytest.fixture(scope="session")
def read(limits: Limits, profiles: dict[str, Profile]) -> Read:
    def read(filename: str, data: bytes, profile: str = "north-somerset", today: date = TODAY) -> Request:
        return parsers.read_request(filename, data, profile=profiles[profile], forms=builtin_forms(),
                                    limits=limits, today=today)
    return read


@pytest.fixture(scope="session")
def pdf_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every variant marked ``pdf=True``, filled in and converted by LibreOffice in one run."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: the PDF versions of the forms cannot be made")
    work = tmp_path_factory.mktemp("pdf")
    sources = []
    for name, variant in VARIANTS.items():
        if variant.pdf:
            path = work / f"{name}.docx"
            path.write_bytes(variant.build())
            sources.append(str(path))
    profile_dir = work / "lo-profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile_dir}", "--headless", "--convert-to", "pdf",
         "--outdir", str(work), *sources],
        check=True, capture_output=True, timeout=300,
    )
    return {Path(s).stem: Path(s).with_suffix(".pdf").read_bytes() for s in sources}


def squash(text: str | None) -> str | None:
    """Text with its spacing made plain, so a PDF's line-wrapped answer compares equal."""
    return re.sub(r"\s+", " ", text).strip() if text is not None else None


def check(request: Request, expect: dict[str, Any]) -> None:
    """Assert each expectation of a ``formfill.Variant`` against the request read."""
    for key, want in expect.items():
        if key.startswith("children."):
            attr = key.split(".", 1)[1]
            assert [getattr(c, attr) for c in request.children] == want, key
        elif key.startswith("field:"):
            assert squash(request.field(key[6:])) == squash(want), key
        elif key == "request":
            assert squash(request.request) == squash(want)
        elif key == "request_types":
            assert request.request_types == want
        elif key == "costs":
            assert (request.costs.weekly, request.costs.total) == want
        elif key == "summary_has":
            for part in want:
                assert part in squash(request.summary or ""), part
        elif key == "warnings_has":
            for part in want:
                assert any(part in w for w in request.warnings), part
        elif key == "social_worker":
            assert (request.social_worker.name, request.social_worker.team) == want
        elif key in ("team_manager", "service_manager"):
            who = getattr(request, key)
            assert (who.name, who.signed, who.signed_on) == want, key
        elif key == "yes_no":
            for label, answer in want.items():
                assert parse_yes_no(request.field(label)) is answer, label
        elif key == "missing":
            assert list(request.missing) == want
        elif key == "duration":
            assert squash(request.duration) == squash(want)
        else:
            assert getattr(request, key) == want, key
