"""A text PDF is read through PDFium (``pdf_fast``) with pdfplumber's own table finder: the
same tables, cells and lines as pdfplumber's full reading, for every sample form printed by
LibreOffice; and files it does not model (a fillable form, curves) go to pdfplumber."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from reportlab.pdfgen import canvas

from carepanel.office import Converter
from carepanel.parsers import pdf_fast, pdf_reader
from carepanel.demo.samples import CASES, sample_form

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    with Converter(workers=1) as conv:
        return {key: conv.to_pdf(sample_form(key)[1], ".docx") for key in CASES}


def plumber_blocks(data: bytes) -> list:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [pdf_reader._page_blocks(p) for p in pdf.pages]


@pytest.mark.parametrize("key", list(CASES))
def test_pdfium_reads_the_same_tables_and_lines_as_pdfplumber(pdfs: dict[str, bytes], key: str) -> None:
    fast = [pdf_reader._page_blocks(p) for p in pdf_fast.pages(pdfs[key])]
    assert fast == plumber_blocks(pdfs[key])
    assert any(isinstance(b, pdf_reader.Table) for page in fast for _, b in page)


def test_a_page_with_curves_is_left_to_pdfplumber() -> None:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 700, "Child's name: Poppy Example")
    c.circle(300, 400, 50)
    c.showPage()
    c.save()
    with pytest.raises(pdf_fast.NotSimple):
        list(pdf_fast.pages(out.getvalue()))
    assert "Poppy Example" in pdf_reader.read(out.getvalue()).text()  # pdfplumber read it
