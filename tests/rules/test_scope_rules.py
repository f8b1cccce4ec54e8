"""Scope (Rules v2, "Scope: what a panel does not consider"): exclusions with their unless_*
conditions and refer_to, negated mentions, and advisory routes as warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from carepanel.demo.samples import SampleChild
from rules_mail import CHILD, a_case, codes, detail, email, forwarded, judge, proves

AGREE = "I agree this request should go to panel."


def swindon(tmp_path: Path, request: str, child: SampleChild = CHILD) -> dict:
    case = a_case(request=request, children=(child,))
    return judge(tmp_path, "swindon", email(case, body=forwarded("Sue Senior", AGREE)))


@proves("north-somerset", "scope.1", "north-somerset", "request_types")
def test_north_somerset_respite_for_a_disabled_child_with_no_care_proceedings_is_not_considered(tmp_path: Path) -> None:
    # Defect in the issue: "There are no care proceedings" marked it as care proceedings and
    # skipped the exclusion.
    case = a_case(request="Respite for Poppy, who has autism, one weekend a month. There are no care proceedings.")
    sub = judge(tmp_path, "north-somerset", email(case))
    assert "out_of_scope" in codes(sub)
    assert "Children with Disabilities panel" in detail(sub, "out_of_scope")
    assert "Children with Disabilities panel" in sub["_acknowledgement"][0]


@proves("north-somerset", "scope.1")
def test_north_somerset_respite_as_part_of_care_proceedings_is_considered(tmp_path: Path) -> None:
    case = a_case(request="Respite for Poppy, who has autism, as part of the care proceedings plan.")
    assert "out_of_scope" not in codes(judge(tmp_path, "north-somerset", email(case)))


@proves("north-somerset", "scope.2")
def test_north_somerset_family_support_for_a_disabled_child_is_not_considered(tmp_path: Path) -> None:
    # Defect in the issue: family support (not respite) for a disabled child was let in.
    case = a_case(request="Family support worker for Poppy, who has cerebral palsy, 6 hours a week, £2,400 a year.")
    sub = judge(tmp_path, "north-somerset", email(case))
    assert "out_of_scope" in codes(sub) and "Children with Disabilities panel" in detail(sub, "out_of_scope")


@proves("north-somerset", "scope.2", "north-somerset", "request_types")
def test_north_somerset_family_support_with_no_disability_is_considered(tmp_path: Path) -> None:
    case = a_case(request="Family support worker for Poppy, who has no disability, £2,400 a year. "
                          "She is not subject to a child protection plan.")
    sub = judge(tmp_path, "north-somerset", email(case))
    assert "out_of_scope" not in codes(sub), sub["flags"]


@proves("north-somerset", "scope.3")
def test_north_somerset_special_guardianship_support_package_is_not_considered(tmp_path: Path) -> None:
    case = a_case(request="A Special Guardianship Order support package for Poppy's grandmother.")
    sub = judge(tmp_path, "north-somerset", email(case))
    assert "out_of_scope" in codes(sub) and "Special Guardian" in detail(sub, "out_of_scope")


@proves("swindon", "scope.1")
def test_swindon_s6_holidays_for_children(tmp_path: Path) -> None:
    sub = swindon(tmp_path, "Funding of £800 for a holiday to Devon for Poppy.")
    assert "out_of_scope" in codes(sub) and "holiday" in detail(sub, "out_of_scope")


@proves("swindon", "scope.2")
def test_swindon_s6_low_level_transport_under_500(tmp_path: Path) -> None:
    assert "out_of_scope" in codes(swindon(tmp_path, "Taxi to school for Poppy, £300 in total."))


@proves("swindon", "scope.2")
def test_swindon_s6_transport_of_500_or_more_is_considered(tmp_path: Path) -> None:
    assert "out_of_scope" not in codes(swindon(tmp_path, "Taxi to school for Poppy, £2,600 in total."))


@proves("swindon", "scope.3")
@pytest.mark.parametrize("request_text, excluded", [
    ("Child-minding for Poppy for 6 weeks, £600 in total.", True),
    ("Child-minding for Poppy for 6 months, £2,000 in total.", True),  # long, but not part of a package
    ("Child-minding for Poppy for 6 months, £2,000 in total, as part of a wider package of support.", False),
])
def test_swindon_s6_child_minding_unless_longer_than_three_months_and_part_of_a_wider_package(
        tmp_path: Path, request_text: str, excluded: bool) -> None:
    # Defect in the issue: the "wider package" condition was missing.
    assert ("out_of_scope" in codes(swindon(tmp_path, request_text))) is excluded


@proves("swindon", "scope.4")
def test_swindon_s6_low_level_home_support(tmp_path: Path) -> None:
    sub = swindon(tmp_path, "Home support for Poppy's family, two hours a week, £800 in total.")
    assert "out_of_scope" in codes(sub) and "Complex Health Needs" not in detail(sub, "out_of_scope")


@proves("swindon", "scope.4")
def test_swindon_s6_home_support_for_a_disabled_child_goes_to_the_complex_health_needs_panel(tmp_path: Path) -> None:
    sub = swindon(tmp_path, "Home support for Poppy, who has autism, two hours a week, £800 in total.")
    assert "out_of_scope" in codes(sub) and "Children with Complex Health Needs Panel" in detail(sub, "out_of_scope")


@proves("swindon", "scope.5")
@pytest.mark.parametrize("request_text, excluded", [
    ("Day care for Poppy, £400 in total.", True),
    ("Day care for Poppy, £1,200 in total.", True),  # over £500 but not part of a package
    ("Day care for Poppy, £1,200 in total, as part of a family support package.", False),
])
def test_swindon_s6_day_care_unless_over_500_and_part_of_a_family_support_package(
        tmp_path: Path, request_text: str, excluded: bool) -> None:
    assert ("out_of_scope" in codes(swindon(tmp_path, request_text))) is excluded


@proves("swindon", "request_types")
def test_swindon_a_negated_mention_is_not_a_mention(tmp_path: Path) -> None:
    sub = swindon(tmp_path, "A family support worker for Poppy, £900 in total; this is not a holiday.")
    assert "out_of_scope" not in codes(sub), sub["flags"]


@proves("care-planning-resources", "advice.1")
def test_care_planning_1_4_joint_funding_with_sen_or_health_is_a_warning_not_a_flag(tmp_path: Path) -> None:
    case = a_case(request="Residential school placement for Poppy, jointly funded with SEN and Health.")
    sub = judge(tmp_path, "care-planning-resources", email(case))
    assert sub["status"] == "accepted", sub["flags"]
    assert any("Complex Needs Panel" in w for w in sub["warnings"])


@proves("care-planning-resources", "advice.1")
def test_care_planning_no_joint_funding_no_warning(tmp_path: Path) -> None:
    sub = judge(tmp_path, "care-planning-resources", email(a_case()))
    assert not any("Complex Needs" in w for w in sub["warnings"])


@proves("south-gloucestershire", "advice.1")
def test_south_glos_multi_agency_or_high_cost_funding_marp_is_recommended(tmp_path: Path) -> None:
    case = a_case(request="Multi-agency funding for a residential placement for Poppy, with health and education.")
    sub = judge(tmp_path, "south-gloucestershire", email(case, sender="Sue Senior"))
    assert sub["status"] == "accepted", sub["flags"]
    assert any("MARP" in w for w in sub["warnings"])


@proves("bexley", "request_types", "care-planning-resources", "request_types", "south-gloucestershire", "request_types")
def test_negated_mentions_do_not_decide_the_request_type_on_any_form(tmp_path: Path) -> None:
    from rules_mail import a_bexley_case
    request = "Funding for a family support worker. There are no care proceedings and no plan to accommodate."
    sub = judge(tmp_path, "bexley", email(a_bexley_case(request=request), layout="bexley", with_papers=False))
    assert sub["request"]["request_types"] == ["expenditure"]
    for profile, sender in (("care-planning-resources", "Terry Manager"), ("south-gloucestershire", "Sue Senior")):
        sub = judge(tmp_path, profile, email(a_case(request=request + " £900 in total."), sender=sender))
        assert sub["request"]["request_types"] == ["expenditure"], profile
