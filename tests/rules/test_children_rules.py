"""Who the request is about (Rules v2): every row of the children table is a child or young
person whatever the age; parents only from the rows the form gives to parents."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from carepanel.profiles import PROFILE_NAMES
from carepanel.demo.samples import SamplePerson
from rules_mail import CHILD, a_bexley_case, a_case, codes, email, forwarded, judge, proves

LEAVER = replace(CHILD, name="Jordan Leaver", dob=date(2006, 2, 1), child_id="LCS900777", legal_status="Care leaver",
                 plan="Pathway plan")
AGREE = "I agree this request should go to panel."
REQUEST = "Agreement to fund supported lodgings for Jordan, a care leaver, £400 per week for a year."


@proves("north-somerset", "children", "care-planning-resources", "children", "south-gloucestershire", "children",
        "swindon", "children")
@pytest.mark.parametrize("profile", [p for p in PROFILE_NAMES if p != "bexley"])
def test_care_leavers_18_to_25_are_the_young_people_of_the_request(tmp_path: Path, profile: str) -> None:
    # Defect in the issue: a care leaver of 18 or over was dropped as an adult, so the request
    # was flagged as missing the young person's name, date of birth and ID.
    case = a_case(children=(LEAVER,), request=REQUEST)
    sub = judge(tmp_path, profile, email(case, sender="Sue Senior", body=forwarded("Dora Director", AGREE)))
    assert [c["name"] for c in sub["request"]["children"]] == ["Jordan Leaver"]
    assert sub["request"]["children"][0]["age"] == 20 and sub["request"]["children"][0]["child_id"] == "LCS900777"
    assert "missing_fields" not in codes(sub), sub["flags"]


@proves("bexley", "children")
def test_bexley_care_leaver_on_the_referral_is_the_subject_young_person(tmp_path: Path) -> None:
    case = a_bexley_case(children=(LEAVER,), request=REQUEST)
    sub = judge(tmp_path, "bexley", email(case, layout="bexley", with_papers=False))
    assert [c["name"] for c in sub["request"]["children"]] == ["Jordan Leaver"]
    assert "missing_fields" not in codes(sub), sub["flags"]


@proves("north-somerset", "children")
def test_parents_are_the_rows_the_form_gives_to_parents_never_guessed_from_age(tmp_path: Path) -> None:
    family = (SamplePerson("Jane Example", "Mother", date(1990, 4, 4)), SamplePerson("Joe Example", "Father", date(1988, 1, 1)))
    case = a_case(children=(CHILD, LEAVER), family=family)
    sub = judge(tmp_path, "north-somerset", email(case))
    assert [c["name"] for c in sub["request"]["children"]] == ["Poppy Example", "Jordan Leaver"]

