"""The councils' real blank forms, filled in the ways people fill them, read back.

Each case is a ``formfill.Variant``: how the form was filled in, and what must be read.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formfill import Read, check
from formfill import limits, pdf_variants, profiles, read  # noqa: F401  (fixtures)
from formfill import VARIANTS

PDF_KEYS = ("form", "children.name", "children.child_id", "children.dob", "request", "request_types", "costs",
            "team_manager", "service_manager", "panel_date_asked", "missing", "yes_no")


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_filled_docx_reads_as_expected(name: str, read: Read) -> None:
    variant = VARIANTS[name]
    request = read(f"{name}.docx", variant.build(), variant.profile)
    assert request.source.format == "docx"
    check(request, variant.expect)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, v in VARIANTS.items() if v.pdf))
def test_filled_form_saved_as_pdf_reads_the_same(name: str, read: Read, pdf_variants: dict[str, bytes]) -> None:
    variant = VARIANTS[name]
    request = read(f"{name}.pdf", pdf_variants[name], variant.profile)
    assert request.source.format == "pdf"
    check(request, {k: v for k, v in variant.expect.items() if k in PDF_KEYS})


def test_summary_typed_over_the_prompts(read: Read) -> None:
    from formfill import NS_SUMMARY, NS_TEMPLATE, Form, ns_child, ns_request

    f = Form(NS_TEMPLATE)
    ns_child(f, 2, "Pat Test", "01/01/2015", "", "Male", "LCS1", "CIN", "", "")
    ns_request(f, "Agreement to S20.")
    cell = f.cell(NS_SUMMARY, 1, 0)
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    cell.paragraphs[0].text = "Mother is unwell and there is no other carer."
    request = read("form.docx", f.bytes())
    assert request.summary == "Mother is unwell and there is no other carer."
    assert "summary.current_situation" not in request.missing
    assert "summary.what_needs_to_change" in request.missing


SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(SAFE_TEXT, min_size=6, max_size=6), profile=st.sampled_from(["north-somerset", "bexley"]))
def test_anything_typed_into_the_form_is_read_without_error(answers: list[str], profile: str, read: Read) -> None:
    from formfill import BEXLEY_TEMPLATE, NS_TEMPLATE, Form

    f = Form(NS_TEMPLATE if profile == "north-somerset" else BEXLEY_TEMPLATE)
    places = [(1, 1, 1), (2, 2, 0), (2, 2, 1), (5, 1, 0), (6, 1, 0), (8, 1, 1)] if profile == "north-somerset" \
        else [(1, 1, 0), (2, 1, 0), (2, 1, 1), (5, 0, 1), (7, 1, 0), (10, 1, 0)]
    for (table, row, col), text in zip(places, answers):
        f.put(table, row, col, text)
    request = read("form.docx", f.bytes(), profile)
    assert request.form == profile
    assert all(v is None or v.strip() for _, v in request.fields)
