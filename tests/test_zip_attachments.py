"""Papers sent as a .zip are opened within limits; a zip bomb or a program inside is flagged."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service
from carepanel.store import StoredSubmission
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers


def zipped(files: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return buf.getvalue()


def ingest(tmp_path: Path, attachment: bytes, key: str) -> StoredSubmission:
    raw = compose_email(SW, SW_ADDR, "CRP request", "All in the zip.", NOW, [("papers.zip", attachment)], f"<zip-{key}@x.gov.uk>")
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
    assert sub is not None
    return sub


def test_a_zip_of_the_form_and_papers_is_read_as_if_attached_one_by_one(tmp_path: Path) -> None:
    bundle = zipped([("Poppy/CRP request form.docx", north_somerset_form(GOOD))] + [(f"Poppy/{n}", d) for n, d in papers()])
    sub = ingest(tmp_path, bundle, "ok")
    assert sub.status == "accepted", sub.flags
    assert [a.filename for a in sub.attachments] == ["CRP request form.docx", "assessment.docx", "care-plan.docx", "genogram.docx"]


def test_a_zip_bomb_is_kept_whole_and_flagged_unsafe(tmp_path: Path) -> None:
    bomb = zipped([("form.docx", b"\0" * (30 * 1024 * 1024))])
    sub = ingest(tmp_path, bomb, "bomb")
    assert "unsafe_attachment" in [f.code for f in sub.flags]
    assert [a.filename for a in sub.attachments] == ["papers.zip"]


def test_a_program_inside_a_zip_is_flagged_unsafe(tmp_path: Path) -> None:
    sub = ingest(tmp_path, zipped([("CRP request form.docx", north_somerset_form(GOOD)), ("setup.exe", b"MZ" + b"\0" * 300)]), "exe")
    codes = [f.code for f in sub.flags]
    assert "unsafe_attachment" in codes and sub.request.children[0].child_id == "LCS900101"
