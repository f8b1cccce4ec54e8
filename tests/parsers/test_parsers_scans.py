"""Scans and photos read field by field: OCR with word positions placed in the cells the page's
ruling lines draw, so a scanned form's children's table and labelled answers are read as the
typed form's are, with a warning naming the values that came from OCR.  The share right over a
corpus of 21 scans is measured by bench/scan_bench.py, not asserted here; the scans it once got
wrong are tests here."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from scans import PHOTO, ScanKind, scan

from carepanel.config import default_config
from carepanel.profiles import load_profile
from carepanel.office import Converter
from carepanel.parsers import read_request
from carepanel.parsers.ocr import OCR_WARNING
from carepanel.demo.samples import sample_form

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is installed by scripts/setup.sh")]
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def typed_pdfs() -> dict[str, bytes]:
    with Converter(workers=1) as conv:
        return {key: conv.to_pdf(sample_form(key)[1], ".docx") for key in ("ns-siblings-plo", "ns-s20-single", "ns-incomplete")}


@pytest.fixture(scope="module")
def typed_pdf(typed_pdfs: dict[str, bytes]) -> bytes:
    return typed_pdfs["ns-siblings-plo"]


def squash(text: str | None) -> str:
    return "".join((text or "").split()).lower()


@pytest.mark.parametrize("kind", [ScanKind(200, "1", 0.6, 0.002), PHOTO], ids=["bw-200dpi-skewed-noisy-tiff", "phone-photo"])
def test_a_scanned_forms_children_are_read_field_by_field(tmp_path: Path, typed_pdf: bytes, kind: ScanKind) -> None:
    name, data = scan(typed_pdf, kind, seed=3)
    # time is the bench's to measure; on a busy machine OCR of three pages can pass the default deadline
    limits = replace(default_config(tmp_path / "d").limits, parse_timeout_seconds=900)
    req = read_request(name, data, profile=load_profile("north-somerset"), limits=limits, today=TODAY)
    # before: the text only, as lines: no children, no team manager
    assert [squash(c.name) for c in req.children] == ["alfiesample", "daisysample"]
    assert [c.dob for c in req.children] == [date(2016, 9, 2), date(2019, 1, 30)]
    assert req.form == "north-somerset"
    assert OCR_WARNING in req.warnings
    assert any(w.startswith("values read by OCR") and "child(ren)'s names" in w for w in req.warnings)


# Scans of the bench's corpus (same form, kind and seed) that the reading once got wrong.
NOISY = [
    # a speck after the wrapped year ("14/05/2\n012"), and "LCS900-\n101" read as the ID "LCS900"
    ("ns-s20-single", ScanKind(300, "L", -1.0, 0.004, container="pdf"), 23, [("poppyexample", date(2012, 5, 14), "LCS900101")]),
    # "03/03/2.\n©020": no date of birth at all
    ("ns-incomplete", ScanKind(200, "1", 0.6, 0.002), 13, [("noahinstance", date(2020, 3, 3), None)]),
    # a speck before the ID: "_LCS900202"
    ("ns-siblings-plo", ScanKind(300, "L", 0.8, 0.002), 42,
     [("alfiesample", date(2016, 9, 2), "LCS900201"), ("daisysample", date(2019, 1, 30), "LCS900202")]),
    # a speck cut the hairline rule under Daisy's name: her row and her mother's read as one
    ("ns-siblings-plo", ScanKind(200, "1", 0.6, 0.002), 15,
     [("alfiesample", date(2016, 9, 2), "LCS900201"), ("daisysample", date(2019, 1, 30), "LCS900202")]),
]


@pytest.mark.parametrize(("key", "kind", "seed", "want"), NOISY, ids=["grey-300dpi-skew-1-speckled-pdf",
                                                                      "bw-200dpi-speckled-tiff", "grey-300dpi-speckled-tiff",
                                                                      "bw-200dpi-rule-cut-by-a-speck"])
def test_dates_of_birth_and_ids_in_a_noisy_scan_are_read_right(tmp_path: Path, typed_pdfs: dict[str, bytes], key: str,
                                                              kind: ScanKind, seed: int,
                                                              want: list[tuple[str, date, str | None]]) -> None:
    name, data = scan(typed_pdfs[key], kind, seed=seed)
    limits = replace(default_config(tmp_path / "d").limits, parse_timeout_seconds=900)
    req = read_request(name, data, profile=load_profile("north-somerset"), limits=limits, today=TODAY)
    assert [(squash(c.name), c.dob, c.child_id) for c in req.children] == want
    assert any(w.startswith("values read by OCR") and "dates of birth and IDs" in w for w in req.warnings)
