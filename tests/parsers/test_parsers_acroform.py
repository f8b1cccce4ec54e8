"""A fillable PDF (AcroForm) keeps its answers in form fields, not in the page text."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from carepanel.config import default_config
from carepanel.profiles import load_profile
from carepanel.parsers import read_request

PROFILE = load_profile("north-somerset")


def test_a_fillable_pdf_is_read_from_its_form_fields(tmp_path: Path) -> None:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(72, 800, "Referral to panel")
    for n, (label, value) in enumerate([("Child's name", "Amy Fillable"), ("LCS number", "LCS700700"),
                                        ("What is being requested of the Panel", "Respite care funding")]):
        c.acroForm.textfield(name=f"field{n}", tooltip=label, value=value, x=72, y=700 - 60 * n, width=400, height=20)
    c.showPage()
    c.save()
    req = read_request("fillable.pdf", out.getvalue(), profile=PROFILE, limits=default_config(tmp_path / "d").limits,
                       today=date(2026, 11, 23))
    assert [(ch.name, ch.child_id) for ch in req.children] == [("Amy Fillable", "LCS700700")]
    assert req.request and "Respite" in req.request
