"""Late submissions and papers out (Rules v2, "Late submissions", "Papers out")."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from carepanel.profiles import PROFILE_NAMES, load_profile
from carepanel.directory import parse_directory
from carepanel.pipeline import calendar
from carepanel.pipeline.late import late_refusal
from rules_mail import STAFF, a_bexley_case, a_case, codes, detail, email, forwarded, judge, proves

AGREE = "I agree this request should go to panel."
# Thursday 26 November 2026, 10:00: after Swindon's Wednesday 25th cut-off for Wednesday 2 December.
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
DIRECTORY = parse_directory(STAFF)


@proves("swindon", "late")
def test_swindon_no_late_applications_will_be_considered(tmp_path: Path) -> None:
    case = a_case(request="Funding of £900 for a support worker for Poppy.", panel_date=date(2026, 12, 2))
    raw = email(case, body=forwarded("Sue Senior", AGREE), sent=THURSDAY - timedelta(hours=1))
    sub = judge(tmp_path, "swindon", raw, now=THURSDAY)
    assert "late" in codes(sub) and sub["panel_date"] == "2026-12-09"
    assert "considers no late applications" in detail(sub, "late") and "unless the chair" not in detail(sub, "late")
    assert late_refusal(load_profile("swindon"), DIRECTORY, "Cleo Chair") is not None


@proves("care-planning-resources", "late")
def test_care_planning_3_7_late_only_with_permission_of_the_chair_or_vice_chair(tmp_path: Path) -> None:
    # Tuesday 24 November: after the Monday 23rd 17:00 cut-off for Wednesday 25 November.
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
    raw = email(a_case(panel_date=date(2026, 11, 25)), sent=tuesday - timedelta(hours=1))
    sub = judge(tmp_path, "care-planning-resources", raw, now=tuesday)
    assert "late" in codes(sub) and "unless the chair agrees" in detail(sub, "late")
    profile = load_profile("care-planning-resources")
    assert late_refusal(profile, DIRECTORY, "Cleo Chair") is None
    assert late_refusal(profile, DIRECTORY, "Vic Vice") is None  # head_of_service;vice_chair
    assert late_refusal(profile, DIRECTORY, "Random Stranger") is not None
    assert late_refusal(profile, DIRECTORY, "Terry Manager") is not None


@proves("north-somerset", "late", "bexley", "late", "south-gloucestershire", "late")
@pytest.mark.parametrize("profile", ["north-somerset", "bexley", "south-gloucestershire"])
def test_chair_may_accept_late_is_the_default(profile: str) -> None:
    assert load_profile(profile).cutoff.late == "chair_may_accept"
    assert late_refusal(load_profile(profile), DIRECTORY, "Cleo Chair") is None


@proves("north-somerset", "cutoff")
def test_north_somerset_friday_midday_cutoff(tmp_path: Path) -> None:
    friday = datetime(2026, 11, 27, 12, 30, tzinfo=timezone.utc)
    raw = email(a_case(panel_date=date(2026, 12, 2)), sent=friday - timedelta(minutes=5))
    sub = judge(tmp_path, "north-somerset", raw, now=friday)
    assert "late" in codes(sub) and sub["panel_date"] == "2026-12-09"


@proves("bexley", "cutoff")
def test_bexley_I9_three_working_days_before(tmp_path: Path) -> None:
    # Thursday 3 December panel: cut-off Monday 30 November 17:00.
    tuesday = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    raw = email(a_bexley_case(panel_date=date(2026, 12, 3)), layout="bexley", with_papers=False, sent=tuesday)
    sub = judge(tmp_path, "bexley", raw, now=tuesday)
    assert "late" in codes(sub) and sub["panel_date"] == "2026-12-10"


@proves("north-somerset", "papers_out")
def test_north_somerset_papers_by_midday_monday_go_back_after_a_bank_holiday_never_on_the_tuesday() -> None:
    # Defect in the issue: papers went out on the Tuesday after a Monday bank holiday.
    # Wednesday 27 May 2026: Monday 25 May is the Spring bank holiday; the cut-off is Friday 22nd noon.
    p = calendar.panel(load_profile("north-somerset"), date(2026, 5, 27))
    assert p.cutoff == datetime(2026, 5, 22, 12, 0, tzinfo=calendar.LONDON)
    assert p.papers_out == datetime(2026, 5, 22, 14, 0, tzinfo=calendar.LONDON)  # two hours after the cut-off


@proves("care-planning-resources", "papers_out", "south-gloucestershire", "papers_out", "bexley", "papers_out",
        "swindon", "papers_out")
@pytest.mark.parametrize("profile", [p for p in PROFILE_NAMES if p != "north-somerset"])
def test_papers_out_never_after_the_day_the_policy_names_nor_before_the_cutoff(profile: str) -> None:
    prof = load_profile(profile)
    for day in calendar.sittings(prof, date(2026, 1, 1), date(2028, 12, 31)):
        p = calendar.panel(prof, day)
        named = calendar._deadline_date(prof.papers_out, day)
        assert p.papers_out > p.cutoff, day
        assert p.papers_out.date() <= named, day
        assert calendar.is_working_day(p.papers_out.date()), day


@proves("north-somerset", "panel", "bexley", "panel", "care-planning-resources", "panel",
        "south-gloucestershire", "panel", "swindon", "panel")
@pytest.mark.parametrize("profile, weekday", [("north-somerset", 2), ("bexley", 3), ("care-planning-resources", 2),
                                              ("south-gloucestershire", 1), ("swindon", 2)])
def test_the_panel_sits_on_its_day_never_on_a_bank_holiday(profile: str, weekday: int) -> None:
    for day in calendar.sittings(load_profile(profile), date(2026, 1, 1), date(2027, 12, 31)):
        assert day.weekday() == weekday and not calendar.is_bank_holiday(day)


@proves("care-planning-resources", "cutoff")
def test_care_planning_3_6_no_later_than_5pm_on_monday(tmp_path: Path) -> None:
    on_time = datetime(2026, 11, 23, 16, 59, tzinfo=timezone.utc)
    sub = judge(tmp_path, "care-planning-resources", email(a_case(panel_date=date(2026, 11, 25)), sent=on_time), now=on_time)
    assert "late" not in codes(sub) and sub["panel_date"] == "2026-11-25"


@proves("south-gloucestershire", "cutoff")
def test_south_glos_paperwork_by_the_previous_friday_at_1pm(tmp_path: Path) -> None:
    # Fortnightly from 6 January 2026: Tuesday 8 December 2026 sits; cut-off Friday 4 December 13:00.
    after = datetime(2026, 12, 4, 13, 30, tzinfo=timezone.utc)
    raw = email(a_case(panel_date=date(2026, 12, 8)), sender="Sue Senior", sent=after - timedelta(minutes=5))
    sub = judge(tmp_path, "south-gloucestershire", raw, now=after)
    assert "late" in codes(sub) and sub["panel_date"] == "2026-12-22"


@proves("swindon", "cutoff")
def test_swindon_5pm_on_the_wednesday_before_the_panel_date(tmp_path: Path) -> None:
    # Wednesday 2 December panel: cut-off Wednesday 25 November 17:00, the week before.
    on_time = datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)
    case = a_case(request="Funding of £900 for a support worker for Poppy.", panel_date=date(2026, 12, 2))
    sub = judge(tmp_path, "swindon", email(case, body=forwarded("Sue Senior", AGREE), sent=on_time), now=on_time)
    assert "late" not in codes(sub) and sub["panel_date"] == "2026-12-02"
