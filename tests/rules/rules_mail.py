"""Real emails carrying filled-in forms, for the rules' conformance suite (tests/rules/).

Each test builds its email here, sends it through the service's own intake (archive, MIME,
parsers, rules, store) and looks at the submission a panel administrator would see.  The
forms are Word documents laid out like the councils' own (``carepanel.demo.samples``); the three
councils without a form of their own in ``shared/forms`` get North Somerset's layout, read by
its form description, and are judged by their own profile's rules.

``proves(profile, rule)`` ties a test to the rule of ``carepanel rules`` it proves, for
docs/rules.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

from carepanel.config import load_config
from carepanel.demo import PANEL, compose_email, supporting_document
from carepanel.demo.samples import CASES, SampleCase, SampleChild, SampleSignatory, bexley_form, north_somerset_form
from carepanel.service import Service, open_service

# Monday 23 November 2026, 10:00 London: every profile's next cut-off is still ahead.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
DOMAIN = "example.gov.uk"

STAFF = """name,email,role,team
Sam Worker,sam.worker@example.gov.uk,social_worker,Children in Need Team 2
Pia Advisor,pia.advisor@example.gov.uk,personal_advisor,Leaving Care
Ash Deputy,ash.deputy@example.gov.uk,assistant_team_manager,Children in Need Team 2
Terry Manager,terry.manager@example.gov.uk,team_manager,Children in Need Team 2
Sue Senior,sue.senior@example.gov.uk,service_manager,Children's Social Care
Hana Head,hana.head@example.gov.uk,head_of_service,Children's Social Care
Adam Deputy,adam.deputy@example.gov.uk,assistant_director,Children's Services
Dora Director,dora.director@example.gov.uk,director,Children's Services
Cleo Chair,cleo.chair@example.gov.uk,chair,Panel
Vic Vice,vic.vice@example.gov.uk,head_of_service;vice_chair,Corporate Parenting
Pat Admin,pat.admin@example.gov.uk,administrator,Business Support
Fin Money,fin.money@example.gov.uk,finance,Finance
"""

CONFIG = f"""profile = "{{profile}}"
data_dir = "data"

[directory]
csv = "staff.csv"

[mailbox]
backend = "folder"
path = "data/inbox"

[outbox]
backend = "folder"
path = "data/outbox"
from_address = "{PANEL}"
"""

SW = SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 20))
TM = SampleSignatory("Terry Manager", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 20))
ATM = SampleSignatory("Ash Deputy", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 20))
SM = SampleSignatory("Sue Senior", "Children's Social Care", signed="typed", signed_on=date(2026, 11, 20))
UNSIGNED = SampleSignatory("Terry Manager", "Children in Need Team 2", signed=None)
CHILD = SampleChild("Poppy Example", date(2014, 5, 14), "LCS900101", "Female", "CIN", "White British", "CIN - Y")
BASE = replace(CASES["ns-s20-single"], panel_date=None, social_worker=SW, team_manager=TM, service_manager=SM,
               children=(CHILD,))


def address(name: str) -> str:
    return name.lower().replace(" ", ".") + "@" + DOMAIN


def a_case(**changes: Any) -> SampleCase:
    """The good North Somerset-layout request, with what a test varies."""
    return replace(BASE, **changes)


def a_bexley_case(**changes: Any) -> SampleCase:
    base = replace(CASES["bexley-residential"], panel_date=None, social_worker=SW, team_manager=TM,
                   service_manager=SM, children=(replace(CHILD, disability=None),), family=())
    return replace(base, **changes)


def papers(child: str = "Poppy Example") -> list[tuple[str, bytes]]:
    return [("assessment.docx", supporting_document("Child and Family Assessment", child)),
            ("care-plan.docx", supporting_document("Care Plan", child)),
            ("genogram.docx", supporting_document("Genogram", child))]


def forwarded(from_name: str, words: str) -> str:
    """An email body forwarding a manager's agreement, as Outlook lays it out."""
    sent = format_datetime(NOW - timedelta(days=2))
    return (f"Please find the request attached, with my manager's agreement below.\n\n"
            f"-----Original Message-----\nFrom: {from_name} <{address(from_name)}>\nSent: {sent}\n"
            f"To: Sam Worker <{address('Sam Worker')}>\nSubject: Panel request\n\n{words}\n")


_counter = iter(range(1, 1_000_000))


def email(case: SampleCase, *, layout: str = "north-somerset", sender: str = "Sam Worker", body: str = "Request attached.",
          with_papers: bool = True, extra: list[tuple[str, bytes]] | None = None,
          sent: datetime = NOW - timedelta(hours=1), subject: str = "Panel request") -> bytes:
    form = bexley_form(case) if layout == "bexley" else north_somerset_form(case)
    name = "referral.docx" if layout == "bexley" else "request form.docx"
    files = [(name, form)] + (papers() if with_papers else []) + list(extra or [])
    who = SampleSignatory(sender)
    return compose_email(who, address(sender), subject, body, sent, files, f"<rules-{next(_counter)}@{DOMAIN}>")


@contextmanager
def service_for(tmp_path: Path, profile: str, now: datetime = NOW) -> Iterator[Service]:
    folder = tmp_path / profile
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(CONFIG.format(profile=profile))
    (folder / "staff.csv").write_text(STAFF)
    with open_service(load_config(folder / "config.toml"), clock=lambda: now) as svc:
        yield svc


def judge(tmp_path: Path, profile: str, raw: bytes, now: datetime = NOW) -> dict[str, Any]:
    """The stored submission for one email sent to ``profile``'s panel mailbox, as the contract's
    JSON object (what the rules are judged by), with the acknowledgement bodies queued for it."""
    with service_for(tmp_path, profile, now) as svc:
        outcome = svc.ingest_bytes(raw, source="test")
        assert outcome.submission is not None, outcome.error
        sub = outcome.submission
        acknowledgement = [r[0] for r in svc.store.conn.execute(
            "SELECT body FROM outgoing WHERE submission_id = ?", (sub.id,)).fetchall()]
        return {**sub.to_json(), "_acknowledgement": acknowledgement}


def codes(sub: dict[str, Any]) -> list[str]:
    return [f["code"] for f in sub["flags"]]


def detail(sub: dict[str, Any], code: str) -> str:
    return " ".join(f["detail"] for f in sub["flags"] if f["code"] == code)


F = TypeVar("F", bound=Callable[..., Any])


def proves(*pairs: str) -> Callable[[F], F]:
    """Marks the rules a test proves: ``@proves("north-somerset", "threshold", ...)`` (profile,
    rule id pairs).  docs/rules.md reads these from the source, so keep them literal."""
    def mark(fn: F) -> F:
        fn.proves = tuple(zip(pairs[::2], pairs[1::2]))  # type: ignore[attr-defined]
        return fn
    return mark
