"""Outlook items (.msg) attached to a request, through the service's own path (the sandboxed
reader included): their text is forwarded approval, their files are papers like any others."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from msgfile import MsgAttachment, MsgItem, msg
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, TM, TM_ADDR, config_for, papers

from carepanel.config import Config, load_config
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.models import Signoff
from carepanel.service import open_service
from carepanel.store import StoredSubmission

UNSIGNED = replace(GOOD, team_manager=replace(TM, signed=None))
APPROVED = datetime(2026, 11, 20, 16, 5, tzinfo=timezone.utc)
# A council whose policy takes the manager's agreement by email (as South Gloucestershire's does).
FORWARDED_OK = """
[[signoff.requires]]
role = "team_manager"
evidence = ["form_signature", "sender_is_manager", "forwarded_approval"]
"""


def council(tmp_path: Path) -> Config:
    config_for(tmp_path)
    with open(tmp_path / "config.toml", "a") as f:
        f.write(FORWARDED_OK)
    return load_config(tmp_path / "config.toml")


def approval(**kw: object) -> MsgItem:
    fields: dict[str, object] = {
        "subject": "RE: CRP request for Poppy", "sender_name": "Terry Manager", "sender_email": TM_ADDR, "sent": APPROVED,
        "body": "Hi Sam,\n\nI approve this request going to panel.\n\nTerry\nTeam Manager",
    }
    fields.update(kw)
    return MsgItem(**fields)  # type: ignore[arg-type]


def ingest(cfg: Config, files: list[tuple[str, bytes]], key: str) -> StoredSubmission:
    raw = compose_email(SW, SW_ADDR, "CRP request", "Request attached, with Terry's approval.", NOW - timedelta(hours=1),
                        files, f"<msg-{key}@example.gov.uk>")
    with open_service(cfg, clock=lambda: NOW) as svc:
        outcome = svc.ingest_bytes(raw, source="test")
    assert outcome.submission is not None, outcome.error
    return outcome.submission


def codes(sub: StoredSubmission) -> list[str]:
    return [f.code for f in sub.flags]


def form_and_papers(case=UNSIGNED) -> list[tuple[str, bytes]]:
    return [("CRP request form.docx", north_somerset_form(case))] + papers()


def docm() -> bytes:
    src = zipfile.ZipFile(io.BytesIO(north_somerset_form(GOOD)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, src.read(info))
        zf.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 macro")
    return out.getvalue()


def test_a_managers_approval_saved_as_msg_is_forwarded_approval(tmp_path: Path) -> None:
    sub = ingest(council(tmp_path), form_and_papers() + [("RE CRP request for Poppy.msg", msg(approval()))], "ok")
    assert (sub.status, codes(sub)) == ("accepted", [])
    assert sub.signoff == Signoff("forwarded_approval", TM_ADDR)
    # the item is evidence, not a paper: only the files are listed
    assert [a.role for a in sub.attachments] == ["request_form", "assessment", "care_plan", "genogram"]


def test_without_the_msg_the_unsigned_form_has_no_signoff(tmp_path: Path) -> None:
    sub = ingest(council(tmp_path), form_and_papers(), "none")
    assert "no_manager_signoff" in codes(sub)


def test_a_refusal_saved_as_msg_is_not_approval(tmp_path: Path) -> None:
    no = approval(body="Sam, I do not agree this should go to panel yet. Terry")
    sub = ingest(council(tmp_path), form_and_papers() + [("RE CRP.msg", msg(no))], "no")
    assert "no_manager_signoff" in codes(sub) and sub.signoff.source is None


def test_an_approval_from_someone_who_is_not_a_manager_does_not_count(tmp_path: Path) -> None:
    other = approval(sender_name="Alex Caseworker", sender_email="alex.caseworker@example.gov.uk")
    sub = ingest(council(tmp_path), form_and_papers() + [("RE CRP.msg", msg(other))], "sw")
    assert "no_manager_signoff" in codes(sub)


def test_an_ansi_msg_from_an_older_outlook_is_read_the_same(tmp_path: Path) -> None:
    old = approval(ansi=True, body="Sam \u2013 I\u2019m happy for this to go to panel, \u00a3450 a week is agreed.\r\nTerry")
    sub = ingest(council(tmp_path), form_and_papers() + [("approval.msg", msg(old))], "ansi")
    assert sub.signoff == Signoff("forwarded_approval", TM_ADDR), sub.flags


def test_an_exchange_sender_is_known_by_their_smtp_address(tmp_path: Path) -> None:
    x500 = "/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=TERRY.MANAGER"
    item = approval(sender_email=x500, addrtype="EX", sender_smtp="Terry.Manager@example.gov.uk")
    sub = ingest(council(tmp_path), form_and_papers() + [("approval.msg", msg(item))], "ex")
    assert sub.signoff == Signoff("forwarded_approval", TM_ADDR)


def test_an_approval_inside_a_forwarded_item_inside_the_msg_counts(tmp_path: Path) -> None:
    fwd = MsgItem(subject="FW: Poppy", sender_name="Sam Worker", sender_email=SW_ADDR, sent=APPROVED,
                  body="Forwarding Terry's approval.", attachments=[MsgAttachment("RE: CRP request", embedded=approval())])
    sub = ingest(council(tmp_path), form_and_papers() + [("FW Poppy.msg", msg(fwd))], "nested")
    assert sub.signoff == Signoff("forwarded_approval", TM_ADDR)
    assert sub.status == "accepted", sub.flags


def test_a_msg_carrying_the_form_and_papers_is_read_as_if_they_were_attached(tmp_path: Path) -> None:
    item = approval(attachments=[MsgAttachment(n, d, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
                                 for n, d in form_and_papers()])
    sub = ingest(council(tmp_path), [("RE CRP request for Poppy.msg", msg(item))], "form")
    assert (sub.status, codes(sub)) == ("accepted", [])
    assert sub.request.children[0].child_id == "LCS900101"
    assert sub.request.source.filename == "CRP request form.docx"
    assert [(a.filename, a.role) for a in sub.attachments] == [
        ("CRP request form.docx", "request_form"), ("assessment.docx", "assessment"),
        ("care-plan.docx", "care_plan"), ("genogram.docx", "genogram")]


@pytest.mark.parametrize("cut", ["half", "tail", "fat"])
def test_a_damaged_msg_is_unreadable_and_the_rest_of_the_email_is_still_read(tmp_path: Path, cut: str) -> None:
    data = msg(approval(attachments=[MsgAttachment("notes.txt", b"case notes " * 600)]))
    damaged = {"half": data[: len(data) // 2], "tail": data[:-700], "fat": data[:-512] + b"\xff" * 512}[cut]
    sub = ingest(council(tmp_path), form_and_papers(GOOD) + [("approval.msg", damaged)], cut)
    assert codes(sub) == ["unreadable_attachment"]
    detail = sub.flags[0].detail
    assert detail.startswith("approval.msg: the Outlook message is damaged") and "Traceback" not in detail
    assert sub.request.children[0].child_id == "LCS900101"  # the form beside it was read
    assert sub.signoff.source == "form_signature"


def test_a_macro_document_inside_a_msg_is_unsafe(tmp_path: Path) -> None:
    item = approval(attachments=[MsgAttachment("budget.docx", docm())])
    sub = ingest(council(tmp_path), form_and_papers(GOOD) + [("approval.msg", msg(item))], "docm")
    assert codes(sub) == ["unsafe_attachment"]
    assert sub.flags[0].detail.startswith("budget.docx: ")
    assert sub.request.children[0].child_id == "LCS900101"
