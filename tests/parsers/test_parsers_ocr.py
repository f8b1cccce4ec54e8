"""Scans and photos of a form are read by OCR (Tesseract), and say so."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from carepanel.config import default_config
from carepanel.profiles import load_profile
from carepanel.parsers import read_request
from carepanel.parsers.ocr import OCR_WARNING

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is installed by scripts/setup.sh")]
PROFILE = load_profile("north-somerset")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def photo(lines: list[str]) -> bytes:
    img = Image.new("L", (1800, 120 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 44) if Path(FONT).exists() else ImageFont.load_default(size=44)
    for n, line in enumerate(lines):
        draw.text((60, 60 + 90 * n), line, fill=0, font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def scanned_pdf(png: bytes) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(png)), 20, 200, width=A4[0] - 40, preserveAspectRatio=True, anchor="sw")
    c.showPage()
    c.save()
    return out.getvalue()


LINES = ["Child's name: Poppy Example", "Date of birth: 14/05/2012", "LCS number: LCS900101",
         "What is being requested of the Panel: Section 20 accommodation", "Social Worker: Sam Worker"]


@pytest.mark.parametrize("kind", ["photo", "scan"])
def test_a_photo_or_scan_of_a_form_is_read_with_a_warning(tmp_path: Path, kind: str) -> None:
    png = photo(LINES)
    data, name = (png, "form.png") if kind == "photo" else (scanned_pdf(png), "form.pdf")
    req = read_request(name, data, profile=PROFILE, limits=default_config(tmp_path / "d").limits, today=date(2026, 11, 23))
    assert OCR_WARNING in req.warnings
    [child] = req.children
    assert child.name == "Poppy Example" and child.child_id == "LCS900101" and child.dob == date(2012, 5, 14)
    assert req.request and "Section 20" in req.request

