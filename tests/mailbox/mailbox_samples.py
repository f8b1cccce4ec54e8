"""Test emails built in code: fictional people, example.gov.uk addresses, no real data."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX_BYTES = b"PK\x03\x04" + b"fake docx body " * 20
PDF_BYTES = b"%PDF-1.7\n% fake pdf\n" + b"0" * 200

SW = "Sam Carter <Sam.Carter@example.gov.uk>"
TM = "Tom Jones <TM.Jones@example.gov.uk>"
PANEL = "CRP Panel <panel@example.gov.uk>"


def email(
    *,
    sender: str | None = SW,
    to: str = PANEL,
    subject: str = "CRP request - A Hart",
    body: str = "Please find attached the request form for panel.\n\nSam",
    message_id: str | None = "<req-1@mail.example.gov.uk>",
    date: str | None = "Fri, 20 Nov 2026 11:40:00 +0000",
    received: tuple[str, ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
) -> EmailMessage:
    msg = EmailMessage()
    for value in received:
        msg["Received"] = value
    for name, value in headers:
        msg[name] = value
    if sender is not None:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if date is not None:
        msg["Date"] = date
    if message_id is not None:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


def raw(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)


def with_docx(name: str = "CRP request form.docx", **kw: object) -> EmailMessage:
    msg = email(**kw)  # type: ignore[arg-type]
    msg.add_attachment(DOCX_BYTES, maintype="application", subtype=DOCX.split("/")[1], filename=name)
    return msg


OUTLOOK_FORWARD = """\
Hi panel admin,

Please see Tom's approval below; the form is attached.

Sam Carter
Social Worker

________________________________
From: Jones, Tom <TM.Jones@example.gov.uk>
Sent: 19 November 2026 16:02
To: Carter, Sam <Sam.Carter@example.gov.uk>
Subject: RE: Please approve CRP request for A Hart

Hi Sam,

I am happy for this to go to panel on 25 November.

Tom Jones
Team Manager

-----Original Message-----
From: Carter, Sam <Sam.Carter@example.gov.uk>
Sent: 19 November 2026 15:30
To: Jones, Tom <TM.Jones@example.gov.uk>
Subject: Please approve CRP request for A Hart

Tom, could you approve this request? I do not agree with the old plan.
"""

GMAIL_REPLY = """\
Forwarding Tom's reply for the panel.

On Thu, 19 Nov 2026 at 16:02, Tom Jones <
tm.jones@example.gov.uk> wrote:

> Agreed, go ahead.
>
> Tom
>
> On Thu, 19 Nov 2026 at 15:30, Sam Carter <sam.carter@example.gov.uk> wrote:
>> Can you approve? I cannot agree to leave things as they are.

Thanks, Sam
"""


def attached_approval() -> EmailMessage:
    """A social worker's email with the manager's approval attached as a message, which in
    turn carries the form."""
    inner = email(sender=TM, to=SW, subject="RE: A Hart request", message_id="<appr-1@mail.example.gov.uk>",
                  body="I approve this request.\n\nTom")
    inner.add_attachment(DOCX_BYTES, maintype="application", subtype=DOCX.split("/")[1], filename="form v2.docx")
    outer = email(body="Approval attached as an email.")
    outer.add_attachment(PDF_BYTES, maintype="application", subtype="pdf", filename="care plan.pdf")
    outer.add_attachment(inner)
    return outer
