"""Reading Outlook .msg files: the test writer checked against olefile, then the reader on every
kind of item and every kind of damage, each ending in an item or a flag."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timezone

import olefile
import pytest
from msgfile import MsgAttachment, MsgItem, msg

from carepanel import parsers
from carepanel.config import Limits
from carepanel.profiles import load_profile
from carepanel.errors import (
    DocumentError,
    NotARequestForm,
    UnreadableAttachment,
    UnsafeAttachment,
)
from carepanel.mailbox.message import parse_message
from carepanel.parsers.outlook import MAX_DEPTH, read_outlook, walk
from carepanel.parsers.sandbox import SandboxedReader
from carepanel.formats.sniff import sniff_format
from carepanel.demo.samples import CASES, north_somerset_form

LIMITS = Limits(max_message_bytes=30 << 20, max_attachment_bytes=20 << 20, max_pages=50,
                max_decompressed_bytes=100 << 20, parse_timeout_seconds=30)
SENT = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
BIG = bytes(random.Random(7).randbytes(20_000))  # past the 4096-byte mini-stream cut-off


def item(**kw: object) -> MsgItem:
    fields: dict[str, object] = {"subject": "RE: Poppy \u2013 panel", "sender_name": "Terry Manager",
                                 "sender_email": "terry.manager@example.gov.uk", "sent": SENT,
                                 "body": "I approve this going to panel.\r\nTerry"}
    fields.update(kw)
    return MsgItem(**fields)  # type: ignore[arg-type]


def test_the_test_writer_makes_compound_files_olefile_reads_without_complaint() -> None:
    data = msg(item(to=("panel@example.gov.uk",), attachments=[MsgAttachment("big.bin", BIG), MsgAttachment("a.txt", b"small")]))
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)  # strict: any defect raises
    names = {"/".join(p) for p in ole.listdir(streams=True, storages=True)}
    assert {"__properties_version1.0", "__nameid_version1.0", "__recip_version1.0_#00000000",
            "__attach_version1.0_#00000001/__substg1.0_37010102"} <= names
    assert ole.openstream("__attach_version1.0_#00000000/__substg1.0_37010102").read() == BIG
    assert ole.openstream("__substg1.0_0037001F").read().decode("utf-16-le") == "RE: Poppy \u2013 panel"
    assert sniff_format(data) == "msg"


def test_an_items_sender_time_subject_body_and_files_are_read() -> None:
    data = msg(item(attachments=[MsgAttachment("big.bin", BIG, "application/pdf"), MsgAttachment("Care plan \u00e9.docx", b"x")]))
    got = read_outlook("approval.msg", data, limits=LIMITS)
    assert (got.subject, got.sender, got.sender_name, got.sent) == ("RE: Poppy \u2013 panel", "terry.manager@example.gov.uk",
                                                                    "Terry Manager", SENT)
    assert got.body == "I approve this going to panel.\nTerry"
    assert [(f.filename, f.content_type, f.data) for f in got.files] == [
        ("big.bin", "application/pdf", BIG), ("Care plan \u00e9.docx", "application/octet-stream", b"x")]


def test_ansi_strings_are_read_in_the_items_code_page() -> None:
    got = read_outlook("old.msg", msg(item(ansi=True, body="\u00a3450 a week \u2013 I\u2019m happy", attachments=[MsgAttachment("\u00e9t\u00e9.pdf", b"%PDF")])),
                       limits=LIMITS)
    assert (got.subject, got.body, got.files[0].filename) == ("RE: Poppy \u2013 panel", "\u00a3450 a week \u2013 I\u2019m happy", "\u00e9t\u00e9.pdf")


def test_an_html_only_body_is_read_as_text_and_delivery_time_stands_in_for_sent() -> None:
    got = read_outlook("h.msg", msg(item(body=None, sent=None, delivered=SENT, html="<div><p>I <b>agree</b>.</p><p>Terry</p></div>")),
                       limits=LIMITS)
    assert got.body.split() == ["I", "agree.", "Terry"] and got.sent == SENT


def test_the_smtp_address_is_preferred_to_an_exchange_one_and_sent_representing_is_the_fallback() -> None:
    ex = read_outlook("x.msg", msg(item(sender_email="/O=EXCHANGELABS/OU=X/CN=TERRY", addrtype="EX", sender_smtp="Terry@Example.gov.uk")),
                      limits=LIMITS)
    assert ex.sender == "terry@example.gov.uk"
    rep = read_outlook("r.msg", msg(item(sender_email="", representing_email="grace.okafor@example.gov.uk")), limits=LIMITS)
    assert rep.sender == "grace.okafor@example.gov.uk"
    none = read_outlook("n.msg", msg(item(sender_email="/O=EX/CN=X", addrtype="EX")), limits=LIMITS)
    assert none.sender is None


def nested(depth: int) -> MsgItem:
    inner = item(subject="level 0", attachments=[MsgAttachment("deep.txt", b"deep")])
    for level in range(1, depth + 1):
        inner = item(subject=f"level {level}", attachments=[MsgAttachment(f"item {level}", embedded=inner)])
    return inner


def test_an_item_within_an_item_is_read_with_its_own_files() -> None:
    got = read_outlook("fw.msg", msg(nested(2)), limits=LIMITS)
    assert got.subject == "level 2" and got.items[0].subject == "level 1" and got.items[0].items[0].subject == "level 0"
    assert [f.filename for f in walk(got)] == ["deep.txt"]


def test_items_nested_past_the_limit_are_refused() -> None:
    read_outlook("ok.msg", msg(nested(MAX_DEPTH)), limits=LIMITS)
    with pytest.raises(UnreadableAttachment, match="nested"):
        read_outlook("deep.msg", msg(nested(MAX_DEPTH + 1)), limits=LIMITS)


def test_an_item_carrying_a_word_97_document_is_still_an_outlook_item() -> None:
    doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\0" * 600
    data = msg(item(attachments=[MsgAttachment("old form.doc", doc)]))
    assert sniff_format(data) == "msg"
    assert read_outlook("a.msg", data, limits=LIMITS).files[0].data == doc


GOOD_MSG = msg(item(attachments=[MsgAttachment("notes.txt", b"case notes " * 800)]))


@pytest.mark.parametrize("name, damaged", [
    ("truncated to half", GOOD_MSG[: len(GOOD_MSG) // 2]),
    ("last sectors missing", GOOD_MSG[:-700]),
    ("FAT overwritten", GOOD_MSG[:-512] + b"\xff" * 512),
    ("header only", GOOD_MSG[:512]),
    ("garbage after the header", GOOD_MSG[:512] + random.Random(1).randbytes(len(GOOD_MSG) - 512)),
    ("a compound file that is no item", GOOD_MSG.replace(
        "__properties_version1.0".encode("utf-16-le"), "__something_else_10.0__".encode("utf-16-le"))),
])
def test_a_damaged_msg_is_unreadable_never_a_traceback(name: str, damaged: bytes) -> None:
    with pytest.raises(UnreadableAttachment):
        read_outlook("approval.msg", damaged, limits=LIMITS)


def test_random_damage_ends_in_an_item_or_an_unreadable_flag() -> None:
    rnd = random.Random(2026)
    for _ in range(150):
        data = bytearray(GOOD_MSG)
        for _ in range(rnd.randint(1, 30)):
            data[rnd.randrange(512, len(data))] = rnd.randrange(256)
        try:
            read_outlook("approval.msg", bytes(data), limits=LIMITS)
        except UnreadableAttachment:
            pass


def test_the_size_limits_of_the_config_apply() -> None:
    small = Limits(max_message_bytes=1 << 20, max_attachment_bytes=1 << 20, max_pages=5,
                   max_decompressed_bytes=10_000, parse_timeout_seconds=5)
    with pytest.raises(UnreadableAttachment, match="size limit"):
        read_outlook("a.msg", msg(item(attachments=[MsgAttachment("big.bin", BIG)])), limits=small)
    tiny = Limits(max_message_bytes=1 << 20, max_attachment_bytes=2000, max_pages=5,
                  max_decompressed_bytes=1 << 20, parse_timeout_seconds=5)
    with pytest.raises(UnreadableAttachment, match="larger than"):
        read_outlook("a.msg", GOOD_MSG, limits=tiny)


# --------------------------------------------------------------------------- as a request form

FORM = north_somerset_form(CASES["ns-s20-single"])
NS = load_profile("north-somerset")


def read(name: str, data: bytes):
    return parsers.read_request(name, data, profile=NS, limits=LIMITS, today=date(2026, 11, 23))


def test_a_form_inside_a_msg_is_read_as_the_request_and_names_the_msg() -> None:
    data = msg(item(attachments=[MsgAttachment("notes.txt", b"notes"), MsgAttachment("CRP request form.docx", FORM)]))
    request = read("approval.msg", data)
    assert request.children[0].child_id == "LCS900101" and request.form == "north-somerset"
    assert (request.source.filename, request.source.format) == ("approval.msg", "msg")
    assert any("CRP request form.docx" in w for w in request.warnings)


def test_a_form_in_an_item_within_the_msg_is_found() -> None:
    inner = item(attachments=[MsgAttachment("CRP request form.docx", FORM)])
    assert read("fw.msg", msg(item(attachments=[MsgAttachment("RE", embedded=inner)]))).children[0].child_id == "LCS900101"


def test_an_approval_alone_is_not_a_request_form() -> None:
    with pytest.raises(NotARequestForm, match="Outlook"):
        read("approval.msg", msg(item()))


def test_a_macro_document_inside_is_unsafe_when_there_is_no_form() -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types><Default ContentType='application/vnd.ms-word.document.macroEnabled.main+xml'/></Types>")
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/vbaProject.bin", b"macro")
    macro = buf.getvalue()
    with pytest.raises(UnsafeAttachment, match="inside the Outlook message"):
        read("approval.msg", msg(item(attachments=[MsgAttachment("budget.docx", macro)])))


def test_a_msg_read_in_the_sandboxed_worker_comes_back_whole() -> None:
    data = msg(nested(1))
    with SandboxedReader(memory_mb=1024, timeout_seconds=60) as reader:
        got = reader.outlook("fw.msg", data, limits=LIMITS)
        assert got == read_outlook("fw.msg", data, limits=LIMITS)
        with pytest.raises(DocumentError) as err:
            reader.outlook("bad.msg", data[:-700], limits=LIMITS)
    assert err.value.code == "unreadable_attachment"


# --------------------------------------------------------------------------- in a mail


def mail(files: list[tuple[str, bytes]]) -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Sam Worker <sam.worker@example.gov.uk>", "panel@example.gov.uk", "CRP"
    m["Message-ID"] = "<m@example.gov.uk>"
    m.set_content("See attached.")
    for name, data in files:
        m.add_attachment(data, maintype="application", subtype="vnd.ms-outlook", filename=name)
    return bytes(m)


def open_here(name: str, data: bytes):
    return read_outlook(name, data, limits=LIMITS)


def test_in_a_mail_the_items_words_are_quoted_and_its_files_attached_as_forwarded() -> None:
    eml = (b"From: Grace Okafor <grace.okafor@example.gov.uk>\r\nTo: sam.worker@example.gov.uk\r\nSubject: ok\r\n"
           b"Date: Fri, 20 Nov 2026 10:00:00 +0000\r\n\r\nI agree, Grace\r\n")
    saved = msg(item(sender_email="jordan.senior@example.gov.uk", body="Agreed. Jordan", attachments=[MsgAttachment("costs.pdf", b"%PDF")]))
    data = msg(item(attachments=[MsgAttachment("plan.docx", b"plan"), MsgAttachment("grace.eml", eml), MsgAttachment("Jordan.msg", saved)]))
    got = parse_message(mail([("RE Poppy.msg", data), ("form.docx", b"form")]), open_outlook=open_here)
    assert [(q.sender, q.text) for q in got.quoted] == [
        ("terry.manager@example.gov.uk", "I approve this going to panel.\nTerry"), ("grace.okafor@example.gov.uk", "I agree, Grace"),
        ("jordan.senior@example.gov.uk", "Agreed. Jordan")]
    assert [(a.filename, a.forwarded) for a in got.attachments] == [("plan.docx", True), ("costs.pdf", True), ("form.docx", False)]


def test_without_a_reader_or_when_it_fails_the_msg_stays_one_attachment() -> None:
    raw = mail([("RE Poppy.msg", msg(item()))])
    assert [a.filename for a in parse_message(raw).attachments] == ["RE Poppy.msg"]
    broken = mail([("RE Poppy.msg", msg(item())[:-700])])
    got = parse_message(broken, open_outlook=open_here)
    assert [a.filename for a in got.attachments] == ["RE Poppy.msg"] and got.quoted == ()

    def faulty(name: str, data: bytes):
        raise RuntimeError("a bug in the reader")

    assert [a.filename for a in parse_message(raw, open_outlook=faulty).attachments] == ["RE Poppy.msg"]
