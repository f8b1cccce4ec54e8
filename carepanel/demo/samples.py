"""Filled-in request forms made from scratch, for ``carepanel demo`` and the tests.

``north_somerset_form(case)`` and ``bexley_form(case)`` build Word documents laid out like
the two councils' own forms (``shared/forms/``: the same labels, tables and order), filled
in from a ``SampleCase``.  Every person in ``CASES`` is invented.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date

import docx
from docx.document import Document
from docx.shared import Mm, Pt
from docx.table import Table, _Cell

UNCHECKED, CHECKED = "☐", "☒"


@dataclass(frozen=True)
class SampleChild:
    name: str
    dob: date
    child_id: str
    gender: str = "Female"
    legal_status: str = "CIN"
    ethnicity: str = "White British"
    plan: str = "CIN - Y"
    disability: str | None = None
    age: int | None = None  # the age as written on the form; None leaves it blank


@dataclass(frozen=True)
class SamplePerson:
    """A parent or another family member, listed on the form beside the children."""

    name: str
    relationship: str
    dob: date | None = None
    age: int | None = None


@dataclass(frozen=True)
class SampleSignatory:
    name: str | None
    team: str | None = None
    signed: str | None = "typed"  # "typed", "picture" or None
    signed_on: date | None = None


@dataclass(frozen=True)
class SampleSummary:
    current_situation: str | None = None
    going_well: str | None = None
    worried_about: str | None = None
    what_needs_to_change: str | None = None
    other_information: str | None = None
    expected_outcome: str | None = None


@dataclass(frozen=True)
class SampleCase:
    key: str
    children: tuple[SampleChild, ...]
    request: str
    summary: SampleSummary
    social_worker: SampleSignatory
    team_manager: SampleSignatory
    service_manager: SampleSignatory | None = None
    family: tuple[SamplePerson, ...] = ()
    panel_date: date | None = None
    work_done: str | None = None
    duration: str | None = None
    weekly_cost: float | None = None
    total_cost: float | None = None
    family_network_meeting: bool | None = None
    safety_plan: bool | None = None
    explanation: str | None = None
    parents_views: str | None = None
    childs_wishes: str | None = None
    address: str | None = None
    placement: str | None = None
    ehc_plan: bool | None = None
    sent_on: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def costs_text(self) -> str | None:
        parts = []
        if self.weekly_cost is not None:
            parts.append(f"£{self.weekly_cost:,.2f} per week")
        if self.total_cost is not None:
            parts.append(f"£{self.total_cost:,.2f} in total")
        return "; ".join(parts) or None


# --------------------------------------------------------------------------- helpers


def signature_png() -> bytes:
    """A tiny picture to stand for a pasted signature: a dark squiggle on white, 24x8."""
    width, height = 24, 8
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            ink = abs((x // 3) % 4 - y // 2) < 1
            row += bytes([0, 0, 80] if ink else [255, 255, 255])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


def uk_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _text(cell: _Cell, text: str | None) -> None:
    lines = (text or "").split("\n")
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def _sign(cell: _Cell, who: SampleSignatory | None) -> None:
    if who is None or not who.signed:
        return
    if who.signed == "picture":
        cell.paragraphs[0].add_run().add_picture(io.BytesIO(signature_png()), width=Mm(30))
    else:
        _text(cell, who.name)


def _table(doc: Document, rows: int, cols: int) -> Table:
    table: Table = doc.add_table(rows=rows, cols=cols)
    table.style = "Table Grid"
    return table


def _heading_row(table: Table, row: int, text: str) -> None:
    merged = table.cell(row, 0).merge(table.cell(row, len(table.columns) - 1))
    _text(merged, text)


def _qa(doc: Document, question: str, answer: str | None) -> Table:
    table = _table(doc, 2, 1)
    _text(table.cell(0, 0), question)
    _text(table.cell(1, 0), answer)
    return table


def _new_document() -> Document:
    doc = docx.Document()
    doc.styles["Normal"].font.size = Pt(10)
    return doc


def _bytes(doc: Document) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _yes_no(answer: bool | None) -> str:
    yes = CHECKED if answer is True else UNCHECKED
    no = CHECKED if answer is False else UNCHECKED
    return f"Yes {yes}   No {no}"


# --------------------------------------------------------------------------- North Somerset

NS_GUIDANCE = (
    "Your request should be discussed with and agreed by your Manager and Head of Service before it is "
    "presented to Panel. Paperwork should be e-mailed to the Care and Resource Panel Coordinator by midday "
    "Friday before Panel. \nThe e-mail should show your Manager’s agreement. Late forms may not be considered."
)
NS_WORK_PROMPT = (
    "What work has already been undertaken to support the family: (e.g. family wellbeing/social work "
    "intervention, FGC, Child & Family Centre, health and education involvement, case discussion etc.)"
)
NS_SUMMARY_PROMPTS = (
    ("Current situation:", "current_situation"),
    ("What is going well?", "going_well"),
    ("What are we worried about?", "worried_about"),
    ("What needs to change?", "what_needs_to_change"),
    ("Any other relevant information:", "other_information"),
    ("What do you expect to achieve for the child/ family from this request?", "expected_outcome"),
)
NS_CHILD_HEADINGS = ("Name", "DOB", "Age", "Gender", "Child ID", "Legal Status", "Ethnicity",
                     "FWB/CIN/\nCP/CIC Plan which and Y/N")


def north_somerset_form(case: SampleCase) -> bytes:
    """A Care and Resource Panel Request Form, filled in."""
    doc = _new_document()
    title = _table(doc, 1, 2)
    _text(title.cell(0, 0), "Care and Resource Panel Request Form\nChildren’s Services")
    _text(title.cell(0, 1), "North Somerset\nC O U N C I L")

    top = _table(doc, 3, 2)
    _heading_row(top, 0, NS_GUIDANCE)
    _text(top.cell(1, 0), "Date presented to Panel")
    _text(top.cell(1, 1), uk_date(case.panel_date))
    _text(top.cell(2, 0), "If this case has previously been presented to Panel, please give date and outcome")
    _text(top.cell(2, 1), case.extra.get("previous_panel"))

    people = [_ns_child_row(c) for c in case.children] + [_ns_family_row(p) for p in case.family]
    kids = _table(doc, 2 + max(4, len(people)), 8)
    _heading_row(kids, 0, "Details of all Child(ren) / Young Person(s) and their parents")
    for i, heading in enumerate(NS_CHILD_HEADINGS):
        _text(kids.cell(1, i), heading)
    for r, values in enumerate(people, start=2):
        for i, value in enumerate(values):
            _text(kids.cell(r, i), value)

    where = _table(doc, 3, 2)
    _heading_row(where, 0, "Home address and placement address if different")
    _text(where.cell(1, 0).merge(where.cell(1, 1)), case.address)
    _text(where.cell(2, 0), "Type of placement and name of carer if applicable")
    _text(where.cell(2, 1), case.placement)

    ehc = _table(doc, 1, 4)
    _text(ehc.cell(0, 0), "EHC plan?")
    _text(ehc.cell(0, 1), {True: "Yes", False: "No", None: "Yes/No"}[case.ehc_plan])
    _text(ehc.cell(0, 2), "If so, when issued and date of last review ")

    asked = _table(doc, 2, 1)
    _text(asked.cell(0, 0), "What is being requested of the Panel? e.g. agreement to S20, agreement to initiate proceedings")
    _text(asked.cell(1, 0), f"{case.request}\n{NS_WORK_PROMPT}\n{case.work_done or ''}")

    summary = "\n".join(f"{prompt}\n{getattr(case.summary, key) or ''}\n" for prompt, key in NS_SUMMARY_PROMPTS)
    _qa(doc, "Brief summary:  reason for referral to Panel ", summary)
    _qa(doc, "How long will this resource be needed for and what will happen then?  ", case.duration)
    _ns_signatures(doc, case)

    chair = _table(doc, 4, 2)
    for r, label in enumerate(("Chair", "Date", "Details of approved request", "Date of next Panel Review")):
        _text(chair.cell(r, 0), label)
    _qa(doc, "Discussion points and actions required", None)
    _qa(doc, "Panel Members", None)
    return _bytes(doc)


def _ns_child_row(c: SampleChild) -> list[str | None]:
    return [c.name, uk_date(c.dob), str(c.age) if c.age is not None else None, c.gender, c.child_id,
            c.legal_status, c.ethnicity, c.plan]


def _ns_family_row(p: SamplePerson) -> list[str | None]:
    return [f"{p.name} ({p.relationship})", uk_date(p.dob), str(p.age) if p.age is not None else None,
            None, None, None, None, None]


def _ns_signatures(doc: Document, case: SampleCase) -> None:
    block = _table(doc, 5, 5)
    _text(block.cell(0, 0).merge(block.cell(0, 1)), "Social Worker")
    _text(block.cell(0, 3).merge(block.cell(0, 4)), "Team Manager")
    for col, who in ((0, case.social_worker), (3, case.team_manager)):
        for r, label in enumerate(("Name", "Team", "Signature", "Date"), start=1):
            _text(block.cell(r, col), label)
        _text(block.cell(1, col + 1), who.name)
        _text(block.cell(2, col + 1), who.team)
        _sign(block.cell(3, col + 1), who)
        _text(block.cell(4, col + 1), uk_date(who.signed_on))


# --------------------------------------------------------------------------- Bexley


def bexley_form(case: SampleCase) -> bytes:
    """A Resource and Care Panel Referral (Part A filled in, Part B blank)."""
    doc = _new_document()
    title = _table(doc, 1, 2)
    _text(title.cell(0, 0), "Resource and Care Panel Referral\nPart A – To be completed by worker")
    _text(title.cell(0, 1), "BEXLEY\nLondon Borough of Bexley")

    worker = _table(doc, 2, 3)
    for i, label in enumerate(("Name of Worker", "Team", "Date")):
        _text(worker.cell(0, i), label)
    _text(worker.cell(1, 0), case.social_worker.name)
    _text(worker.cell(1, 1), case.social_worker.team)
    _text(worker.cell(1, 2), uk_date(case.sent_on or case.social_worker.signed_on))

    kids = _table(doc, 1 + max(3, len(case.children)), 3)
    for i, label in enumerate(("Name of Subject Child/Young Person (s)", "Date of Birth", "Age")):
        _text(kids.cell(0, i), label)
    for r, c in enumerate(case.children, start=1):
        _text(kids.cell(r, 0), f"{c.name} ({c.child_id})" if c.child_id else c.name)
        _text(kids.cell(r, 1), uk_date(c.dob))
        _text(kids.cell(r, 2), str(c.age) if c.age is not None else None)

    family = _table(doc, 2 + max(5, len(case.children) + len(case.family)), 4)
    _heading_row(family, 0, "Relevant Family Members (starting with the children and including all carers):")
    for i, label in enumerate(("Name", "Date of Birth", "Age", "Relationship to child (or self)")):
        _text(family.cell(1, i), label)
    members = [(c.name, c.dob, c.age, "Self") for c in case.children] + [(p.name, p.dob, p.age, p.relationship) for p in case.family]
    for r, (name, dob, age, rel) in enumerate(members, start=2):
        for i, value in enumerate((name, uk_date(dob), str(age) if age is not None else None, rel)):
            _text(family.cell(r, i), value)

    network = _table(doc, 5, 2)
    _heading_row(network, 0, "Who else is part of the family’s support network? (friends, professionals, community members)")
    _text(network.cell(1, 0), "Name")
    _text(network.cell(1, 1), "Role")

    questions = _table(doc, 4, 2)
    _text(questions.cell(0, 0), "Has a family network meeting already taken place?")
    _text(questions.cell(0, 1), _yes_no(case.family_network_meeting))
    _text(questions.cell(1, 0), "Is there a safety plan already in place for the child(ren)?")
    _text(questions.cell(1, 1), _yes_no(case.safety_plan))
    _heading_row(questions, 2, "If you answered no to any of the above questions, please explain why:")
    _text(questions.cell(3, 0).merge(questions.cell(3, 1)), case.explanation)

    _bexley_free_text(doc, case)
    _bexley_signs_of_safety(doc, case)
    doc.add_paragraph("Referral Completed and Authorised by:")
    signs = _table(doc, 3, 6)
    rows = (("Name of Worker", case.social_worker), ("Name of Team Manager", case.team_manager),
            ("Name of Service Manager", case.service_manager))
    for r, (label, who) in enumerate(rows):
        _text(signs.cell(r, 0), label)
        _text(signs.cell(r, 1), who.name if who else None)
        _text(signs.cell(r, 2), "Signature")
        _sign(signs.cell(r, 3), who)
        _text(signs.cell(r, 4), "Date")
        _text(signs.cell(r, 5), uk_date(who.signed_on) if who else None)
    doc.add_paragraph("Please note that referrals that are submitted late, incomplete, or unsigned may be "
                      "rejected and deferred by the panel chair.")
    _bexley_part_b(doc)
    return _bytes(doc)


def _bexley_free_text(doc: Document, case: SampleCase) -> None:
    summary = "\n".join(v for v in (case.summary.current_situation, case.summary.worried_about) if v)
    request = f"For panel on {uk_date(case.panel_date)}: {case.request}" if case.panel_date else case.request
    _qa(doc, "Brief summary of the main issues\n(Only write the key events that took place for the child/ren "
             "that led to this referral being made.)", summary or None)
    _qa(doc, "What recommendations or decisions are you seeking from the panel?\n(Think about what the panel can "
             "do to help create a better and safer outcome for the child. State why any placement you are seeking "
             "for the child is necessary and why other voluntary or in house resources are insufficient in meeting "
             "the child’s needs. This needs to be linked to the child’s care plan.)", request)
    _qa(doc, "Views of the parents/carers", case.parents_views)
    _qa(doc, "Child/ren’s wishes and feelings", case.childs_wishes)
    _qa(doc, "What are the projected costs of the resource and service being sought?\n(State what your projected "
             "costs are for the stated resource on a weekly basis and the total cost for the projected period you "
             "will need it for, or to a maximum of one year if it is projected to be longer.)", case.costs_text)


def _bexley_signs_of_safety(doc: Document, case: SampleCase) -> None:
    doc.add_paragraph("Signs of Safety Case Summary")
    sos = _table(doc, 1 + max(3, len(case.children)), 5)
    for i, label in enumerate(("Child/ren’s Name", "Date of Birth", "Ethnicity", "Disability/Special Need", "Legal Status")):
        _text(sos.cell(0, i), label)
    for r, c in enumerate(case.children, start=1):
        for i, value in enumerate((c.name, uk_date(c.dob), c.ethnicity, c.disability or "None", c.legal_status)):
            _text(sos.cell(r, i), value)
    grid = _table(doc, 7, 3)
    cells = {(0, 0): "What are we worried about?", (0, 1): "What is working well?", (0, 2): "What needs to happen?",
             (1, 0): "Past Harm", (1, 1): "Existing Strengths", (1, 2): "Next Steps", (3, 0): "Future Danger",
             (3, 1): "Existing Safety", (5, 0): "Complicating Factors",
             (2, 0): case.summary.worried_about, (2, 1): case.summary.going_well, (2, 2): case.summary.what_needs_to_change}
    for (row, col), text in cells.items():
        _text(grid.cell(row, col), text)
    goals = _table(doc, 2, 2)
    _text(goals.cell(0, 0), "Danger Statement")
    _text(goals.cell(0, 1), "Safety Goals")
    _text(goals.cell(1, 1), case.summary.expected_outcome)
    doc.add_paragraph("On a scale of 0–10, where 10 means the child(ren) are safe and supported enough and we no "
                      "longer need to be involved or no longer need extra resources, and 0 means things are so "
                      "dangerous or unstable for the child(ren) we must take action to remove them and place them in "
                      "the care of someone safer or provide extra support, where do you rate this situation today?")
    scaling = _table(doc, 5, 4)
    for i, label in enumerate(("Name", "Role or Relation to Child", "Scaling", "Reasons")):
        _text(scaling.cell(0, i), label)


def _bexley_part_b(doc: Document) -> None:
    doc.add_page_break()
    doc.add_paragraph("Part B – To be completed by panel chair")
    who = _table(doc, 2, 3)
    for i, label in enumerate(("Name of Child/ren", "Name of Worker", "Team")):
        _text(who.cell(0, i), label)
    doc.add_paragraph("Resource and Care Panel Decisions")
    agreed = _table(doc, 7, 2)
    _heading_row(agreed, 0, "The panel agreed that:")
    for r in range(1, 7):
        _text(agreed.cell(r, 0), f"{r}.")
    outcomes = _table(doc, 5, 2)
    for r, label in enumerate(("Resource approved", "Alternate resource approved", "Deferred to:", "Resource declined",
                               "Return to panel (date or frequency):")):
        _text(outcomes.cell(r, 0), f"{UNCHECKED} {label}")
    _qa(doc, "What is the rationale for the recommendations and decisions made:", None)
    chair = _table(doc, 3, 2)
    for r, label in enumerate(("Name of Chair", "Signature", "Date")):
        _text(chair.cell(r, 0), label)


# --------------------------------------------------------------------------- the cases

CASES: dict[str, SampleCase] = {
    case.key: case
    for case in (
        SampleCase(
            key="ns-s20-single",
            children=(SampleChild("Poppy Example", date(2012, 5, 14), "LCS900101", "Female", "CIN", "White British", "CIN - Y"),),
            request="Agreement to accommodate Poppy under Section 20 with in-house foster carers.",
            work_done="Family Group Conference held; Child & Family Centre support since March.",
            summary=SampleSummary(
                current_situation="Poppy's mother is in hospital and there is no one else to care for her.",
                going_well="Poppy attends school every day and has a good friendship group.",
                worried_about="There is no safe adult at home while her mother recovers.",
                what_needs_to_change="A safe short-term home until her mother is discharged.",
                other_information="Maternal aunt is being assessed as a connected person.",
                expected_outcome="Poppy is safe and returns home within eight weeks.",
            ),
            duration="Eight weeks, then a return home is planned.",
            social_worker=SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 17)),
            team_manager=SampleSignatory("Terry Manager", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 18)),
            panel_date=date(2026, 11, 25),
            address="1 Example Road, Weston-super-Mare",
            placement="None at present",
            ehc_plan=False,
        ),
        SampleCase(
            key="ns-siblings-plo",
            children=(
                SampleChild("Alfie Sample", date(2016, 9, 2), "LCS900201", "Male", "CP", "White British", "CP - Y"),
                SampleChild("Daisy Sample", date(2019, 1, 30), "LCS900202", "Female", "CP", "White British", "CP - Y"),
            ),
            family=(SamplePerson("Jane Sample", "Mother", date(1990, 4, 4)), SamplePerson("John Sample", "Father", date(1988, 7, 21))),
            request="Agreement to enter the Public Law Outline (pre-proceedings) for both children.",
            work_done="Child protection plan for nine months; parenting course; school nurse involvement.",
            summary=SampleSummary(
                current_situation="Neglect continues despite the child protection plan.",
                going_well="The children are attending school.",
                worried_about="Home conditions and missed health appointments.",
                what_needs_to_change="Parents to keep the home safe and attend every appointment.",
                expected_outcome="Clear expectations for the parents under PLO.",
            ),
            duration="Twelve weeks of pre-proceedings, reviewed at week eight.",
            social_worker=SampleSignatory("Alex Caseworker", "Safeguarding Team 1", signed="typed", signed_on=date(2026, 11, 16)),
            team_manager=SampleSignatory("Morgan Lead", "Safeguarding Team 1", signed="picture", signed_on=date(2026, 11, 17)),
            panel_date=date(2026, 12, 2),
        ),
        SampleCase(
            key="bexley-residential",
            children=(SampleChild("Kai Specimen", date(2011, 2, 8), "LCS900301", "Male", "S20", "Mixed White and Black Caribbean"),),
            family=(SamplePerson("Lee Specimen", "Mother", date(1985, 12, 1)),),
            request="Approval of a residential placement for Kai, as no in-house foster placement can meet his needs.",
            summary=SampleSummary(
                current_situation="Kai's foster placement ended after repeated missing episodes.",
                going_well="Kai has kept his place at school.",
                worried_about="Risk of exploitation when Kai goes missing.",
                what_needs_to_change="A placement with waking-night staff near his school.",
                expected_outcome="No missing episodes for three months.",
            ),
            weekly_cost=4200.0,
            total_cost=218400.0,
            family_network_meeting=True,
            safety_plan=True,
            parents_views="Kai's mother agrees with the plan.",
            childs_wishes="Kai wants to stay at his school.",
            social_worker=SampleSignatory("Robin Practitioner", "Children Looked After", signed="typed", signed_on=date(2026, 11, 16)),
            team_manager=SampleSignatory("Casey Supervisor", "Children Looked After", signed="typed", signed_on=date(2026, 11, 16)),
            service_manager=SampleSignatory("Jordan Senior", signed="picture", signed_on=date(2026, 11, 17)),
            panel_date=date(2026, 11, 26),
            sent_on=date(2026, 11, 17),
        ),
        SampleCase(
            key="bexley-support-unsigned",
            children=(SampleChild("Maya Placeholder", date(2018, 6, 21), "LCS900401", "Female", "CIN", "Asian British"),),
            request="Funding for after-school childcare so that Maya's father can keep his job.",
            summary=SampleSummary(current_situation="Father is a single carer working shifts."),
            weekly_cost=95.0,
            total_cost=4940.0,
            family_network_meeting=False,
            safety_plan=True,
            explanation="The family network meeting is booked for next month.",
            social_worker=SampleSignatory("Drew Assessor", "Assessment Team", signed="typed", signed_on=date(2026, 11, 18)),
            team_manager=SampleSignatory("Quinn Overseer", "Assessment Team", signed="typed", signed_on=date(2026, 11, 18)),
            service_manager=SampleSignatory("Avery Director", signed=None),
        ),
        SampleCase(
            key="ns-incomplete",
            children=(SampleChild("Noah Instance", date(2020, 3, 3), "", "Male", "CIN", "White British"),),
            request="Funding of £60 per week for a nursery place.",
            summary=SampleSummary(current_situation="Noah needs more socialisation before school."),
            social_worker=SampleSignatory("Jamie Fieldworker", "Early Help", signed="typed", signed_on=date(2026, 11, 18)),
            team_manager=SampleSignatory(None, signed=None),
        ),
    )
}


def sample_form(key: str) -> tuple[str, bytes]:
    """A ready-made case as ``(filename, bytes)``, laid out as its council's form."""
    case = CASES[key]
    if key.startswith("bexley"):
        return f"{key}-referral.docx", bexley_form(case)
    return f"{key}-request-form.docx", north_somerset_form(case)
