"""Forms sent as an old Word .doc, a LibreOffice .odt or an .rtf are converted by LibreOffice and
read like the .docx; a .doc with macros never reaches LibreOffice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from carepanel.office import Converter
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service
from carepanel.store import StoredSubmission
from carepanel.demo import compose_email
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=1) as conv:
        yield conv


def saved_by_libreoffice(converter, fmt: str) -> bytes:
    """The good form saved again by LibreOffice as ``fmt`` (``docx``: re-saved as Word)."""
    form = north_somerset_form(GOOD)
    if fmt == "doc":
        # LibreOffice's own Word 97 export of this .docx writes the tables as plain paragraphs;
        # saved from the .odt it keeps them, as a .doc saved by Word does.
        return converter.convert(converter.convert(form, ".docx", "odt"), ".odt", "doc")
    return converter.convert(form, ".docx", fmt)


def ingest_as(tmp_path: Path, converter, fmt: str) -> StoredSubmission:
    data = saved_by_libreoffice(converter, fmt)
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [(f"CRP request form.{fmt}", data)] + papers(),
                        f"<old-{fmt}@example.gov.uk>")
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
    assert sub is not None
    return sub


@pytest.mark.parametrize("fmt", ["doc", "odt", "rtf"])
def test_a_form_in_an_older_format_is_converted_and_recognised(tmp_path: Path, converter, fmt: str) -> None:
    sub = ingest_as(tmp_path, converter, fmt)
    req = sub.request
    assert req is not None and req.form == "north-somerset"  # read as the council's form, not "no form"
    assert req.source.format == fmt and req.source.filename == f"CRP request form.{fmt}"
    assert any("LibreOffice" in w for w in req.warnings)
    assert "unreadable_attachment" not in [f.code for f in sub.flags]


@pytest.mark.parametrize("fmt", ["odt", "doc", "rtf", "docx"])
def test_a_form_saved_again_by_libreoffice_is_read_field_for_field(tmp_path: Path, converter, fmt: str) -> None:
    # LibreOffice joins tables that touch into one table on one grid: the children's rows are
    # followed by the addresses, and the Social Worker / Team Manager headings are no longer
    # the table's first row.  Read as the form was drawn, it is accepted as the .docx is.
    sub = ingest_as(tmp_path, converter, fmt)
    assert sub.status == "accepted", sub.flags
    req = sub.request
    assert [(c.name, c.dob, c.child_id) for c in req.children] == [("Poppy Example", date(2012, 5, 14), "LCS900101")]
    assert (req.social_worker.name, req.social_worker.team) == ("Sam Worker", "Children in Need Team 2")
    assert (req.team_manager.name, req.team_manager.signed) == ("Terry Manager", True)
    assert sub.panel_date == "2026-12-02"
    assert req.warnings == () if fmt == "docx" else all("left out" not in w for w in req.warnings)


def test_a_doc_with_macros_is_refused_before_libreoffice(tmp_path: Path) -> None:
    # An OLE compound file carrying a VBA project: flagged unsafe by the vetting, never converted.
    ole = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 64 + \
        "_VBA_PROJECT".encode("utf-16-le") + b"\0" * 512
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [("CRP request form.doc", ole)], "<macro@example.gov.uk>")
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
    assert "unsafe_attachment" in [f.code for f in sub.flags]
