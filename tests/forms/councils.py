"""Three made-up councils' request forms, each laid out its own way, generated with python-docx
so that `carepanel form learn` meets layouts it was not tuned for:

- ``riverside``: labels left of their answers; children's columns reordered (ID, date of birth,
  name, gender); costs in a small table (weekly | total over a row of answers); the sign-off as
  rows of a grid (one row per role, columns Name, Signature, Date).
- ``northfield``: labels above their answers (a question row over an answer row); forename and
  surname in separate columns; the sign-off with roles as columns over Name / Signature / Date rows.
- ``eastbay``: labels as paragraphs with the answer typed under them, outside any table; the
  children's table (Name, ICS ID, D.O.B, Legal status, Ethnicity); sign-off labels in one
  two-column table, role by role.

``blank(layout)`` is the council's blank form; ``filled(layout, case)`` the same form filled in.
Every name, date and ID is invented.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from docx import Document
from docx.shared import Pt

LAYOUTS = ("riverside", "northfield", "eastbay")
FIRST = ["Poppy", "Alfie", "Daisy", "Kai", "Maya", "Noah", "Isla", "Leo", "Ruby", "Theo", "Ella", "Finn"]
LAST = ["Example", "Sample", "Specimen", "Testcase", "Madeup", "Fiction", "Placeholder", "Dummy"]


@dataclass(frozen=True)
class Child:
    forename: str
    surname: str
    dob: date
    child_id: str
    gender: str = "Female"
    legal_status: str = "CIN"
    ethnicity: str = "White British"

    @property
    def name(self) -> str:
        return f"{self.forename} {self.surname}"


@dataclass(frozen=True)
class Case:
    panel_date: date
    children: tuple[Child, ...]
    request: str
    summary: str
    social_worker: str
    team: str
    team_manager: str
    manager_signature: str  # typed, or initial and surname
    signed_on: date
    service_manager: str
    weekly: int
    total: int


def cases(n: int = 10, seed: int = 17) -> list[Case]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kids = []
        for k in range(1 + i % 3):
            dob = date(2009, 1, 1) + timedelta(days=rnd.randrange(0, 16 * 365))
            kids.append(Child(FIRST[(i * 3 + k) % len(FIRST)], LAST[i % len(LAST)], dob,
                              f"LCS{900500 + i * 10 + k}", rnd.choice(["Female", "Male"]), rnd.choice(["CIN", "CP", "CLA"])))
        tm = rnd.choice(["Terry Manager", "Morgan Lead", "Jo Supervisor"])
        weekly = rnd.choice([250, 450, 850, 1200])
        out.append(Case(
            panel_date=date(2026, 12, 2) + timedelta(weeks=i % 4),
            children=tuple(kids),
            request=rnd.choice(["Agreement to accommodate under Section 20.",
                                "Agreement to enter the Public Law Outline (pre-proceedings).",
                                "Funding for a residential placement for twelve weeks."]),
            summary=f"Summary of the family's circumstances, case {i + 1}.",
            social_worker=rnd.choice(["Sam Worker", "Alex Caseworker", "Robin Practitioner"]),
            team=rnd.choice(["Children in Need Team 2", "Safeguarding Team 1"]),
            team_manager=tm,
            manager_signature=tm if i % 2 else f"{tm[0]}. {tm.split()[-1]}",
            signed_on=date(2026, 11, 18) + timedelta(days=i % 3),
            service_manager=rnd.choice(["Pat Head", "Chris Senior"]),
            weekly=weekly,
            total=weekly * 12,
        ))
    return out


def _d(value: date | None) -> str:
    return value.strftime("%-d/%-m/%Y") if value else ""  # written day first, as in the UK, 3/4/2015


def _table(doc, rows: list[list[str]]):
    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    return table


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _doc(title: str, council: str):
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(council, level=1)
    doc.add_paragraph(title)
    return doc


def riverside(case: Case | None) -> bytes:
    doc = _doc("Children's Resource Panel: Request for a Decision", "Riverside Borough Council")
    v = (lambda s: s if case else "")  # noqa: E731
    _table(doc, [
        ["Panel date requested", v(_d(case.panel_date) if case else "")],
        ["Allocated worker", v(case.social_worker if case else "")],
        ["Team", v(case.team if case else "")],
    ])
    doc.add_paragraph("Children this request is about")
    kids = list(case.children) if case else []
    rows = [["Child ID", "Date of birth", "Full name", "Gender"]]
    rows += [[k.child_id, _d(k.dob), k.name, k.gender] for k in kids] + [["", "", "", ""]] * (3 - len(kids))
    _table(doc, rows)
    _table(doc, [
        ["What are you asking the panel to agree?", v(case.request if case else "")],
        ["Reason for referral", v(case.summary if case else "")],
    ])
    doc.add_paragraph("Costs of the resource")
    _table(doc, [["Weekly cost", "Total cost"], [f"£{case.weekly}" if case else "", f"£{case.total:,}" if case else ""]])
    doc.add_paragraph("Management sign-off")
    _table(doc, [
        ["Role", "Name", "Signature", "Date"],
        ["Team manager", v(case.team_manager if case else ""), v(case.manager_signature if case else ""),
         v(_d(case.signed_on) if case else "")],
        ["Service manager", v(case.service_manager if case else ""), "", ""],
    ])
    return _save(doc)


def northfield(case: Case | None) -> bytes:
    doc = _doc("Placement and Resources Panel - referral", "Northfield Council Children's Services")
    v = (lambda s: s if case else "")  # noqa: E731
    _table(doc, [
        ["Name of social worker", "Social worker's team"],
        [v(case.social_worker if case else ""), v(case.team if case else "")],
        ["Date of panel", ""],
        [v(_d(case.panel_date) if case else ""), ""],
    ])
    kids = list(case.children) if case else []
    rows = [["Forename", "Surname", "DOB", "LCS number", "Legal status"]]
    rows += [[k.forename, k.surname, _d(k.dob), k.child_id, k.legal_status] for k in kids]
    rows += [["", "", "", "", ""]] * (3 - len(kids))
    _table(doc, rows)
    _table(doc, [
        ["Decision sought from the panel"], [v(case.request if case else "")],
        ["Background and reasons for the request"], [v(case.summary if case else "")],
        ["Cost per week"], [f"£{case.weekly} per week" if case else ""],
    ])
    doc.add_paragraph("Authorisation")
    _table(doc, [
        ["", "Team Manager", "Head of Service"],
        ["Name", v(case.team_manager if case else ""), v(case.service_manager if case else "")],
        ["Signature", v(case.manager_signature if case else ""), ""],
        ["Date", v(_d(case.signed_on) if case else ""), ""],
    ])
    return _save(doc)


def eastbay(case: Case | None) -> bytes:
    doc = _doc("Resource Allocation Panel Application", "Eastbay County Council")
    v = (lambda s: s if case else "")  # noqa: E731
    kids = list(case.children) if case else []
    rows = [["Name", "ICS ID", "D.O.B", "Legal status", "Ethnicity"]]
    rows += [[k.name, k.child_id, _d(k.dob), k.legal_status, k.ethnicity] for k in kids]
    rows += [["", "", "", "", ""]] * (3 - len(kids))
    _table(doc, rows)
    for label, answer in (
        ("Lead professional:", v(case.social_worker if case else "")),
        ("Panel date:", v(_d(case.panel_date) if case else "")),
        ("Resource requested:", v(case.request if case else "")),
        ("Case summary:", v(case.summary if case else "")),
        ("Total cost:", f"£{case.total:,}" if case else ""),
    ):
        doc.add_paragraph(label)
        doc.add_paragraph(answer)
    doc.add_paragraph("Sign-off")
    _table(doc, [
        ["Team manager's name", v(case.team_manager if case else "")],
        ["Team manager's signature", v(case.manager_signature if case else "")],
        ["Date signed by team manager", v(_d(case.signed_on) if case else "")],
    ])
    return _save(doc)


BUILDERS = {"riverside": riverside, "northfield": northfield, "eastbay": eastbay}


def blank(layout: str) -> bytes:
    return BUILDERS[layout](None)


def filled(layout: str, case: Case) -> bytes:
    return BUILDERS[layout](case)
