"""Fields and documents (Rules v2, "Fields and documents"), and Bexley's warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from carepanel.demo import supporting_document
from rules_mail import CHILD, a_bexley_case, a_case, codes, detail, email, judge, proves


@proves("bexley", "fields")
def test_bexley_form_has_no_child_id_box_so_no_child_id_is_required(tmp_path: Path) -> None:
    # Defect in the issue: Bexley flagged a missing child ID its form has no box for.
    case = a_bexley_case(children=(replace(CHILD, child_id=""),))
    sub = judge(tmp_path, "bexley", email(case, layout="bexley", with_papers=False))
    assert "missing_fields" not in codes(sub), sub["flags"]


@proves("bexley", "fields")
def test_bexley_projected_costs_are_required(tmp_path: Path) -> None:
    case = a_bexley_case(weekly_cost=None, total_cost=None)
    sub = judge(tmp_path, "bexley", email(case, layout="bexley", with_papers=False))
    assert "missing_fields" in codes(sub) and "projected costs" in detail(sub, "missing_fields")


@proves("north-somerset", "fields", "care-planning-resources", "fields", "south-gloucestershire", "fields",
        "swindon", "fields")
def test_a_form_with_a_child_id_place_left_empty_is_flagged(tmp_path: Path) -> None:
    case = a_case(children=(replace(CHILD, child_id=""),))
    for profile in ("north-somerset", "care-planning-resources", "south-gloucestershire", "swindon"):
        sub = judge(tmp_path, profile, email(case))
        assert "missing_fields" in codes(sub) and "child's ID" in detail(sub, "missing_fields"), profile


@proves("north-somerset", "documents")
def test_north_somerset_latest_assessment_care_plan_and_genogram_are_required(tmp_path: Path) -> None:
    sub = judge(tmp_path, "north-somerset", email(a_case(), with_papers=False))
    assert "missing_documents" in codes(sub) and "genogram" in detail(sub, "missing_documents")


@proves("care-planning-resources", "documents", "south-gloucestershire", "documents", "swindon", "documents",
        "bexley", "documents")
def test_panels_requiring_no_papers_accept_the_form_alone(tmp_path: Path) -> None:
    for profile in ("care-planning-resources", "south-gloucestershire", "swindon"):
        sub = judge(tmp_path, profile, email(a_case(), with_papers=False))
        assert "missing_documents" not in codes(sub), profile
    sub = judge(tmp_path, "bexley", email(a_bexley_case(), layout="bexley", with_papers=False))
    assert "missing_documents" not in codes(sub)


@proves("bexley", "advice.1")
def test_bexley_I10_additional_reports_give_a_warning_not_a_flag(tmp_path: Path) -> None:
    report = [("psychology report.docx", supporting_document("Psychology Report", "Poppy Example"))]
    sub = judge(tmp_path, "bexley", email(a_bexley_case(), layout="bexley", with_papers=False, extra=report))
    assert sub["status"] == "accepted", sub["flags"]
    assert any("chair's agreement" in w for w in sub["warnings"])


@proves("bexley", "advice.1")
def test_bexley_the_referral_alone_gives_no_additional_reports_warning(tmp_path: Path) -> None:
    sub = judge(tmp_path, "bexley", email(a_bexley_case(), layout="bexley", with_papers=False))
    assert not any("chair's agreement" in w for w in sub["warnings"])


@proves("bexley", "advice.2")
def test_bexley_1_4g_external_placement_at_18_or_over_is_warned(tmp_path: Path) -> None:
    leaver = replace(CHILD, name="Jordan Leaver", dob=date(2008, 1, 10), child_id="LCS900777")
    case = a_bexley_case(children=(leaver,), request="Approval of a semi-independent placement for Jordan, leaving care.")
    sub = judge(tmp_path, "bexley", email(case, layout="bexley", with_papers=False))
    assert any("18th birthday" in w for w in sub["warnings"])


@proves("bexley", "advice.2")
def test_bexley_1_4g_external_placement_before_18_is_not_warned(tmp_path: Path) -> None:
    young = replace(CHILD, name="Jordan Leaver", dob=date(2009, 6, 10), child_id="LCS900777")
    case = a_bexley_case(children=(young,), request="Approval of a semi-independent placement for Jordan, leaving care.")
    sub = judge(tmp_path, "bexley", email(case, layout="bexley", with_papers=False))
    assert not any("18th birthday" in w for w in sub["warnings"])
