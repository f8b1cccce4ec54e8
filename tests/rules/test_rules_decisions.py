"""The decision and emergency rules of `carepanel rules`, for every profile, through the rule
functions the service calls (``carepanel.pipeline.decisions``, the notices' recipients): what
each policy's outcomes are, that a deferral books its panel, that approved costs reach the
finance log, who is told, when the record is due, who signs and when, and who may decide
outside panel.  The slow tests beside this file (test_decisions_*.py, test_emergency_decisions.py,
...) prove the same rules end to end for the profiles the issue names; these make sure no
profile's rule goes unproved (tests/rules/test_rules_doc.py fails when one does)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from carepanel.config import load_config
from carepanel.profiles import PROFILE_NAMES, Profile, load_profile
from carepanel.jobs.decisions import chair_in_directory
from carepanel.directory import parse_directory
from carepanel.errors import PanelError
from carepanel.models import Request, Signatory, SourceFile, Worker
from carepanel.outputs.notices import decision_recipients
from carepanel.pipeline import calendar
from carepanel.pipeline.decisions import (DecisionRecord, approved_spending, check_emergency, deadlines, follow_ups,
                                          sitting_started, validate)
from rules_mail import CONFIG, STAFF, proves

DIRECTORY = parse_directory(STAFF)


def a_sitting(profile: Profile, on_or_after: date = date(2026, 12, 1)) -> date:
    found = calendar.sittings(profile, on_or_after, on_or_after + timedelta(days=60))
    return found[0]


def record(outcome: str, *more: str, **kw: object) -> DecisionRecord:
    return DecisionRecord(outcome=outcome, rationale="Because the assessment shows the need.",
                          more_outcomes=tuple(more), **kw)  # type: ignore[arg-type]


# The outcomes each policy gives, in its own words (the decision sheet's, for bexley).
OUTCOMES = {
    "north-somerset": {"approve", "decline", "defer"},
    "bexley": {"approve", "alternative_approved", "defer", "decline", "return_to_panel"},
    "care-planning-resources": {"approve", "decline", "defer"},  # 3.5 Approve; Decline; or, Defer
    "south-gloucestershire": {"approve", "decline", "defer"},
    "swindon": {"approve", "defer", "decline"},  # agreed, deferred or not agreed
}


@proves("north-somerset", "decisions.outcomes", "bexley", "decisions.outcomes",
        "care-planning-resources", "decisions.outcomes", "south-gloucestershire", "decisions.outcomes",
        "swindon", "decisions.outcomes")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_each_panel_records_its_policys_outcomes_one_at_a_time_and_refuses_others(name: str) -> None:
    profile = load_profile(name)
    later = a_sitting(profile, date(2027, 1, 4))
    for outcome in OUTCOMES[name]:
        validate(profile, record(outcome, defer_to=later, return_date=later))
    for stranger in {"alternative_approved", "return_to_panel", "approved"} - OUTCOMES[name]:
        with pytest.raises(PanelError, match="not one this panel gives"):
            validate(profile, record(stranger))
    with pytest.raises(PanelError, match="cannot be recorded together"):
        validate(profile, record("approve", "decline"))


@proves("north-somerset", "decisions.defer", "bexley", "decisions.defer",
        "care-planning-resources", "decisions.defer", "south-gloucestershire", "decisions.defer",
        "swindon", "decisions.defer")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_a_deferral_names_its_panel_and_books_the_first_sitting_on_or_after_it(name: str) -> None:
    profile = load_profile(name)
    with pytest.raises(PanelError, match="names the panel it goes to"):
        validate(profile, record("defer"))
    decided = a_sitting(profile)
    asked = date(2027, 1, 6)  # a Wednesday: not every panel's day
    booked = follow_ups(profile, record("defer", defer_to=asked), decided)
    assert [kind for _, kind, _ in booked] == ["review"]
    assert booked[0][0] == a_sitting(profile, asked)
    assert booked[0][0] >= asked and booked[0][0].weekday() == profile.panel.weekday


@proves("north-somerset", "decisions.approving", "bexley", "decisions.approving",
        "care-planning-resources", "decisions.approving", "south-gloucestershire", "decisions.approving",
        "swindon", "decisions.approving")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_approved_costs_go_to_the_finance_log_and_declined_or_deferred_ones_do_not(name: str) -> None:
    profile = load_profile(name)
    assert approved_spending(profile, record("approve", weekly_cost=350.0))
    assert not approved_spending(profile, record("decline", weekly_cost=350.0))
    assert not approved_spending(profile, record("defer", weekly_cost=350.0, defer_to=date(2027, 1, 6)))
    assert not approved_spending(profile, record("approve"))  # no cost named: nothing to log


# Who each policy says is told of the decision (besides the social worker's own manager chain).
TOLD = {
    "north-somerset": {"sam.worker@example.gov.uk", "terry.manager@example.gov.uk", "fin.money@example.gov.uk"},
    "bexley": {"sam.worker@example.gov.uk", "terry.manager@example.gov.uk", "fin.money@example.gov.uk"},
    "care-planning-resources": {"sam.worker@example.gov.uk", "terry.manager@example.gov.uk"},  # 3.6 SW and Manager
    "south-gloucestershire": {"terry.manager@example.gov.uk"},  # the Team Manager
    "swindon": {"sam.worker@example.gov.uk", "terry.manager@example.gov.uk"},  # SW and TM
}


@proves("north-somerset", "decisions.notify", "bexley", "decisions.notify",
        "care-planning-resources", "decisions.notify", "south-gloucestershire", "decisions.notify",
        "swindon", "decisions.notify")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_the_decision_notice_goes_to_whom_the_policy_names(tmp_path: Path, name: str) -> None:
    (tmp_path / "config.toml").write_text(CONFIG.format(profile=name))
    (tmp_path / "staff.csv").write_text(STAFF)
    cfg = load_config(tmp_path / "config.toml")
    request = Request(SourceFile("form.docx", "0" * 64, "docx"), None, social_worker=Worker(name="Sam Worker"),
                      team_manager=Signatory(name="Terry Manager"))
    to, cc = decision_recipients(cfg, DIRECTORY, request, "sue.senior@example.gov.uk")
    assert set(to) | set(cc) == TOLD[name]
    if "sam.worker@example.gov.uk" in TOLD[name]:
        assert to == ["sam.worker@example.gov.uk"]  # the worker named on the form, not the sender


@proves("north-somerset", "decisions.deadline.uploaded", "bexley", "decisions.deadline.uploaded")
@pytest.mark.parametrize("name", ["north-somerset", "bexley"])
def test_where_the_policy_names_no_hours_the_upload_is_due_48_hours_after_the_signature(name: str) -> None:
    profile = load_profile(name)
    sitting = a_sitting(profile)
    signed = calendar.panel(profile, sitting).ends_at + timedelta(hours=3)
    due = deadlines(profile, sitting, drafted_at=None, signed_at=signed)
    assert due == {"uploaded": signed + timedelta(hours=48)}
    assert deadlines(profile, sitting, drafted_at=None, signed_at=None) == {}  # not signed: nothing due yet


@proves("north-somerset", "decisions.signing", "bexley", "decisions.signing",
        "care-planning-resources", "decisions.signing", "south-gloucestershire", "decisions.signing",
        "swindon", "decisions.signing")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_only_the_chair_or_vice_chair_in_the_directory_signs(tmp_path: Path, name: str) -> None:
    (tmp_path / "config.toml").write_text(CONFIG.format(profile=name))
    (tmp_path / "staff.csv").write_text(STAFF)
    directory = parse_directory((tmp_path / "staff.csv").read_text())
    assert load_config(tmp_path / "config.toml").profile.name == name
    assert chair_in_directory(directory, "cleo chair") == "Cleo Chair"
    assert chair_in_directory(directory, "Vic Vice") == "Vic Vice"
    for stranger in ("Random Stranger", "Dora Director", "Sue Senior", "Pat Admin"):
        with pytest.raises(PanelError) as err:
            chair_in_directory(directory, stranger)
        assert err.value.code == "not_a_chair"


@proves("north-somerset", "decisions.sitting", "bexley", "decisions.sitting",
        "care-planning-resources", "decisions.sitting", "south-gloucestershire", "decisions.sitting",
        "swindon", "decisions.sitting")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_nothing_is_recorded_or_signed_before_the_sitting_starts(name: str) -> None:
    profile = load_profile(name)
    sitting = a_sitting(profile)
    starts = calendar.panel(profile, sitting).starts_at
    assert not sitting_started(profile, sitting, starts - timedelta(minutes=1))
    assert not sitting_started(profile, sitting, starts - timedelta(days=1))
    assert sitting_started(profile, sitting, starts)


def _people(*names: str) -> list[tuple[str, object]]:
    return [(n, DIRECTORY.by_name(n)) for n in names]


TODAY = date(2026, 11, 26)
AUTHORISED = {  # (who may decide outside panel, who may not), per policy
    "bexley": ([("Cleo Chair",), ("Vic Vice",)], [("Dora Director",), ("Sue Senior",), ("Terry Manager",)]),
    "care-planning-resources": ([("Cleo Chair",), ("Vic Vice",)], [("Sue Senior",), ("Sam Worker",)]),
    "south-gloucestershire": ([("Sue Senior",), ("Hana Head",), ("Dora Director",)], [("Terry Manager",), ("Sam Worker",)]),
}


@proves("bexley", "emergency.authority.1", "bexley", "emergency.authority.2",
        "care-planning-resources", "emergency.authority.1", "care-planning-resources", "emergency.authority.2",
        "south-gloucestershire", "emergency.authority.1")
@pytest.mark.parametrize("name", sorted(AUTHORISED))
def test_who_may_decide_outside_panel_where_the_policy_names_no_one(name: str) -> None:
    profile = load_profile(name)
    allowed, refused = AUTHORISED[name]
    for who in allowed:
        check_emergency(profile, record("approve", emergency=True), _people(*who), "emergency foster placement", TODAY)
    for who in refused:
        with pytest.raises(PanelError) as err:
            check_emergency(profile, record("approve", emergency=True), _people(*who), "emergency foster placement", TODAY)
        assert err.value.code == "not_authorised"


DECIDER = {"north-somerset": ("Hana Head", "Adam Deputy"), "bexley": ("Cleo Chair",),
           "care-planning-resources": ("Cleo Chair",), "south-gloucestershire": ("Sue Senior",),
           "swindon": ("Sue Senior",)}


@proves("north-somerset", "emergency.record", "bexley", "emergency.record",
        "care-planning-resources", "emergency.record", "south-gloucestershire", "emergency.record",
        "swindon", "emergency.record")
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_an_emergency_decision_names_who_made_it_and_is_never_dated_in_the_future(name: str) -> None:
    profile = load_profile(name)
    about = "emergency foster placement"
    check_emergency(profile, record("approve", emergency=True, decided_on=TODAY - timedelta(days=2)),
                    _people(*DECIDER[name]), about, TODAY)
    with pytest.raises(PanelError, match="name who made the decision"):
        check_emergency(profile, record("approve", emergency=True), [], about, TODAY)
    with pytest.raises(PanelError, match="in the future"):
        check_emergency(profile, record("approve", emergency=True, decided_on=TODAY + timedelta(days=1)),
                        _people(*DECIDER[name]), about, TODAY)


def test_the_rules_of_the_decision_tests_are_named_after_rules_that_exist() -> None:
    from carepanel import rules

    ids = {(n, r.id) for n in PROFILE_NAMES for r in rules.profile_rules(load_profile(n))}
    marked = rules.tests_index(Path(__file__).resolve().parent)
    assert sorted(set(marked) - ids) == []
