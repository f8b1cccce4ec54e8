"""Whatever bytes arrive, parse_message returns a Message or raises MessageError, nothing else."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepanel.errors import MessageError
from carepanel.mailbox import parse_message
from carepanel.mailbox.filenames import safe_filename
from carepanel.models import Message
from mailbox_samples import GMAIL_REPLY, OUTLOOK_FORWARD, attached_approval, email, raw, with_docx


def _html_mail() -> EmailMessage:
    msg = email()
    msg.add_alternative("<p>Dear <b>panel</b></p><blockquote>On x, a@example.gov.uk wrote:<br>ok</blockquote>",
                        subtype="html")
    return msg


SAMPLES = [raw(m) for m in (with_docx(), attached_approval(), email(body=OUTLOOK_FORWARD),
                             email(body=GMAIL_REPLY), _html_mail())]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except MessageError:
        return
    assert isinstance(msg, Message)
    texts = [msg.subject, msg.body, msg.sender, msg.sender_name or "", msg.message_id, *msg.to, *msg.cc]
    texts += [q.text for q in msg.quoted] + [q.sender or "" for q in msg.quoted]
    texts += [a.filename for a in msg.attachments]
    for text in texts:
        text.encode("utf-8")  # nothing undecodable smuggled through
    assert msg.sender == msg.sender.lower()
    assert msg.message_id.startswith("<") and msg.message_id.endswith(">")
    assert all(a.filename == safe_filename(a.filename) for a in msg.attachments)
    assert all(d.tzinfo is not None for d in (msg.date, msg.received_at) if d is not None)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data: bytes) -> None:
    check(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40) | st.sampled_from(
                [b"\r\n", b"\r\n\r\n", b"--", b"=?utf-8?b?", b"; boundary=", b"Content-Type: message/rfc822\r\n",
                 b"Content-Transfer-Encoding: base64\r\n", b"\xff\xfe", b"=\r\n", b">", b"charset=utf-7"]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 300))]
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_emails(data: bytes) -> None:
    check(data)


HEADERS = ["From", "To", "Cc", "Sender", "Subject", "Date", "Message-ID", "Received", "Content-Type",
           "Content-Disposition", "Content-Transfer-Encoding", "Authentication-Results", "MIME-Version"]


@st.composite
def odd_headers(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 10))):
        name = draw(st.sampled_from(HEADERS))
        value = draw(st.text(max_size=80) | st.sampled_from([
            "=?utf-8?q?=E2=80?=", "=?x-unknown?b?AAAA?=", "<>", "\"unterminated <a@b", "a@b, , ;:@", "(((",
            "multipart/mixed; boundary=\"\"", "text/plain; charset*=utf-8''%ff%fe", "attachment; filename*0*=x",
            "Fri, 31 Feb 2026 25:61:00 +9999", "x; Mon, 1 Jan 0001 00:00:00 +0000", "spf=;dkim==;dmarc=fail"]))
        lines.append(name.encode() + b": " + value.encode("utf-8", "surrogatepass"))
    body = draw(st.binary(max_size=200))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@FUZZ
@given(odd_headers())
def test_odd_header_values(data: bytes) -> None:
    check(data)
