"""Finding 9: backscatter.  Any outside sender got an acknowledgement echoing its subject (an
8 MB subject gave a 9.8 MB reply).  Only addresses in the council's own domains are answered
(``[mailbox] internal_domains``, else the staff directory's domains); others are kept and the
administrators told; a subject is quoted to 200 characters at most."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from carepanel.config import load_config
from carepanel.models import Signoff
from carepanel.store import StoredSubmission
from carepanel.service import open_service
from carepanel.demo.samples import north_somerset_form
from test_intake_e2e import GOOD, NOW, SW, config_for, papers
from carepanel.demo import compose_email


def _ingest(cfg, address: str, subject: str, mid: str):
    raw = compose_email(SW, address, "SUBJECT", "Attached.", NOW - timedelta(hours=1),
                        [("CRP request form.docx", north_somerset_form(GOOD))] + papers(), mid)
    raw = raw.replace(b"Subject: SUBJECT", b"Subject: " + subject.encode("ascii"), 1)  # unfolded, as a sender may
    with open_service(cfg, clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
        assert sub is not None
        return sub, svc.store.outgoing_for(sub.id)


def test_f9_an_outside_sender_is_kept_but_never_answered_and_administrators_are_told(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    sub, out = _ingest(cfg, "someone@forged.example", "CRP request " + "A" * 2_000_000, "<outside@forged.example>")
    assert sub is not None and sub.sender == "someone@forged.example"  # kept and judged
    assert all("someone@forged.example" not in o.recipients["to"] + o.recipients["cc"] for o in out)
    told = [o for o in out if o.kind == "warning"]
    assert len(told) == 1 and told[0].recipients["to"] == ["pat.admin@example.gov.uk"]
    assert len(told[0].subject) < 200


def test_f9_a_council_sender_is_answered_with_the_subject_quoted_to_200_characters(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    sub, out = _ingest(cfg, "sam.worker@example.gov.uk", "CRP request " + "A" * 100_000, "<inside@example.gov.uk>")
    acks = [o for o in out if o.kind.startswith("ack")]
    assert len(acks) == 1 and acks[0].recipients["to"] == ["sam.worker@example.gov.uk"]
    assert acks[0].subject.startswith("Re: CRP request AAA") and len(acks[0].subject) <= len("Re: ") + 200


def test_f9_internal_domains_in_the_config_decide_who_is_answered(tmp_path: Path) -> None:
    config_for(tmp_path)
    path = tmp_path / "config.toml"
    path.write_text(path.read_text().replace('backend = "folder"\npath = "data/inbox"',
                                             'backend = "folder"\npath = "data/inbox"\ninternal_domains = ["partner.nhs.uk"]', 1))
    cfg = load_config(path)
    assert cfg.mailbox.internal_domains == ("partner.nhs.uk",)
    _, out = _ingest(cfg, "nurse@ward.partner.nhs.uk", "CRP request", "<nhs@partner.nhs.uk>")
    # The sender is answered; the social worker named on the form, found in the staff directory
    # (never an address taken from the message), is told too (contract v2: "goes to both").
    assert [o.recipients["to"] for o in out if o.kind.startswith("ack")] == [
        ["nurse@ward.partner.nhs.uk", "sam.worker@example.gov.uk"]]
    _, out = _ingest(cfg, "sam.worker@example.gov.uk", "CRP request 2", "<sw2@example.gov.uk>")
    assert not [o for o in out if o.kind.startswith("ack")]


def test_f9_an_administrators_reply_quotes_the_subject_to_200_characters_too() -> None:
    from carepanel.outputs.notices import MAX_QUOTED_SUBJECT, administrator_reply

    sub = StoredSubmission(id="sub-1", message_id="<1@example.gov.uk>", received_at="2026-11-20T09:00:00+00:00",
                           sender="sam.worker@example.gov.uk", subject="CRP request\r\n" + "x" * 100_000,
                           status="flagged", panel_date=None, cutoff=None, flags=(), signoff=Signoff(None),
                           request=None, attachments=())
    notice = administrator_reply(sub, "reject-sub-1", "Not accepted.")
    assert notice.subject.startswith("Re: CRP request x")
    assert len(notice.subject) <= len("Re: ") + MAX_QUOTED_SUBJECT and "\n" not in notice.subject
