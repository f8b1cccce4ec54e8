from __future__ import annotations

from carepanel.profiles import load_profile
from carepanel.pipeline.checks import below_threshold, missing_documents, missing_fields, out_of_scope
from carepanel.models import AttachmentInfo, Child
from helpers import a_request, costs


def doc(role: str, readable: bool = True) -> AttachmentInfo:
    return AttachmentInfo(f"{role}.pdf", "0" * 64, role, readable)


def test_missing_fields_names_them_in_plain_english() -> None:
    flags = missing_fields(a_request(missing=("children.dob", "summary.what_needs_to_change")))
    assert [f.code for f in flags] == ["missing_fields"]
    assert "date of birth" in flags[0].detail and "what needs to change" in flags[0].detail
    assert missing_fields(a_request()) == []


def test_north_somerset_needs_assessment_care_plan_and_genogram() -> None:
    ns = load_profile("north-somerset")
    flags = missing_documents(ns, (doc("request_form"), doc("assessment"), doc("genogram", readable=False)))
    assert [f.code for f in flags] == ["missing_documents"]
    assert "care plan" in flags[0].detail and "genogram" in flags[0].detail and "assessment" not in flags[0].detail
    assert missing_documents(ns, (doc("assessment"), doc("care_plan"), doc("genogram"))) == []
    assert missing_documents(load_profile("bexley"), ()) == []


def test_out_of_scope_by_type_unless_care_proceedings() -> None:
    ns = load_profile("north-somerset")
    respite = a_request(request="Respite for a disabled child", request_types=("respite_disability",))
    assert [f.code for f in out_of_scope(ns, respite)] == ["out_of_scope"]
    in_proceedings = a_request(request_types=("respite_disability", "care_proceedings"))
    assert out_of_scope(ns, in_proceedings) == []
    assert out_of_scope(ns, a_request(request_types=("sgo_adoption_support",)))
    assert out_of_scope(load_profile("bexley"), respite) == []


def test_swindon_exclusions_by_keyword_and_cost() -> None:
    sw = load_profile("swindon")
    assert out_of_scope(sw, a_request(request="Funding for a holiday to Devon", request_types=("expenditure",)))
    cheap_taxi = a_request(request="Taxi to school", request_types=("expenditure",), costs=costs(total=300))
    dear_taxi = a_request(request="Taxi to school", request_types=("expenditure",), costs=costs(total=2600))
    assert out_of_scope(sw, cheap_taxi) and not out_of_scope(sw, dear_taxi)
    short = a_request(request="Childminder for 6 weeks", request_types=("expenditure",))
    long = a_request(request="Childminder for 6 months", request_types=("expenditure",))
    # Rules v2: longer than three months *and* part of a wider package lifts it; one alone does not.
    package = a_request(request="Childminder for 6 months as part of a family support package", request_types=("expenditure",))
    assert out_of_scope(sw, short) and out_of_scope(sw, long) and not out_of_scope(sw, package)


def test_below_threshold_per_year_and_for_disabled_children() -> None:
    ns = load_profile("north-somerset")
    spend = dict(request="Funding for nursery", request_types=("expenditure",))
    assert [f.code for f in below_threshold(ns, a_request(costs=costs(total=800), **spend))] == ["below_threshold"]
    assert below_threshold(ns, a_request(costs=costs(weekly=25), **spend)) == []  # 1,300 a year
    disabled = (Child(name="A B", child_id="LCS1", disability="Autism"),)
    assert below_threshold(ns, a_request(costs=costs(total=1500), children=disabled, **spend))
    assert below_threshold(ns, a_request(costs=costs(total=1500), **spend)) == []


def test_threshold_applies_to_any_stated_cost_but_never_to_unknown_costs() -> None:
    bx = load_profile("bexley")
    # Rules v2: "No request type skips it by name": an s20 request stating £100 is under it.
    assert [f.code for f in below_threshold(bx, a_request(costs=costs(total=100)))] == ["below_threshold"]
    assert below_threshold(bx, a_request(request_types=("expenditure",))) == []
    assert below_threshold(load_profile("care-planning-resources"), a_request(request_types=("expenditure",), costs=costs(total=5))) == []
