"""Outgoing mail: automatic-reply headers, threading, and atomic .eml files in the outbox."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from carepanel.clock import fixed_clock
from carepanel.config import OutboxConfig
from carepanel.errors import ConfigError
from carepanel.mailbox import FolderOutbox, Sender, build_email, parse_message

NOW = datetime(2026, 11, 20, 12, 5, 9, 123456, tzinfo=timezone.utc)
PANEL = "CRP Panel <panel@example.gov.uk>"


def outbox(tmp_path: Path) -> FolderOutbox:
    return FolderOutbox(OutboxConfig(backend="folder", path=tmp_path / "outbox", from_address=PANEL),
                        clock=fixed_clock(NOW))


def test_acknowledgement_is_an_auto_reply_threaded_under_the_request() -> None:
    msg = build_email(PANEL, ["sam.carter@example.gov.uk"], ["tm.jones@example.gov.uk", "SAM.CARTER@example.gov.uk"],
                      "Re: CRP request", "Received, thank you.", in_reply_to="<req-1@mail.example.gov.uk>",
                      references="<older@mail.example.gov.uk>", now=NOW)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == "<req-1@mail.example.gov.uk>"
    assert msg["References"] == "<older@mail.example.gov.uk> <req-1@mail.example.gov.uk>"
    assert msg["Cc"] == "tm.jones@example.gov.uk"  # the sender is not copied twice
    assert msg["Date"] == "Fri, 20 Nov 2026 12:05:09 +0000"
    assert re.fullmatch(r"<[^@>]+@example\.gov\.uk>", msg["Message-ID"])


def test_a_notice_that_answers_nothing_is_auto_generated() -> None:
    msg = build_email(PANEL, "dana.lloyd@example.gov.uk", subject="Papers for panel", text="Attached.")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] is None and msg["References"] is None


def test_html_alternative_and_attachments_with_safe_names() -> None:
    msg = build_email(PANEL, "x@example.gov.uk", subject="Pack", text="See pack.", html="<p>See pack.</p>",
                      attachments=[("../pack 25 Nov.pdf", b"%PDF-1.7", "application/pdf")])
    assert msg.get_content_type() == "multipart/mixed"
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == "pack 25 Nov.pdf"
    assert msg.get_body(("html",)) is not None


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError):
        build_email(PANEL, "x@example.gov.uk\r\nBcc: everyone@example.org", subject="x", text="y")
    assert build_email(PANEL, "x@example.gov.uk", subject="a\r\nBcc: b@example.org", text="y")["Bcc"] is None


def test_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="To address"):
        build_email(PANEL, [], subject="x", text="y")


def test_outbox_writes_a_parseable_eml_atomically(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    msg = build_email(PANEL, "sam.carter@example.gov.uk", subject="Re: CRP request – A Hart",
                      text="Received.", in_reply_to="<req-1@mail.example.gov.uk>")
    message_id = box.send(msg)
    [path] = list((tmp_path / "outbox").iterdir())
    assert re.fullmatch(r"20261120T120509123456Z-[0-9a-f]{16}\.eml", path.name)
    data = path.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["Message-ID"] == message_id
    ours = parse_message(data)
    assert (ours.subject, ours.body, ours.to) == ("Re: CRP request – A Hart", "Received.", ("sam.carter@example.gov.uk",))


def test_sending_the_same_message_id_again_writes_no_second_copy(tmp_path: Path) -> None:
    """A service killed after writing but before recording the send sends again on restart."""
    box = outbox(tmp_path)
    first = build_email(PANEL, "sam.carter@example.gov.uk", subject="s", text="t", message_id="<out-1.carepanel@example.gov.uk>")
    again = build_email(PANEL, "sam.carter@example.gov.uk", subject="s", text="t", message_id="<out-1.carepanel@example.gov.uk>")
    other = build_email(PANEL, "sam.carter@example.gov.uk", subject="s", text="t", message_id="<out-2.carepanel@example.gov.uk>")
    assert box.send(first) == box.send(again) == "<out-1.carepanel@example.gov.uk>"
    box.send(other)
    assert len(list((tmp_path / "outbox").iterdir())) == 2


def test_send_fills_in_a_missing_message_id_and_date(tmp_path: Path) -> None:
    msg = build_email(PANEL, "x@example.gov.uk", subject="s", text="t")
    del msg["Message-ID"], msg["Date"]
    message_id = outbox(tmp_path).send(msg)
    assert message_id.endswith("@example.gov.uk>")
    assert msg["Date"] == "Fri, 20 Nov 2026 12:05:09 +0000"


def test_folder_outbox_is_a_sender(tmp_path: Path) -> None:
    sender: Sender = outbox(tmp_path)
    assert sender.send(build_email(PANEL, "x@example.gov.uk", subject="s", text="t")).startswith("<")


def test_outbox_needs_a_folder() -> None:
    with pytest.raises(ConfigError, match="outbox.path"):
        FolderOutbox(OutboxConfig(backend="folder", path=None, from_address=PANEL))
