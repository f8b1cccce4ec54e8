"""The councils' real blank forms, filled in the ways people fill them, read back.

Each case is a ``formfill.Variant``: how the form was filled in, and what must be read.
"""

from __future__ import annotations

import pytest

from conftest import Read, check
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
