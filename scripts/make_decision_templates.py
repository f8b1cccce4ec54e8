"""Writes the decision-sheet Word templates, one per built-in profile, laid out like the decision
part of each council's own form (see shared/policies/).

    .venv/bin/python scripts/make_decision_templates.py

The templates are docxtpl (Jinja in Word) files under carepanel/outputs/templates/decisions/.
They are committed: a council edits its copy in Word (keeping the {{ … }} fields) and points
``[decisions] template`` in config.toml at it.  This script is how the shipped ones were made,
kept so that a change to them is reviewable as code.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

OUT = Path(__file__).resolve().parents[1] / "carepanel" / "outputs" / "templates" / "decisions"

HEADER = "{{ marking }}"


def _doc(title: str) -> docx.document.Document:
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    header = doc.sections[0].header.paragraphs[0]
    header.text = HEADER
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading(title, level=1)
    p = doc.add_paragraph("{{ council }} – {{ panel_title }}")
    p.runs[0].bold = True
    doc.add_paragraph("{% if draft %}DRAFT for the chair's agreement (version {{ version }}){% else %}"
                      "Agreed and signed by the chair (version {{ version }}){% endif %}")
    return doc


def _table(doc: docx.document.Document, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(table.rows, rows):
        row.cells[0].text = label
        row.cells[0].paragraphs[0].runs[0].bold = True
        row.cells[1].text = value


def _common_top(doc: docx.document.Document) -> None:
    _table(doc, [
        ("Child/ren", "{{ children }}"),
        ("Child ID", "{{ child_ids }}"),
        ("Social Worker", "{{ worker }}"),
        ("Team", "{{ team }}"),
        ("{% if emergency %}Decided outside panel on{% else %}Date of Panel{% endif %}", "{{ panel_day }}"),
        ("Request", "{{ request }}"),
    ])


def _outcome_ticks(doc: docx.document.Document) -> None:
    doc.add_paragraph("{% for o in outcomes %}{{ o.box }} {{ o.label }}{% if o.detail %}: {{ o.detail }}{% endif %}\n{% endfor %}")


def _tail(doc: docx.document.Document, *, members: bool = True) -> None:
    doc.add_heading("Actions", level=2)
    doc.add_paragraph("{% for a in actions %}{{ a.number }}. {{ a.text }} – {{ a.owner }}{% if a.due %}, by {{ a.due }}{% endif %}\n"
                      "{% else %}None recorded.{% endfor %}")
    if members:
        doc.add_heading("Panel Members", level=2)
        doc.add_paragraph("{{ members }}")
        doc.add_paragraph("Conflicts of interest declared: {{ conflicts or 'none' }}")
        doc.add_paragraph("{% if dissent %}Formal dissent: {{ dissent }}{% endif %}")
    _table(doc, [("Name of Chair", "{{ chair or '' }}"), ("Signature", "{{ signature or '' }}"), ("Date", "{{ signed_on or '' }}")])


def north_somerset_style(title: str) -> docx.document.Document:
    """North Somerset's form ends with: Chair, Date, Details of approved request, Date of next
    Panel Review, Discussion points and actions required, Panel Members."""
    doc = _doc(title)
    _common_top(doc)
    doc.add_heading("Panel decision", level=2)
    _outcome_ticks(doc)
    _table(doc, [
        ("Details of approved request", "{{ approved or 'None' }}"),
        ("Date of next Panel Review", "{{ review_date or 'None set' }}"),
    ])
    doc.add_heading("Discussion points and actions required", level=2)
    doc.add_paragraph("{{ rationale }}")
    doc.add_paragraph("{% for d in decisions %}{{ loop.index }}. {{ d }}\n{% endfor %}")
    _tail(doc)
    return doc


def bexley_style(title: str) -> docx.document.Document:
    """Bexley's Appendix A: 'The panel agreed that: 1.–6.', the outcome boxes (deferred to a date,
    return to panel at a date or frequency), the rationale, chair's name, signature and date."""
    doc = _doc(title)
    _common_top(doc)
    doc.add_heading("Resource and Care Panel Decisions", level=2)
    doc.add_paragraph("The panel agreed that:")
    doc.add_paragraph("{% for d in decisions %}{{ loop.index }}. {{ d }}\n{% else %}1. {{ outcome_label }}{% endfor %}")
    _outcome_ticks(doc)
    _table(doc, [("Approved resource and cost", "{{ approved or 'None' }}"), ("Review", "{{ review_date or 'None set' }}")])
    doc.add_heading("What is the rationale for the recommendations and decisions made:", level=2)
    doc.add_paragraph("{{ rationale }}")
    _tail(doc)
    return doc


def swindon_style(title: str) -> docx.document.Document:
    """Swindon records on 'the decision part of the Request Form': agreed, deferred, not agreed,
    with review dates set on the day at the chair's discretion."""
    doc = _doc(title)
    _common_top(doc)
    doc.add_heading("Panel decision", level=2)
    _outcome_ticks(doc)
    _table(doc, [("Service agreed", "{{ approved or 'None' }}"), ("Review date", "{{ review_date or 'None set' }}"),
                 ("Reasons", "{{ rationale }}")])
    doc.add_paragraph("{% for d in decisions %}{{ loop.index }}. {{ d }}\n{% endfor %}")
    _tail(doc)
    return doc


TEMPLATES = {
    "north-somerset": (north_somerset_style, "Care and Resource Panel – decision"),
    "bexley": (bexley_style, "Resource and Care Panel – decision sheet"),
    "care-planning-resources": (north_somerset_style, "Care Planning & Resources Panel – decision"),
    "south-gloucestershire": (north_somerset_style, "Care and Resource Panel – decision and actions"),
    "swindon": (swindon_style, "Accommodation and Resources Panel – decision"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (make, title) in TEMPLATES.items():
        doc = make(title)
        # A fixed core so the file is the same each time it is made (reviewable diffs).
        doc.core_properties.author = "carepanel"
        doc.core_properties.title = title
        doc.save(OUT / f"{name}.docx")
        print(OUT / f"{name}.docx")


if __name__ == "__main__":
    main()
