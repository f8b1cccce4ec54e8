"""Whole emails with real filled-in forms, through the same path as the service: every flag code
fires on the email that earns it and stays quiet on a good one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from carepanel.config import Config, load_config
from carepanel.demo import CONFIG, PANEL, STAFF, backup_settings, compose_email, supporting_document
from carepanel.demo.samples import CASES, SampleCase, SampleSignatory, north_somerset_form
from carepanel.models import Signoff
from carepanel.service import Service, open_service
from carepanel.store import StoredSubmission

# Monday 23 November 2026, 10:00 London: before the Friday 27th cut-off for Wednesday 2 December.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PANEL_DATE = date(2026, 12, 2)
SW = SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 20))
TM = SampleSignatory("Terry Manager", "Children in Need Team 2", signed="typed", signed_on=date(2026, 11, 20))
GOOD = replace(CASES["ns-s20-single"], panel_date=PANEL_DATE, social_worker=SW, team_manager=TM)
SW_ADDR, TM_ADDR = "sam.worker@example.gov.uk", "terry.manager@example.gov.uk"


def config_for(folder: Path, profile: str = "north-somerset") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(CONFIG.format(profile=profile, panel=PANEL) + backup_settings(folder))
    (folder / "staff.csv").write_text(STAFF)
    return load_config(folder / "config.toml")


@pytest.fixture
def service(tmp_path: Path):
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        yield svc


def papers(child: str = "Poppy Example", genogram: bool = True) -> list[tuple[str, bytes]]:
    files = [("assessment.docx", supporting_document("Child and Family Assessment", child)),
             ("care-plan.docx", supporting_document("Care Plan", child))]
    if genogram:
        files.append(("genogram.docx", supporting_document("Genogram", child)))
    return files


def email(case: SampleCase = GOOD, *, sender: str = SW_ADDR, files: list[tuple[str, bytes]] | None = None,
          extra: list[tuple[str, bytes]] = (), subject: str = "CRP request", key: str = "1",
          sent: datetime = NOW - timedelta(hours=1)) -> bytes:
    attached = [("CRP request form.docx", north_somerset_form(case))] + papers() if files is None else files
    who = SW if sender == SW_ADDR else TM
    return compose_email(who, sender, subject, "Request attached.", sent, attached + list(extra),
                         f"<e2e-{key}@example.gov.uk>")


def ingest(service: Service, raw: bytes) -> StoredSubmission:
    outcome = service.ingest_bytes(raw, source="test")
    assert outcome.submission is not None, outcome.error
    return outcome.submission


def codes(sub: StoredSubmission) -> list[str]:
    return [f.code for f in sub.flags]


def test_a_good_request_is_accepted_and_acknowledged(service: Service) -> None:
    sub = ingest(service, email())
    assert (sub.status, codes(sub), sub.panel_date) == ("accepted", [], "2026-12-02")
    assert sub.signoff.source == "form_signature"
    assert [a.role for a in sub.attachments] == ["request_form", "assessment", "care_plan", "genogram"]
    assert sub.request.children[0].child_id == "LCS900101"
    [ack] = service.store.outgoing_for(sub.id)
    assert ack.status == "sent"


@pytest.mark.parametrize("code, raw", [
    ("late", lambda: email(replace(GOOD, panel_date=date(2026, 11, 25)))),
    ("missing_fields", lambda: email(replace(GOOD, summary=replace(GOOD.summary, what_needs_to_change=None)))),
    ("no_manager_signoff", lambda: email(replace(GOOD, team_manager=replace(TM, signed=None)))),
    ("no_request_form", lambda: email(files=papers())),
    ("missing_documents", lambda: email(files=[("CRP request form.docx", north_somerset_form(GOOD))] + papers(genogram=False))),
    ("unreadable_attachment", lambda: email(extra=[("minutes.pdf", b"%PDF-1.7\n1 0 obj <<\nbroken")])),
    ("unsafe_attachment", lambda: email(extra=[("setup.exe", b"MZ\x90\x00" + b"\x00" * 200)])),
    ("out_of_scope", lambda: email(replace(GOOD, request="An Special Guardianship Order support package for Poppy's grandmother."))),
])
def test_each_flag_fires_on_the_email_that_earns_it(service: Service, code: str, raw) -> None:
    sub = ingest(service, raw())
    assert sub.status == "flagged"
    assert code in codes(sub)
    detail = next(f.detail for f in sub.flags if f.code == code)
    assert detail and "Traceback" not in detail
    [ack] = service.store.outgoing_for(sub.id)
    assert ack.subject.startswith("Re: ")


def test_below_threshold_fires_under_the_panels_limit(tmp_path: Path) -> None:
    cheap = replace(GOOD, request="Funding for a nursery place for Poppy, £10 per week for 10 weeks.",
                    weekly_cost=10.0, total_cost=100.0)
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = ingest(svc, email(cheap))
        dear = ingest(svc, email(replace(cheap, children=(replace(GOOD.children[0], child_id="LCS900999"),),
                                         weekly_cost=500.0, total_cost=26000.0,
                                         request="Funding for a nursery place, £500 per week for a year."), key="2"))
    assert "below_threshold" in codes(sub)
    assert "below_threshold" not in codes(dear)


def test_the_team_manager_sending_it_is_sign_off_enough(service: Service) -> None:
    sub = ingest(service, email(replace(GOOD, team_manager=replace(TM, signed=None)), sender=TM_ADDR))
    assert (sub.status, sub.signoff) == ("accepted", Signoff("sender_is_manager", TM_ADDR))


def test_a_later_form_for_the_same_child_and_panel_supersedes_the_earlier(service: Service) -> None:
    first = ingest(service, email(replace(GOOD, summary=replace(GOOD.summary, what_needs_to_change=None)), key="a"))
    second = ingest(service, email(key="b", sent=NOW - timedelta(minutes=5)))
    assert first.status == "flagged" and second.status == "accepted"
    assert service.store.submission(first.id).status == "superseded"
    assert [s.id for s in service.store.submissions(status="accepted")] == [second.id]


def test_the_same_message_twice_is_one_submission_and_one_acknowledgement(service: Service) -> None:
    raw = email()
    a, b = ingest(service, raw), ingest(service, raw)
    assert a.id == b.id
    assert len(service.store.submissions()) == 1
    assert len(service.store.outgoing_for(a.id)) == 1


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied", "Subject": "Automatic reply: Re: CRP request"},
    {"Precedence": "bulk"},
    {"From": "MAILER-DAEMON@example.gov.uk", "Return-Path": "<>"},
    {"From": "panel@example.gov.uk"},
    {"From": None},
])
def test_mail_from_machines_or_nobody_is_kept_but_never_answered(service: Service, headers: dict) -> None:
    """An out-of-office reply to an acknowledgement must not start a mail loop."""
    msg = email_message(email(files=[]))
    for name, value in headers.items():
        del msg[name]
        if value is not None:
            msg[name] = value
    sub = ingest(service, bytes(msg))
    assert sub.status == "flagged"
    assert service.store.outgoing_for(sub.id) == []


def test_an_ordinary_reply_is_answered(service: Service) -> None:
    sub = ingest(service, email(files=[]))
    assert len(service.store.outgoing_for(sub.id)) == 1


def email_message(raw: bytes):
    from email import message_from_bytes, policy
    return message_from_bytes(raw, policy=policy.default)
