"""`form learn` from a fillable PDF: its fields' tooltips are the labels, and a filled copy (whose
answers live in the fields) is read field for field with the learned description."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from carepanel.config import default_config
from carepanel.parsers import read_request
from carepanel.parsers.learn import learn_file, to_toml
from carepanel.profiles import forms_for, load_form_file, load_profile

FIELDS = [("Name of social worker", "Sam Worker"), ("Date of panel", "2/12/2026"),
          ("Decision sought from the panel", "Funding for respite care"),
          ("Team manager's name", "Terry Manager"), ("Team manager's signature", "T. Manager")]


def fillable(filled: bool) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(72, 800, "Westholm Borough Council")
    c.drawString(72, 780, "Short Breaks Panel referral")
    for n, (label, value) in enumerate(FIELDS):
        c.drawString(72, 740 - 50 * n, label)
        c.acroForm.textfield(name=f"f{n}", tooltip=label, value=value if filled else "", x=260, y=735 - 50 * n,
                             width=280, height=18)
    c.showPage()
    c.save()
    return out.getvalue()


def test_a_fillable_pdf_blank_is_learned_and_a_filled_copy_read(tmp_path: Path) -> None:
    limits = default_config(tmp_path / "d").limits
    form = learn_file("blank.pdf", fillable(False), "westholm", limits=limits)
    assert form.labels == {"Name of social worker": "social_worker.name", "Date of panel": "panel_date",
                           "Decision sought from the panel": "request", "Team manager's name": "team_manager.name",
                           "Team manager's signature": "team_manager.signature"}
    (tmp_path / "westholm.toml").write_text(to_toml(form))
    spec = load_form_file(tmp_path / "westholm.toml")
    req = read_request("filled.pdf", fillable(True), profile=load_profile("swindon"), forms=forms_for((spec,)),
                       limits=limits, today=date(2026, 11, 23))
    assert req.form == "westholm"
    assert req.social_worker.name == "Sam Worker" and req.request == "Funding for respite care"
    assert (req.team_manager.name, req.team_manager.signed) == ("Terry Manager", True)  # "T. Manager" counts as signed
    assert req.panel_date_asked == date(2026, 12, 2)  # day first: 2/12 is 2 December
