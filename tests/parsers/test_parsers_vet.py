"""vet.py and sniff.py: what is refused before any reader opens a file, and why."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import replace

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from reportlab.pdfgen import canvas

from carepanel import parsers
from carepanel.config import Limits
from carepanel.errors import NotARequestForm, UnreadableAttachment, UnsafeAttachment
from carepanel.formats.sniff import OLE_MAGIC, sniff_format
from carepanel.parsers.vet import vet
from carepanel.demo.samples import sample_form

from formfill import Read
from formfill import limits, profiles, read  # noqa: F401  (fixtures)


def a_form() -> bytes:
    return sample_form("ns-s20-single")[1]


def rezip(data: bytes, add: dict[str, bytes] | None = None, edit: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (edit or {}).get(info.filename, src.read(info)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def pdf(pages: list[str], *, draw_only: bool = False) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for text in pages:
        if draw_only:
            c.rect(100, 100, 200, 200, fill=1)
        else:
            for i, line in enumerate(text.split("\n")):
                c.drawString(72, 720 - 16 * i, line)
        c.showPage()
    c.save()
    return out.getvalue()


def encrypted(data: bytes, user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_good_form_passes(limits: Limits) -> None:
    assert vet("form.docx", a_form(), limits) == "docx"


def test_zip_bomb_by_ratio_is_unsafe(read: Read) -> None:
    bomb = rezip(a_form(), add={"word/media/padding.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(UnsafeAttachment, match="archive bomb"):
        read("form.docx", bomb)


def test_zip_bomb_by_total_size_is_unsafe(limits: Limits) -> None:
    data = rezip(a_form(), add={f"word/media/{i}.bin": os.urandom(300_000) for i in range(4)})
    with pytest.raises(UnsafeAttachment, match="expands to more than"):
        vet("form.docx", data, replace(limits, max_decompressed_bytes=1024 * 1024))


def test_macro_project_is_unsafe(read: Read) -> None:
    with pytest.raises(UnsafeAttachment, match="macros"):
        read("form.docx", rezip(a_form(), add={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}))


def test_macro_enabled_content_type_is_unsafe(read: Read) -> None:
    data = a_form()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
    docm = rezip(data, edit={"[Content_Types].xml": types})
    assert sniff_format(docm) == "docm"
    with pytest.raises(UnsafeAttachment, match="macros"):
        read("form.docx", docm)


@pytest.mark.parametrize("data", [b"MZ\x90\x00\x03" + os.urandom(200), b"\x7fELF\x02\x01\x01" + os.urandom(200),
                                  b"#!/bin/sh\nrm -rf /\n", b"@echo off\r\ndel *.*\r\n"])
def test_programs_named_as_forms_are_unsafe(data: bytes, read: Read) -> None:
    with pytest.raises(UnsafeAttachment, match="program or script"):
        read("form.docx", data)


def test_a_form_named_as_a_program_is_unsafe(read: Read) -> None:
    with pytest.raises(UnsafeAttachment):
        read("form.docx.exe", a_form())


def test_password_protected_pdf_is_unreadable(read: Read) -> None:
    with pytest.raises(UnreadableAttachment, match="password-protected"):
        read("form.pdf", encrypted(pdf(["Child's name: Test"]), user="secret", owner="owner"))


def test_pdf_with_only_an_owner_password_is_read(read: Read) -> None:
    data = encrypted(pdf(["Child's name: Amy Test\nRequest to panel: respite"]), user="", owner="owner")
    request = read("form.pdf", data)
    assert request.form is None
    assert [c.name for c in request.children] == ["Amy Test"]


def test_pdf_that_is_not_a_form(read: Read) -> None:
    with pytest.raises(NotARequestForm):
        read("minutes.pdf", pdf(["Minutes of the meeting held on Tuesday"]))


def test_pdf_with_no_text_is_unreadable(read: Read) -> None:
    with pytest.raises(UnreadableAttachment, match="no text"):  # OCR finds none either
        read("scan.pdf", pdf(["", ""], draw_only=True))


def test_pdf_with_too_many_pages_is_unreadable(limits: Limits) -> None:
    with pytest.raises(UnreadableAttachment, match="more than the 3-page limit"):
        vet("long.pdf", pdf(["page"] * 5), replace(limits, max_pages=3))


@pytest.mark.parametrize("action, said", [
    ({"/S": "/JavaScript", "/JS": "app.alert('hi');"}, "runs JavaScript"),
    ({"/S": "/Launch", "/F": "calc.exe"}, "launches a program"),
])
def test_pdf_that_runs_code_on_opening_is_read_as_text_only_and_shown_without_it(
        read: Read, action: dict[str, str], said: str) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(["Child's name: Amy Test", "Request to panel: respite"]))))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject(k): NameObject(v) if v.startswith("/") else TextStringObject(v) for k, v in action.items()})
    out = io.BytesIO()
    writer.write(out)
    request = read("form.pdf", out.getvalue())
    assert [c.name for c in request.children] == ["Amy Test"]
    assert any(said in w and "text only" in w for w in request.warnings)
    from carepanel.outputs.pdfsafe import without_actions
    from carepanel.parsers.vet import pdf_active_content

    assert pdf_active_content(out.getvalue()) == said
    assert pdf_active_content(without_actions(out.getvalue())) is None  # what the web app shows


def test_encrypted_office_file_is_unreadable(read: Read) -> None:
    ole = OLE_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le")
    assert sniff_format(ole) == "ooxml_encrypted"
    with pytest.raises(UnreadableAttachment, match="password-protected"):
        read("form.docx", ole)


def test_old_word_file_is_unreadable_for_now(read: Read) -> None:
    doc = OLE_MAGIC + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 64
    with pytest.raises(UnreadableAttachment, match=r"\.doc"):
        read("form.doc", doc)


def test_old_word_file_with_macros_is_unsafe(read: Read) -> None:
    doc = OLE_MAGIC + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 8 + "_VBA_PROJECT".encode("utf-16-le")
    with pytest.raises(UnsafeAttachment, match="macros"):
        read("form.doc", doc)


@pytest.mark.parametrize("data", [os.urandom(4096), b"PK\x03\x04" + os.urandom(500), b"%PDF-1.7\n" + os.urandom(500), b"\0" * 100])
def test_random_and_broken_bytes_are_unreadable(data: bytes, read: Read) -> None:
    with pytest.raises(UnreadableAttachment):
        read("form.docx", data)


def test_empty_and_oversized_files_are_unreadable(limits: Limits) -> None:
    with pytest.raises(UnreadableAttachment, match="empty"):
        vet("form.docx", b"", limits)
    with pytest.raises(UnreadableAttachment, match="larger than the 1 KB limit"):
        vet("form.docx", a_form(), replace(limits, max_attachment_bytes=1024))


@pytest.mark.parametrize("data,kind", [
    (b"%PDF-1.4\n", "pdf"), (b"\x89PNG\r\n\x1a\n....", "png"), (b"\xff\xd8\xff\xe0", "jpeg"), (b"MZ\x90\x00", "exe"),
    (b"Received: from x\r\nFrom: a@b.c\r\nSubject: hi\r\n\r\nbody", "eml"), (b"{\\rtf1\\ansi", "rtf"),
    (OLE_MAGIC + "__substg1.0_0037001F".encode("utf-16-le"), "msg"), (b"plain words\n", "text"), (b"", None),
])
def test_sniff_format_by_content(data: bytes, kind: str | None) -> None:
    assert sniff_format(data) == kind
    assert parsers.sniff_format(data) == kind


def test_sniff_tells_word_from_opendocument() -> None:
    assert sniff_format(a_form()) == "docx"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<x/>")
    assert sniff_format(out.getvalue()) == "odt"


def test_a_blank_pdf_is_unreadable_without_being_sent_to_ocr(read: Read, monkeypatch: pytest.MonkeyPatch) -> None:
    from carepanel.parsers import ocr

    def no_ocr(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR was run on blank pages")

    monkeypatch.setattr(ocr, "read_pdf", no_ocr)
    with pytest.raises(UnreadableAttachment, match="no text and nothing on its pages"):
        read("blank.pdf", pdf(["", ""]))


def test_an_ole_file_that_looks_like_an_outlook_item_is_still_checked_for_macros(limits: Limits) -> None:
    # A Word .doc with an Outlook item inside carries the item's stream names; its macros still count.
    doc = (OLE_MAGIC + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 8
           + "__substg1.0_0037001F".encode("utf-16-le") + b"\0" * 8 + "__properties_version1.0".encode("utf-16-le")
           + b"\0" * 8 + "__nameid_version1.0".encode("utf-16-le") + b"\0" * 8 + "_VBA_PROJECT".encode("utf-16-le"))
    with pytest.raises(UnsafeAttachment, match="macros"):
        vet("form.doc", doc, limits)
