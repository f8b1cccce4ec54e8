"""Fictional corpora for the operations tests and benchmarks: sample forms in emails.

Children's names and dates of birth are made up here (no real person's data), many of
them, so a test can search the logs for each one.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from carepanel.demo import backup_settings
from carepanel.demo.samples import CASES, SampleChild, bexley_form, north_somerset_form

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FIRST = ("Amelia", "Oliver", "Isla", "Noah", "Freya", "Arlo", "Poppy", "Jude", "Ivy", "Reuben", "Esme", "Tobias")
LAST = ("Hartwell", "Brookfield", "Ashcombe", "Penhallow", "Quenby", "Marlowe", "Thistlewood", "Carrow")

CONFIG = """profile = "north-somerset"
data_dir = "data"
[directory]
csv = "staff.csv"
[mailbox]
backend = "folder"
path = "data/inbox"
poll_seconds = 0.2
settle_seconds = 0.05
[retry]
first_delay_seconds = 0.5
max_delay_seconds = 2
[pack]
send_automatically = false    # the real clock must not make a pack go out in the middle of a test
"""


def write_project(root: Path, extra: str = "") -> Path:
    from staffdata import STAFF_CSV

    root.mkdir(parents=True, exist_ok=True)
    (root / "staff.csv").write_text(STAFF_CSV, encoding="utf-8")
    (root / "config.toml").write_text(CONFIG + backup_settings(root) + extra, encoding="utf-8")
    return root / "config.toml"


def fictional_child(rng: random.Random, n: int) -> SampleChild:
    dob = date(2009, 1, 1) + timedelta(days=rng.randrange(0, 16 * 365))  # under 18: a child, not an adult
    name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]}{'' if n < 96 else chr(97 + n // 96)}"
    return SampleChild(name, dob, f"LCS{700000 + n}", rng.choice(("Female", "Male")))


def corpus(count: int, seed: int = 8) -> list[tuple[SampleChild, str, bytes]]:
    """``count`` filled forms, each about a different fictional child: (child, filename, docx)."""
    rng = random.Random(seed)
    keys = sorted(CASES)
    out = []
    for n in range(count):
        case = CASES[keys[n % len(keys)]]
        child = fictional_child(rng, n)
        case = replace(case, children=(child, *case.children[1:]))
        form = bexley_form(case) if case.key.startswith("bexley") else north_somerset_form(case)
        out.append((child, f"request-{n}.docx", form))
    return out


def request_email(n: int, filename: str, form: bytes, *, extra: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Tom Jones <tm.jones@example.gov.uk>"
    msg["To"] = "CRP Panel <panel@example.gov.uk>"
    msg["Subject"] = f"CRP request {n}"
    msg["Date"] = "Wed, 18 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = f"<ops-{n}@mail.example.gov.uk>"
    msg.set_content("Please find attached the request form for panel.\n\nTom Jones\nTeam Manager")
    msg.add_attachment(form, maintype="application", subtype=DOCX.split("/")[1], filename=filename)
    if extra is not None:
        msg.add_attachment(extra, maintype="application", subtype="pdf", filename=f"assessment-{n}.pdf")
    return msg.as_bytes(policy=SMTP)


def date_forms(d: date) -> list[str]:
    """A date of birth in every way a form, a log or a library might write it."""
    return sorted({d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%d-%m-%Y"), d.strftime("%d.%m.%Y"),
                   f"{d.day}/{d.month}/{d.year}", d.strftime("%Y%m%d"), d.strftime("%d %B %Y"),
                   f"{d.day} {d:%B} {d.year}", d.strftime("%d %b %Y"), f"{d.day} {d:%b} {d.year}",
                   d.strftime("%m/%d/%Y"), d.strftime("%B %d, %Y"), d.strftime("%d/%m/%y")})
