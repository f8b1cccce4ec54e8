"""Request types from the request's words, and attachment roles from names and words."""

from __future__ import annotations

import pytest

from carepanel import parsers
from carepanel.parsers.request_types import classify_request
from carepanel.demo.samples import sample_form


@pytest.mark.parametrize("text,types", [
    ("Agreement to accommodate under Section 20", ("s20",)),
    ("Agreement to S20 with in-house foster carers", ("s20", "placement")),
    ("Agreement to initiate proceedings", ("care_proceedings",)),
    ("Agreement to issue care proceedings under s.31", ("care_proceedings",)),
    ("Agreement to enter PLO", ("pre_proceedings",)),
    ("Pre-proceedings letter", ("pre_proceedings",)),
    ("Application for a secure accommodation order (Section 25)", ("secure_accommodation",)),
    ("Continued placement following an EPO", ("emergency_protection", "placement")),
    ("Residential placement", ("external_placement",)),
    ("IFA placement out of area", ("external_placement",)),
    ("Change of placement: move to new carers", ("placement_change",)),
    ("Independent parenting assessment", ("independent_assessment",)),
    ("Support for a family with no recourse to public funds", ("nrpf",)),
    ("Respite for a disabled child", ("respite_disability",)),
    ("Respite for mum", ("other",)),
    ("SGO support package", ("expenditure", "sgo_adoption_support")),
    ("Adoption support fund application", ("expenditure", "sgo_adoption_support")),
    ("£300 towards a school uniform", ("expenditure",)),
    ("Funding for nursery", ("expenditure",)),
    ("Discussion of the case", ("other",)),
    (None, ("other",)),
])
def test_request_types(text: str | None, types: tuple[str, ...]) -> None:
    assert classify_request(text) == types


def test_a_stated_cost_makes_an_unlabelled_request_expenditure() -> None:
    assert classify_request("Taxi to school", has_costs=True) == ("expenditure",)
    assert classify_request("Agreement to S20", has_costs=True) == ("s20",)


@pytest.mark.parametrize("filename,role", [
    ("CRP request form - A Hart.docx", "request_form"),
    ("Referral_Form.pdf", "request_form"),
    ("Genogram.pdf", "genogram"),
    ("Family tree.png", "genogram"),
    ("Single Assessment 2026.docx", "assessment"),
    ("C&F assessment.pdf", "assessment"),
    ("Care Plan.docx", "care_plan"),
    ("CIN plan.pdf", "care_plan"),
    ("LAC review minutes.docx", "review_record"),
    ("Core group minutes.pdf", "review_record"),
    ("photo.jpg", "other"),
])
def test_roles_by_filename(filename: str, role: str) -> None:
    assert parsers.classify_attachment(filename, b"", None) == role


def test_roles_by_text() -> None:
    assert parsers.classify_attachment("doc1.docx", b"", "CHILD PROTECTION PLAN for A") == "care_plan"
    assert parsers.classify_attachment("doc1.docx", b"", "Independent Reviewing Officer's report") == "review_record"
    assert parsers.classify_attachment("doc1.docx", b"", "Nothing to see") == "other"


def test_role_read_from_the_file_when_no_text_is_given() -> None:
    _, data = sample_form("ns-s20-single")
    assert parsers.classify_attachment("scan0001.docx", data, None) == "request_form"
    assert parsers.classify_attachment("scan0001.docx", b"MZ\x90\x00", None) == "other"


@pytest.mark.parametrize(("text", "absent"), [
    ("Respite for Sam, who has autism. There are no care proceedings.", "care_proceedings"),
    ("Family support; Sam is not subject to a child protection plan or care proceedings.", "care_proceedings"),
    ("Funding for a bed; no Special Guardianship Order is sought.", "sgo_adoption_support"),
    ("Funding for nursery; there is no plan to accommodate Sam.", "s20"),
])
def test_a_negated_mention_is_not_a_mention(text: str, absent: str) -> None:
    from carepanel.parsers.request_types import classify

    assert absent not in classify(text, has_costs=True).types


def test_the_words_that_decided_each_type_are_kept() -> None:
    from carepanel.parsers.request_types import classify

    found = classify("Respite for Sam, who has autism, as part of the care proceedings.")
    assert dict(found.words) == {"care_proceedings": "care proceedings", "respite_disability": "Respite … autism"}
