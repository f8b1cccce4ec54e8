"""The counted corpus: filled forms in every layout and format people send, and hostile or
broken files, each with the outcome it must have.

Every good form is mailed (composed into an email and parsed by the mailbox's own code, so
a form in a .zip is unpacked as the service unpacks it) and read by the intake's own
``read_file``, with LibreOffice converting .doc and .odt as in the service; the request it
gives is checked against what was typed.  Every hostile file goes, one email each, through
one real service (sandboxed reader, archive, store); each must end in its exact flag code,
and the service must still accept a good email after them all.

LibreOffice is slow: each conversion is made once per session (``Made``), on one converter.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from formfill import (  # noqa: F401  (fixtures)
    TODAY,
    VARIANTS,
    Read,
    Variant,
    check,
    limits,
    pdf_variants,
    profiles,
    read,
)
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from staffdata import STAFF_CSV
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers
from test_parsers_ocr import photo, scanned_pdf
from test_parsers_vet import a_form, encrypted, pdf, rezip
from test_zip_attachments import zipped
from wordxml import (
    WORD_VARIANTS,
    billion_laughs_docx,
    huge_document_docx,
    joined_like_libreoffice,
    with_document_xml,
    xxe_docx,
)

from carepanel import parsers
from carepanel.profiles import builtin_forms
from carepanel.demo import compose_email
from carepanel.directory import parse_directory
from carepanel.mailbox.message import parse_message
from carepanel.office import Converter
from carepanel.formats.sniff import OLE_MAGIC
from carepanel.pipeline.intake import IntakeContext, read_file
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service

pytestmark = pytest.mark.slow

GOOD_AT_LEAST, HOSTILE_AT_LEAST = 30, 25
PDF_KEYS = ("form", "children.name", "children.child_id", "children.dob", "request", "request_types", "costs",
            "team_manager", "service_manager", "panel_date_asked", "missing", "yes_no")
# What survives a trip through LibreOffice and back: all but the audit trail of printed labels.
LO_KEYS = tuple(k for k in {k for v in (*VARIANTS.values(), *WORD_VARIANTS.values()) for k in v.expect} if not k.startswith("field:"))
OCR = shutil.which("tesseract") is not None


# --------------------------------------------------------------------------- making files once


class Made:
    """Conversions by LibreOffice, each made once for the session."""

    def __init__(self, converter: Converter, pdfs: dict[str, bytes]) -> None:
        self.converter, self.pdfs = converter, pdfs
        self._cache: dict[tuple[str, str], bytes] = {}

    def saved_as(self, variant: Variant, how: str) -> bytes:
        """``how``: ``odt``, ``docx`` (re-saved), ``pdf``, ``doc`` (saved from the .odt, which keeps the tables)."""
        key = (variant.name, how)
        if key not in self._cache:
            docx = variant.build()
            if how == "doc":
                out = self.converter.convert(self.saved_as(variant, "odt"), ".odt", "doc")
            elif how == "pdf" and variant.name in self.pdfs:
                out = self.pdfs[variant.name]
            else:
                out = self.converter.convert(docx, ".docx", how)
            self._cache[key] = out
        return self._cache[key]


@dataclass(frozen=True)
class Good:
    name: str
    fmt: str  # the format the request must say it was read from
    make: Callable[[Made], list[tuple[str, bytes]]]  # the email's attachments
    profile: str
    expect: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None  # a warning the request must carry


def as_docx(v: Variant) -> Good:
    return Good(f"docx:{v.name}", "docx", lambda m: [(f"{v.name}.docx", v.build())], v.profile, v.expect)


def as_pdf(v: Variant) -> Good:
    return Good(f"pdf:{v.name}", "pdf", lambda m: [(f"{v.name}.pdf", m.pdfs[v.name])], v.profile,
                {k: w for k, w in v.expect.items() if k in PDF_KEYS})


def saved_by_libreoffice(v: Variant, how: str) -> Good:
    keys = PDF_KEYS if how == "pdf" else LO_KEYS
    return Good(f"libreoffice-{how}:{v.name}", "docx" if how == "docx" else how,
                lambda m: [(f"{v.name}.{how}", m.saved_as(v, how))], v.profile,
                {k: w for k, w in v.expect.items() if k in keys},
                None if how in ("docx", "pdf") else "converted by LibreOffice")


def fillable_pdf(m: Made) -> list[tuple[str, bytes]]:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(72, 800, "Referral to the resource panel")
    answers = [("Child's name", "Amy Fillable"), ("Date of birth", "02/03/2014"), ("LCS number", "LCS700700"),
               ("What is being requested of the Panel", "Respite care funding of £120 per week"),
               ("Social worker", "Sam Worker"), ("Team manager", "Terry Manager")]
    for n, (label, value) in enumerate(answers):
        c.acroForm.textfield(name=f"field{n}", tooltip=label, value=value, x=72, y=740 - 50 * n, width=400, height=20)
    c.showPage()
    c.save()
    return [("fillable.pdf", out.getvalue())]


def generic_word(m: Made) -> list[tuple[str, bytes]]:
    import docx

    doc = docx.Document()
    doc.add_paragraph("Referral to the resource panel")
    t = doc.add_table(rows=5, cols=2)
    for r, (label, value) in enumerate([("Name of child", "Jay Test"), ("DOB", "01/01/2015"), ("ICS ID", "998877"),
                                        ("What is the request", "Agreement to accommodate under s20"),
                                        ("Summary", "Mother unwell.")]):
        t.cell(r, 0).text, t.cell(r, 1).text = label, value
    doc.add_paragraph("Social worker: Sam Worker")
    doc.add_paragraph("Team manager: Terry Manager")
    out = io.BytesIO()
    doc.save(out)
    return [("referral.docx", out.getvalue())]


OCR_LINES = ["Child's name: Poppy Example", "Date of birth: 14/05/2012", "LCS number: LCS900101",
             "What is being requested of the Panel: Section 20 accommodation", "Social Worker: Sam Worker"]
OCR_EXPECT = {"form": None, "children.name": ["Poppy Example"], "children.child_id": ["LCS900101"],
              "children.dob": [date(2012, 5, 14)], "request_types": ("s20",)}
GENERIC_EXPECT = {"form": None, "children.name": ["Jay Test"], "children.child_id": ["998877"], "request_types": ("s20",),
                  "summary_has": ["Mother unwell."]}


def good_cases() -> list[Good]:
    v = {**VARIANTS, **WORD_VARIANTS}
    cases = [as_docx(x) for x in v.values()]  # every layout and Word feature, as .docx
    cases += [as_pdf(x) for x in VARIANTS.values() if x.pdf]  # printed to PDF by LibreOffice
    for name, how in [("ns_value_cells", "odt"), ("bexley_ticks", "odt"), ("ns_several_children", "odt"),
                      ("ns_value_cells", "docx"), ("bexley_sos_details", "docx"), ("ns_merged_cells", "odt"),
                      ("ns_value_cells", "doc"), ("bexley_ticks", "doc"),
                      # Word's own features, after LibreOffice has turned them into its own
                      # (an empty control's prompt becomes plain words; a w14 box a Wingdings glyph)
                      ("ns_content_controls", "odt"), ("ns_content_controls", "pdf"), ("ns_legacy_fields", "odt"),
                      ("ns_legacy_fields", "pdf"), ("bexley_legacy_boxes", "odt"), ("bexley_w14_boxes", "odt"),
                      ("bexley_w14_boxes", "pdf"), ("ns_rows_deleted_and_added", "pdf"), ("bexley_several_children", "doc")]:
        cases.append(saved_by_libreoffice(v[name], how))
    # Forms whose blank lines between tables were deleted (Word then shows one table), then
    # printed to PDF or saved as .odt by LibreOffice
    for name, how in [("ns_value_cells", "pdf"), ("ns_content_controls", "pdf"), ("ns_several_children", "odt")]:
        joined = replace(v[name], name=f"{name}_joined", build=lambda b=v[name].build: joined_like_libreoffice(b()))
        cases.append(saved_by_libreoffice(joined, how))
    ns, bx = VARIANTS["ns_value_cells"], VARIANTS["bexley_ticks"]
    cases += [
        Good("zip:docx", "docx", lambda m: [("papers.zip", zipped([("Amelia/CRP form.docx", ns.build())] + papers()))],
             ns.profile, ns.expect),
        Good("zip:pdf", "pdf", lambda m: [("papers.zip", zipped([("referral.pdf", m.pdfs[bx.name])]))], bx.profile,
             {k: w for k, w in bx.expect.items() if k in PDF_KEYS}),
        Good("acroform:generic", "pdf", fillable_pdf, "north-somerset", {
            "form": None, "children.name": ["Amy Fillable"], "children.child_id": ["LCS700700"],
            "children.dob": [date(2014, 3, 2)], "costs": (120.0, None),
            "social_worker": ("Sam Worker", None)}),
        Good("generic:word-table", "docx", generic_word, "swindon", GENERIC_EXPECT),
    ]
    if OCR:
        cases += [
            Good("ocr:photo", "png", lambda m: [("form photo.png", photo(OCR_LINES))], "north-somerset", OCR_EXPECT,
                 parsers.ocr.OCR_WARNING),
            Good("ocr:scan", "pdf", lambda m: [("scan.pdf", scanned_pdf(photo(OCR_LINES)))], "north-somerset", OCR_EXPECT,
                 parsers.ocr.OCR_WARNING),
        ]
    return cases


GOOD_CASES = good_cases()


@pytest.fixture(scope="module")
def made(pdf_variants: dict[str, bytes]) -> Made:  # noqa: F811
    with Converter(workers=1) as conv:
        yield Made(conv, pdf_variants)


def test_the_good_corpus_is_counted() -> None:
    assert len(GOOD_CASES) >= GOOD_AT_LEAST, len(GOOD_CASES)
    assert len({c.name for c in GOOD_CASES}) == len(GOOD_CASES)
    formats = {c.name.split(":")[0] for c in GOOD_CASES}
    assert {"docx", "pdf", "libreoffice-odt", "libreoffice-doc", "libreoffice-docx", "zip", "acroform", "generic"} <= formats


@pytest.mark.parametrize("case", GOOD_CASES, ids=lambda c: c.name)
def test_a_good_form_mailed_in_reads_as_expected(case: Good, made: Made, limits, profiles) -> None:  # noqa: F811
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, case.make(made), f"<good-{case.name}@example.gov.uk>")
    message = parse_message(raw)
    ctx = IntakeContext(profile=profiles[case.profile], directory=parse_directory(STAFF_CSV), limits=limits,
                        forms=builtin_forms(), to_docx=made.converter.to_docx)
    requests = [f.request for f in (read_file(a, ctx, TODAY) for a in message.attachments) if f.request is not None]
    assert requests, f"no attachment of {case.name} read as a request"
    request = requests[0]
    assert request.source.format == case.fmt
    check(request, case.expect)
    if case.warning:
        assert any(case.warning in w for w in request.warnings), request.warnings


# --------------------------------------------------------------------------- hostile and broken files


def docm() -> bytes:
    data = a_form()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml").replace(b"wordprocessingml.document.main+xml",
                                                       b"ms-word.document.macroEnabled.main+xml")
    return rezip(data, edit={"[Content_Types].xml": types})


def ole(*streams: str) -> bytes:
    return OLE_MAGIC + b"\0" * 504 + b"".join(s.encode("utf-16-le") + b"\0" * 64 for s in streams)


def pdf_with(action: dict[str, Any]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(["Child's name: Amy Test", "Request to panel: respite"]))))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject(k): (NameObject(v) if v.startswith("/") else TextStringObject(v)) for k, v in action.items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000), 1).save(out, "PNG")  # 900 million pixels in a few hundred KB
    return out.getvalue()


def nested_zip(depth: int = 4) -> bytes:
    data = zipped([("CRP request form.docx", a_form())])
    for i in range(depth):
        data = zipped([(f"level{i}.zip", data)])
    return data


def encrypted_entries(data: bytes) -> bytes:
    """The zip with every entry marked encrypted (bit 0 of its flags), as a password-protected zip is."""
    buf = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = buf.find(sig)
        while i != -1:
            buf[i + at] |= 1
            i = buf.find(sig, i + 4)
    return bytes(buf)


def xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", '<Types><Override PartName="/xl/workbook.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


@dataclass(frozen=True)
class Hostile:
    name: str  # the attachment's file name (unique: the flag names it)
    make: Callable[[Path], bytes]
    code: str  # the flag code it must end in
    inner: str | None = None  # the file inside a zip that the flag names, when the zip is opened


HOSTILE: list[Hostile] = [
    Hostile("macro form.docx", lambda t: docm(), "unsafe_attachment"),
    Hostile("macro form.docm", lambda t: docm(), "unsafe_attachment"),
    Hostile("vba project.docx", lambda t: rezip(a_form(), add={"word/vbaProject.bin": OLE_MAGIC + b"macro"}), "unsafe_attachment"),
    Hostile("old form.doc", lambda t: ole("WordDocument", "_VBA_PROJECT"), "unsafe_attachment"),
    Hostile("program.docx", lambda t: b"MZ\x90\x00\x03" + os.urandom(300), "unsafe_attachment"),
    Hostile("linux.docx", lambda t: b"\x7fELF\x02\x01\x01" + os.urandom(300), "unsafe_attachment"),
    Hostile("script.pdf", lambda t: b"#!/bin/sh\nrm -rf /\n", "unsafe_attachment"),
    Hostile("batch.txt", lambda t: b"@echo off\r\ndel *.*\r\n", "unsafe_attachment"),
    Hostile("form.docx.exe", lambda t: a_form(), "unsafe_attachment"),
    Hostile("papers.zip", lambda t: zipped([("form.docx", b"\0" * (30 * 1024 * 1024))]), "unsafe_attachment"),
    Hostile("bundle.zip", lambda t: zipped([("CRP form.docx", a_form()), ("setup.exe", b"MZ" + b"\0" * 300)]),
            "unsafe_attachment", inner="setup.exe"),
    Hostile("macro inside.zip", lambda t: zipped([("CRP form.docm", docm())]), "unsafe_attachment", inner="CRP form.docm"),
    Hostile("locked entries.docx", lambda t: encrypted_entries(a_form()), "unreadable_attachment"),
    Hostile("nested.zip", lambda t: nested_zip(), "unreadable_attachment", inner="level3.zip"),  # opened one level
    Hostile("padded.docx", lambda t: rezip(a_form(), add={"word/media/padding.bin": b"\0" * (8 * 1024 * 1024)}),
            "unsafe_attachment"),
    Hostile("huge document.docx", lambda t: huge_document_docx(), "unsafe_attachment"),
    Hostile("encrypted.docx", lambda t: ole("EncryptionInfo", "EncryptedPackage"), "unreadable_attachment"),
    Hostile("locked.pdf", lambda t: encrypted(pdf(["Child's name: Test"]), user="secret", owner="owner"),
            "unreadable_attachment"),
    Hostile("laughs.docx", lambda t: billion_laughs_docx(), "unreadable_attachment"),
    Hostile("truncated.docx", lambda t: a_form()[: len(a_form()) // 2], "unreadable_attachment"),
    Hostile("truncated.pdf", lambda t: pdf(["Child's name: Amy Test"])[:300], "unreadable_attachment"),
    Hostile("not xml.docx", lambda t: with_document_xml(a_form(), lambda x: b"<w:document><<<" + os.urandom(64)),
            "unreadable_attachment"),
    Hostile("random.pdf", lambda t: os.urandom(4096), "unreadable_attachment"),
    Hostile("pk garbage.docx", lambda t: b"PK\x03\x04" + os.urandom(500), "unreadable_attachment"),
    Hostile("pdf garbage.pdf", lambda t: b"%PDF-1.7\n" + os.urandom(500), "unreadable_attachment"),
    Hostile("empty.docx", lambda t: b"", "unreadable_attachment"),
    Hostile("image bomb.png", lambda t: image_bomb(), "unreadable_attachment"),
    Hostile("long.pdf", lambda t: pdf(["page"] * 301), "unreadable_attachment"),  # the service's limit is 300 pages
    Hostile("picture.gif", lambda t: b"GIF89a" + b"\0" * 200, "unreadable_attachment"),
    Hostile("damaged.doc", lambda t: ole("WordDocument") + os.urandom(2048), "unreadable_attachment"),
    Hostile("minutes.pdf", lambda t: pdf(["Minutes of the meeting held on Tuesday"]), "no_request_form"),
    Hostile("budget.docx", lambda t: xlsx(), "no_request_form"),
]


def hostile_email(case: Hostile, tmp: Path) -> bytes:
    return compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [(case.name, case.make(tmp))],
                         f"<hostile-{HOSTILE.index(case)}@example.gov.uk>")


def test_the_hostile_corpus_is_counted() -> None:
    assert len(HOSTILE) >= HOSTILE_AT_LEAST, len(HOSTILE)
    assert len({h.name for h in HOSTILE}) == len(HOSTILE)


def test_every_hostile_file_ends_in_its_flag_and_the_service_carries_on(tmp_path: Path) -> None:
    outcomes: dict[str, list[str]] = {}
    with open_service(config_for(tmp_path / "svc"), clock=lambda: NOW) as svc:
        for case in HOSTILE:
            sub = svc.ingest_bytes(hostile_email(case, tmp_path), source="test").submission
            assert sub is not None, case.name
            named = case.inner or case.name
            outcomes[case.name] = [f.code for f in sub.flags if f.detail.startswith(f"{named}:")]
            if case.code == "no_request_form":
                outcomes[case.name] = [f.code for f in sub.flags if f.code == "no_request_form"]
            assert sub.status != "accepted", case.name
        good = svc.ingest_bytes(compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW,
                                              [("CRP request form.docx", north_somerset_form(GOOD))] + papers(),
                                              "<after-the-hostile@example.gov.uk>"), source="test").submission
    assert {name: codes for name, codes in outcomes.items()} == {h.name: [h.code] for h in HOSTILE}
    assert good is not None and good.status == "accepted", good and good.flags


def test_an_xxe_form_is_read_without_the_file_it_names(tmp_path: Path) -> None:
    # Not a flag: the form is read, and the entity is left unexpanded (nothing is fetched).
    secret = tmp_path / "secret.txt"
    secret.write_text("XXE-SECRET-77aa")
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [("form.docx", xxe_docx(str(secret)))],
                        "<xxe@example.gov.uk>")
    with open_service(config_for(tmp_path / "svc"), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
    assert sub is not None and sub.request.children[0].name == "Amelia Hart"
    assert "XXE-SECRET" not in repr(sub)


@pytest.mark.parametrize("action", [{"/S": "/JavaScript", "/JS": "app.alert('hi');"}, {"/S": "/Launch", "/F": "calc.exe"}])
def test_a_pdf_that_runs_code_on_opening_is_read_as_text_only(tmp_path: Path, action: dict[str, str]) -> None:
    with open_service(config_for(tmp_path / "svc"), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [("form.pdf", pdf_with(action))],
                                             f"<active-{action['/S'][1:]}@example.gov.uk>"), source="test").submission
    assert sub is not None and "unsafe_attachment" not in [f.code for f in sub.flags]
    assert [c.name for c in sub.request.children] == ["Amy Test"]
    assert any("text only" in w for w in sub.request.warnings)
