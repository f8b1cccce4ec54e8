"""parse_message: headers, times, bodies, attachments and attached messages."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from carepanel.errors import MessageError
from carepanel.mailbox import parse_message
from mailbox_samples import DOCX, DOCX_BYTES, PDF_BYTES, TM, attached_approval, email, raw, with_docx

RELAY = "from mx1.example.gov.uk (mx1.example.gov.uk [192.0.2.10]) by mail.example.gov.uk"


def test_plain_message_with_docx() -> None:
    data = raw(with_docx())
    msg = parse_message(data)
    assert msg.sha256 == hashlib.sha256(data).hexdigest()
    assert msg.message_id == "<req-1@mail.example.gov.uk>"
    assert (msg.sender, msg.sender_name) == ("sam.carter@example.gov.uk", "Sam Carter")
    assert msg.to == ("panel@example.gov.uk",)
    assert msg.subject == "CRP request - A Hart"
    assert msg.body.startswith("Please find attached the request form")
    [att] = msg.attachments
    assert (att.filename, att.content_type, att.data, att.forwarded) == ("CRP request form.docx", DOCX, DOCX_BYTES, False)
    assert att.sha256 == hashlib.sha256(DOCX_BYTES).hexdigest()
    assert msg.quoted == ()


def test_attached_rfc822_approval_and_its_own_attachment() -> None:
    msg = parse_message(raw(attached_approval()))
    assert [(q.sender, q.text) for q in msg.quoted] == [("tm.jones@example.gov.uk", "I approve this request.\n\nTom")]
    assert [(a.filename, a.forwarded) for a in msg.attachments] == [("care plan.pdf", False), ("form v2.docx", True)]
    assert msg.attachments[1].data == DOCX_BYTES
    assert msg.body == "Approval attached as an email."


def test_eml_file_sent_as_octet_stream_is_read_as_a_message() -> None:
    inner = with_docx(sender=TM, body="Approved - Tom", name="form.docx")
    outer = email(body="See attached approval.")
    outer.add_attachment(raw(inner), maintype="application", subtype="octet-stream", filename="Approval.EML")
    msg = parse_message(raw(outer))
    assert [(q.sender, q.text) for q in msg.quoted] == [("tm.jones@example.gov.uk", "Approved - Tom")]
    assert [(a.filename, a.forwarded) for a in msg.attachments] == [("form.docx", True)]


def test_eml_named_file_that_is_not_an_email_stays_an_attachment() -> None:
    outer = email()
    outer.add_attachment(b"%PDF-1.4 not an email", maintype="application", subtype="octet-stream", filename="x.eml")
    msg = parse_message(raw(outer))
    assert [a.filename for a in msg.attachments] == ["x.eml"]
    assert msg.quoted == ()


def test_base64_encoded_rfc822_part_is_decoded() -> None:
    inner = b"From: tm.jones@example.gov.uk\r\nSubject: ok\r\n\r\nI agree.\r\n"
    import base64

    data = (
        b"From: sam.carter@example.gov.uk\r\nMessage-ID: <b64@example.gov.uk>\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
        b"--XX\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(inner) + b"--XX--\r\n"
    )
    msg = parse_message(data)
    assert [(q.sender, q.text) for q in msg.quoted] == [("tm.jones@example.gov.uk", "I agree.")]


def test_missing_message_id_is_synthesised_from_the_bytes() -> None:
    data = raw(email(message_id=None))
    sha = hashlib.sha256(data).hexdigest()
    assert parse_message(data).message_id == f"<{sha}@carepanel.invalid>"
    assert parse_message(data).message_id == parse_message(data).message_id


def test_message_id_without_brackets_gets_them() -> None:
    data = raw(email(message_id=None, headers=(("Message-ID", "abc.123@example.gov.uk"),)))
    assert parse_message(data).message_id == "<abc.123@example.gov.uk>"


def test_missing_from_gives_empty_sender() -> None:
    msg = parse_message(raw(email(sender=None)))
    assert (msg.sender, msg.sender_name) == ("", None)


def test_topmost_received_header_wins_with_its_offset() -> None:
    received = (
        f"{RELAY} with ESMTPS id ab12; Fri, 20 Nov 2026 12:01:30 +0100 (CET)",
        "from laptop by mx1.example.gov.uk; Fri, 20 Nov 2026 10:30:00 +0000",
        "from x by y; Thu, 19 Nov 2026 09:00:00 -0500",
    )
    msg = parse_message(raw(email(received=received)))
    assert msg.received_at == datetime(2026, 11, 20, 11, 1, 30, tzinfo=timezone.utc)
    assert msg.received_at.utcoffset() == timedelta(hours=1)
    assert msg.date == datetime(2026, 11, 20, 11, 40, tzinfo=timezone.utc)


def test_received_without_date_falls_back_to_date_header() -> None:
    msg = parse_message(raw(email(received=("from a by b with SMTP id 1",))))
    assert msg.received_at == datetime(2026, 11, 20, 11, 40, tzinfo=timezone.utc)


def test_garbled_topmost_received_date_falls_back_to_date_header() -> None:
    msg = parse_message(raw(email(received=("from a by b; not a date at all", "from c by d; Fri, 20 Nov 2026 09:00:00 +0000"))))
    assert msg.received_at == msg.date


def test_explicit_received_at_wins_and_minus_zero_zone_is_utc() -> None:
    when = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    msg = parse_message(raw(email(date="Fri, 20 Nov 2026 11:40:00 -0000")), received_at=when)
    assert msg.received_at == when
    assert msg.date == datetime(2026, 11, 20, 11, 40, tzinfo=timezone.utc)


def test_no_dates_at_all() -> None:
    msg = parse_message(raw(email(date=None)))
    assert (msg.date, msg.received_at) == (None, None)


def test_naive_received_at_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_message(raw(email()), received_at=datetime(2026, 11, 20, 12, 0))


@pytest.mark.parametrize(
    ("value", "spf", "dkim", "dmarc", "spoofed"),
    [
        ("mx.example.gov.uk; spf=pass smtp.mailfrom=example.gov.uk; dkim=pass header.d=example.gov.uk; "
         "dmarc=pass header.from=example.gov.uk", "pass", "pass", "pass", False),
        ("mx.example.gov.uk; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.gov.uk;"
         "dkim=none (message not signed);dmarc=fail action=quarantine header.from=example.gov.uk",
         "pass", "none", "fail", True),
        ("mx; dkim=fail header.d=list.example.org; dkim=pass header.d=example.gov.uk; spf=softfail",
         "softfail", "pass", None, True),
    ],
)
def test_authentication_results(value: str, spf: str, dkim: str, dmarc: str | None, spoofed: bool) -> None:
    headers = (("Authentication-Results", value), ("Authentication-Results", "mx; spf=pass; dmarc=pass"))
    auth = parse_message(raw(email(headers=headers))).auth
    assert (auth.spf, auth.dkim, auth.dmarc, auth.spoofed) == (spf, dkim, dmarc, spoofed)


def test_only_the_topmost_authentication_results_count() -> None:
    headers = (("Authentication-Results", "mx; dmarc=pass"), ("Authentication-Results", "evil; dmarc=fail"))
    assert parse_message(raw(email(headers=headers))).auth.dmarc == "pass"


def test_no_authentication_results() -> None:
    auth = parse_message(raw(email())).auth
    assert (auth.spf, auth.dkim, auth.dmarc, auth.spoofed) == (None, None, None, False)


def test_non_utf8_body_and_encoded_headers() -> None:
    data = (
        "From: =?iso-8859-1?q?Zo=EB_Bront=EB?= <Zoe.Bronte@Example.gov.uk>\r\n"
        "To: panel@example.gov.uk\r\nSubject: =?windows-1252?q?Caf=E9_=96_request?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + "Costs £850 – “weekly”.\r\n".encode("cp1252")
    msg = parse_message(data)
    assert (msg.sender, msg.sender_name) == ("zoe.bronte@example.gov.uk", "Zoë Brontë")
    assert msg.subject == "Café – request"
    assert msg.body == "Costs £850 – “weekly”."


def test_latin1_label_on_windows_1252_text_keeps_curly_quotes() -> None:
    data = b"From: a@example.gov.uk\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\x93yes\x94\r\n"
    assert parse_message(data).body == "“yes”"


def test_unknown_charset_and_raw_8bit_headers_never_leak_surrogates() -> None:
    data = (b"From: J\xf6rg <j@example.gov.uk>\r\nSubject: Gr\xfc\xdfe \xe2\x80\x93 ok\r\n"
            b"Content-Type: text/plain; charset=x-made-up\r\n\r\nna\xefve caf\xc3\xa9\r\n")
    msg = parse_message(data)
    for text in (msg.subject, msg.body, msg.sender_name or ""):
        text.encode("utf-8")  # no lone surrogates
    assert msg.subject.endswith("– ok")
    assert msg.body == "naïve cafÃ©"  # not UTF-8 throughout, so read as Windows-1252


def test_html_only_body_is_stripped_to_text() -> None:
    msg = EmailMessage()
    msg["From"] = "sam.carter@example.gov.uk"
    msg["Subject"] = "html"
    msg.set_content("<html><head><style>p{color:red}</style></head><body><p>Dear panel,</p>"
                    "<p>Costs&nbsp;&pound;850 &amp; more<br>Thanks</p><script>x()</script></body></html>",
                    subtype="html")
    assert parse_message(raw(msg)).body == "Dear panel,\n\nCosts £850 & more\nThanks"


def test_plain_text_preferred_over_html_alternative() -> None:
    msg = email(body="plain words")
    msg.add_alternative("<p>html words</p>", subtype="html")
    assert parse_message(raw(msg)).body == "plain words"


def test_inline_image_and_text_attachment_are_attachments() -> None:
    msg = email()
    msg.add_attachment(b"\x89PNG fake", maintype="image", subtype="png")
    msg.add_attachment("a,b\n", subtype="csv", filename="costs.csv")
    msg.add_attachment("notes", disposition="attachment")
    atts = parse_message(raw(msg)).attachments
    assert [(a.filename, a.content_type) for a in atts] == [
        ("attachment.bin", "image/png"), ("costs.csv", "text/csv"), ("attachment.bin", "text/plain")]


def test_rfc2231_and_encoded_word_filenames() -> None:
    data = (
        b"From: a@example.gov.uk\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''..%2F..%2Fplan%20de%20s%C3%A9jour.docx\r\n\r\nAAAA\r\n"
        b"--B\r\nContent-Type: application/octet-stream; name=\"=?UTF-8?B?w6lsw6h2ZS5wZGY=?=\"\r\n\r\nAAAA\r\n"
        b"--B--\r\n"
    )
    assert [a.filename for a in parse_message(data).attachments] == ["plan de séjour.docx", "élève.pdf"]


def test_size_limit() -> None:
    data = raw(with_docx())
    with pytest.raises(MessageError, match="over the limit"):
        parse_message(data, max_bytes=len(data) - 1)
    assert parse_message(data, max_bytes=len(data)).attachments


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", b"\x00\x01\x02garbage"])
def test_not_an_email(data: bytes) -> None:
    with pytest.raises(MessageError):
        parse_message(data)


def test_deeply_nested_multiparts_are_refused_not_crashed() -> None:
    depth = 1200
    head = b"From: a@example.gov.uk\r\n"
    opens = b"".join(b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    closes = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    with pytest.raises(MessageError, match="nested|parts"):
        parse_message(head + opens + b"Content-Type: text/plain\r\n\r\nhi" + closes)


def test_moderately_nested_multiparts_beyond_our_limit_are_refused() -> None:
    depth = 40
    head = b"From: a@example.gov.uk\r\n"
    opens = b"".join(b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    closes = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    with pytest.raises(MessageError, match="nested"):
        parse_message(head + opens + b"Content-Type: text/plain\r\n\r\nhi" + closes)


def test_delivery_report_parts_are_not_attachments() -> None:
    data = (b"From: postmaster@example.gov.uk\r\nContent-Type: multipart/report; boundary=R\r\n\r\n"
            b"--R\r\nContent-Type: text/plain\r\n\r\nUndeliverable\r\n"
            b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nAction: failed\r\n"
            b"--R--\r\n")
    msg = parse_message(data)
    assert (msg.body.strip(), msg.attachments) == ("Undeliverable", ())


def test_attachment_body_with_broken_base64_still_yields_bytes() -> None:
    data = (b"From: a@example.gov.uk\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: application/pdf; name=f.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"JVBERi0x!!!LjQ=\r\n--B--\r\n")
    [att] = parse_message(data).attachments
    assert att.filename == "f.pdf" and isinstance(att.data, bytes)


def test_pdf_attachment_bytes_roundtrip() -> None:
    msg = email()
    msg.add_attachment(PDF_BYTES, maintype="application", subtype="pdf", filename="plan.pdf")
    assert parse_message(raw(msg)).attachments[0].data == PDF_BYTES


def test_regression_base64_rfc822_part_with_8bit_junk() -> None:
    data = (b"From: a@example.gov.uk\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
            b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\x80\r\n--B--\r\n")
    assert parse_message(data).sender == "a@example.gov.uk"


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b"\r\n\r\n", b"From sam.carter@example.gov.uk Fri Nov 20 11:00:00 2026\r\n"])
def test_bom_blank_lines_and_mbox_from_line_before_the_headers(prefix: bytes) -> None:
    msg = parse_message(prefix + raw(email()))
    assert (msg.sender, msg.subject) == ("sam.carter@example.gov.uk", "CRP request - A Hart")


def test_smime_signature_is_not_an_attachment() -> None:
    data = (b"From: a@example.gov.uk\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
            b" micalg=sha-256; boundary=S\r\n\r\n--S\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
            b"--M\r\nContent-Type: text/plain\r\n\r\nForm attached.\r\n--M\r\nContent-Type: application/pdf; name=form.pdf\r\n"
            b"\r\n%PDF-1.7\r\n--M--\r\n\r\n--S\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\nMIIG\r\n--S--\r\n")
    msg = parse_message(data)
    assert msg.body == "Form attached."
    assert [a.filename for a in msg.attachments] == ["form.pdf"]


def test_hostile_blockquote_nesting_stays_small() -> None:
    msg = email()
    msg.clear_content()
    msg.set_content("<blockquote>" * 50_000 + "<br>" * 50_000, subtype="html")
    assert len(parse_message(raw(msg)).body) < 2_000_000
