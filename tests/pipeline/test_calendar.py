"""The panel calendar against the contract's calendar rules (shared/contract/profiles.md).

Concrete dates are worked by hand from the policies and a printed 2026-2033 calendar; the
property tests then hold the rules over 2020-2040 for all five profiles, and for made-up
profiles, so a holiday the concrete cases missed cannot slip through.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carepanel.clock import LONDON
from carepanel.profiles import PROFILE_NAMES, WEEKDAYS, Profile, build_profile, load_profile, load_profile_data
from carepanel.errors import ConfigError
from carepanel.pipeline import calendar

PROFILES = {name: load_profile(name) for name in PROFILE_NAMES}
GMT = timedelta(0)
BST = timedelta(hours=1)
PROPERTY = settings(max_examples=200, deadline=None)


def london(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=LONDON)


def with_cancelled(name: str, *days: str) -> Profile:
    return load_profile(name, {"panel": {"cancelled": list(days)}})


# --------------------------------------------------------------------------- working days


@pytest.mark.parametrize("day", [
    date(2026, 12, 25),  # Christmas Day, Friday
    date(2026, 12, 28),  # Boxing Day substitute: 26 Dec 2026 is a Saturday
    date(2027, 12, 27),  # Christmas Day substitute
    date(2027, 12, 28),  # Boxing Day substitute
    date(2022, 1, 3),    # New Year's Day substitute
    date(2022, 9, 19),   # one-off: state funeral
    date(2023, 5, 8),    # one-off: coronation
    date(2027, 3, 26),   # Good Friday
    date(2027, 3, 29),   # Easter Monday
    date(2026, 11, 21),  # a Saturday
])
def test_not_working_days(day: date) -> None:
    assert not calendar.is_working_day(day)


@pytest.mark.parametrize("day", [
    date(2026, 12, 24),  # Christmas Eve is not a bank holiday
    date(2026, 1, 2),    # 2 January is a bank holiday in Scotland only
    date(2026, 3, 17),   # St Patrick's Day: Northern Ireland only
    date(2026, 11, 20),
])
def test_working_days(day: date) -> None:
    assert calendar.is_working_day(day)


def test_substitute_day_is_a_bank_holiday_and_the_saturday_too() -> None:
    assert calendar.is_bank_holiday(date(2026, 12, 28))
    assert calendar.is_bank_holiday(date(2026, 12, 26))


def test_a_datetime_is_refused_rather_than_silently_never_a_holiday() -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2026, 12, 25, 9, 0))


# --------------------------------------------------------------------------- north-somerset


def test_north_somerset_cutoff_friday_noon_papers_monday_noon() -> None:
    p = calendar.panel(PROFILES["north-somerset"], date(2026, 11, 25))
    assert p.cutoff == london(2026, 11, 20, 12)
    assert p.cutoff.utcoffset() == GMT
    assert p.papers_out == london(2026, 11, 23, 12)
    assert (p.starts_at, p.ends_at) == (london(2026, 11, 25, 13, 30), london(2026, 11, 25, 16, 30))


def test_north_somerset_cutoff_in_bst_before_the_october_change() -> None:
    p = calendar.panel(PROFILES["north-somerset"], date(2026, 10, 28))  # clocks go back 25 Oct
    assert p.cutoff == london(2026, 10, 23, 12)
    assert p.cutoff.utcoffset() == BST
    assert p.cutoff.astimezone(timezone.utc) == datetime(2026, 10, 23, 11, tzinfo=timezone.utc)
    assert p.papers_out.utcoffset() == GMT
    assert p.starts_at.utcoffset() == GMT


def test_north_somerset_cutoff_in_gmt_and_papers_in_bst_over_the_march_change() -> None:
    p = calendar.panel(PROFILES["north-somerset"], date(2026, 4, 1))  # clocks go forward 29 Mar
    assert p.cutoff == london(2026, 3, 27, 12)
    assert p.cutoff.utcoffset() == GMT
    assert p.papers_out == london(2026, 3, 30, 12)
    assert p.papers_out.utcoffset() == BST
    assert p.starts_at.astimezone(timezone.utc) == datetime(2026, 4, 1, 12, 30, tzinfo=timezone.utc)


def test_north_somerset_easter_2027_cutoff_moves_back_and_papers_two_hours_after_it() -> None:
    p = calendar.panel(PROFILES["north-somerset"], date(2027, 3, 31))
    assert p.cutoff == london(2027, 3, 25, 12)  # Good Friday -> Maundy Thursday
    # Rules v2: "by midday Monday" is a deadline; Easter Monday's papers go back to the Thursday,
    # which is the cut-off itself, so they go min_hours_after_cutoff (2) hours after it.
    assert p.papers_out == london(2027, 3, 25, 14)
    assert p.starts_at.utcoffset() == BST


def test_a_monday_panel_skips_easter_monday() -> None:
    profile = load_profile("north-somerset", {"panel": {"weekday": "monday"}})
    assert calendar.sittings(profile, date(2027, 3, 22), date(2027, 4, 6)) == [date(2027, 3, 22), date(2027, 4, 5)]


def test_a_cancelled_date_is_not_a_sitting() -> None:
    profile = with_cancelled("north-somerset", "2026-11-25")
    assert calendar.sittings(profile, date(2026, 11, 20), date(2026, 12, 5)) == [date(2026, 12, 2)]


# --------------------------------------------------------------------------- bexley


def test_bexley_thursday_three_working_days_is_monday() -> None:
    p = calendar.panel(PROFILES["bexley"], date(2026, 11, 26))
    assert p.cutoff == london(2026, 11, 23, 17)
    assert p.papers_out == london(2026, 11, 25, 12)
    assert p.starts_at == london(2026, 11, 26, 14)


def test_bexley_easter_2027_counts_over_good_friday_and_easter_monday() -> None:
    p = calendar.panel(PROFILES["bexley"], date(2027, 4, 1))
    assert p.cutoff == london(2027, 3, 25, 17)  # Wed 31, Tue 30, (Mon 29, Fri 26 holidays), Thu 25
    assert p.cutoff.utcoffset() == GMT
    assert p.papers_out == london(2027, 3, 31, 12)
    assert p.papers_out.utcoffset() == BST


def test_bexley_counts_over_the_boxing_day_substitute() -> None:
    p = calendar.panel(PROFILES["bexley"], date(2026, 12, 31))
    assert p.cutoff == london(2026, 12, 24, 17)  # Wed 30, Tue 29, (Mon 28, Fri 25), Thu 24
    assert p.papers_out == london(2026, 12, 30, 12)


def test_bexley_sits_on_christmas_eve_and_new_years_eve() -> None:
    got = calendar.sittings(PROFILES["bexley"], date(2026, 12, 21), date(2027, 1, 8))
    assert got == [date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 7)]


# --------------------------------------------------------------------------- care-planning-resources


def test_care_planning_monday_cutoff_tuesday_papers() -> None:
    p = calendar.panel(PROFILES["care-planning-resources"], date(2026, 11, 25))
    assert p.cutoff == london(2026, 11, 23, 17)
    assert p.papers_out == london(2026, 11, 24, 12)
    assert (p.starts_at, p.ends_at) == (london(2026, 11, 25, 9, 30), london(2026, 11, 25, 13))


def test_care_planning_easter_monday_cutoff_goes_back_to_thursday() -> None:
    p = calendar.panel(PROFILES["care-planning-resources"], date(2027, 3, 31))
    assert p.cutoff == london(2027, 3, 25, 17)
    assert p.papers_out == london(2027, 3, 30, 12)  # Tuesday is a working day: unmoved
    assert p.papers_out.utcoffset() == BST


def test_care_planning_christmas_week_papers_go_two_hours_after_the_cutoff_not_before_it() -> None:
    # Mon 27 and Tue 28 Dec 2027 are both substitute days: the Monday cut-off goes back to
    # Friday 24th at five; the Tuesday papers go back too, to before the cut-off, so they go
    # min_hours_after_cutoff (2) hours after it.
    p = calendar.panel(PROFILES["care-planning-resources"], date(2027, 12, 29))
    assert p.cutoff == london(2027, 12, 24, 17)
    assert p.papers_out == london(2027, 12, 24, 19)


# --------------------------------------------------------------------------- south-gloucestershire


def test_south_glos_fortnightly_both_sides_of_the_anchor() -> None:
    got = calendar.sittings(PROFILES["south-gloucestershire"], date(2025, 12, 1), date(2026, 2, 28))
    assert got == [date(2025, 12, 9), date(2025, 12, 23), date(2026, 1, 6), date(2026, 1, 20),
                   date(2026, 2, 3), date(2026, 2, 17)]


def test_south_glos_first_sitting_deadlines() -> None:
    p = calendar.panel(PROFILES["south-gloucestershire"], date(2026, 1, 6))
    assert p.cutoff == london(2026, 1, 2, 13)
    assert p.papers_out == london(2026, 1, 5, 15)
    assert p.starts_at == london(2026, 1, 6, 12, 30)


def test_south_glos_new_years_day_friday_moves_cutoff_to_thursday() -> None:
    p = calendar.panel(PROFILES["south-gloucestershire"], date(2027, 1, 5))
    assert p.cutoff == london(2026, 12, 31, 13)
    assert p.papers_out == london(2027, 1, 4, 15)


def test_south_glos_sitting_on_boxing_day_substitute_is_skipped() -> None:
    got = calendar.sittings(PROFILES["south-gloucestershire"], date(2032, 12, 20), date(2033, 1, 20))
    assert got == [date(2033, 1, 11)]  # Tue 28 Dec 2032 would have been a sitting


def test_south_glos_anchor_override_shifts_the_fortnight() -> None:
    profile = load_profile("south-gloucestershire", {"panel": {"anchor_date": "2026-01-13"}})
    assert calendar.sittings(profile, date(2026, 1, 1), date(2026, 1, 31)) == [date(2026, 1, 13), date(2026, 1, 27)]


# --------------------------------------------------------------------------- swindon


def test_swindon_cutoff_is_the_wednesday_a_week_before() -> None:
    p = calendar.panel(PROFILES["swindon"], date(2026, 11, 25))
    assert p.cutoff == london(2026, 11, 18, 17)
    assert p.papers_out == london(2026, 11, 24, 12)
    assert p.starts_at == london(2026, 11, 25, 10)


def test_swindon_christmas_week_papers_go_back_over_two_substitute_days() -> None:
    p = calendar.panel(PROFILES["swindon"], date(2027, 12, 29))
    assert p.cutoff == london(2027, 12, 22, 17)
    assert p.papers_out == london(2027, 12, 24, 12)


def test_swindon_skips_christmas_and_new_years_day_wednesdays() -> None:
    profile = PROFILES["swindon"]
    assert calendar.sittings(profile, date(2030, 12, 20), date(2031, 1, 10)) == [date(2031, 1, 8)]
    assert calendar.cutoff_for(profile, date(2031, 1, 8)) == london(2030, 12, 31, 17)


# --------------------------------------------------------------------------- placing a request

NS_CUTOFF = london(2026, 11, 20, 12)  # for north-somerset's sitting on Wed 25 Nov 2026


def resolve(received_at: datetime, asked: date | None, profile: Profile | None = None) -> tuple[date, bool]:
    p, late = calendar.resolve_panel(profile or PROFILES["north-somerset"], received_at, asked)
    return p.date, late


def test_resolve_on_time() -> None:
    assert resolve(london(2026, 11, 19, 10), date(2026, 11, 25)) == (date(2026, 11, 25), False)


def test_resolve_exactly_at_cutoff_is_on_time() -> None:
    assert resolve(NS_CUTOFF, date(2026, 11, 25)) == (date(2026, 11, 25), False)


def test_resolve_one_second_after_cutoff_is_late_for_the_next_panel() -> None:
    assert resolve(NS_CUTOFF + timedelta(seconds=1), date(2026, 11, 25)) == (date(2026, 12, 2), True)


def test_resolve_cutoff_instant_given_in_utc_during_bst() -> None:
    # Fri 23 Oct 2026 12:00 BST is 11:00 UTC.
    asked = date(2026, 10, 28)
    at = datetime(2026, 10, 23, 11, tzinfo=timezone.utc)
    assert resolve(at, asked) == (asked, False)
    assert resolve(at + timedelta(seconds=1), asked) == (date(2026, 11, 4), True)


def test_resolve_asked_a_day_the_panel_does_not_sit_goes_to_the_next_sitting() -> None:
    assert resolve(london(2026, 11, 19, 10), date(2026, 11, 23)) == (date(2026, 11, 25), False)
    assert resolve(london(2026, 11, 19, 10), date(2026, 11, 26)) == (date(2026, 12, 2), False)


def test_resolve_asked_a_cancelled_date_goes_to_the_next_sitting() -> None:
    profile = with_cancelled("north-somerset", "2026-11-25")
    assert resolve(london(2026, 11, 19, 10), date(2026, 11, 25), profile) == (date(2026, 12, 2), False)


def test_resolve_asked_a_bank_holiday_goes_to_the_next_sitting() -> None:
    assert resolve(london(2030, 12, 2, 9), date(2031, 1, 1), PROFILES["swindon"]) == (date(2031, 1, 8), False)


def test_resolve_no_date_asked_is_never_late() -> None:
    assert resolve(NS_CUTOFF + timedelta(seconds=1), None) == (date(2026, 12, 2), False)
    assert resolve(NS_CUTOFF, None) == (date(2026, 11, 25), False)


def test_resolve_asked_date_in_the_past_is_late() -> None:
    assert resolve(london(2026, 11, 19, 10), date(2026, 11, 11)) == (date(2026, 11, 25), True)
    assert resolve(london(2026, 11, 19, 10), date(2001, 1, 1)) == (date(2026, 11, 25), True)


def test_resolve_asked_far_ahead_is_taken_as_asked() -> None:
    got, late = resolve(london(2026, 11, 19, 10), date(2099, 1, 1))
    assert (got.year, got.weekday(), late) == (2099, 2, False)


@pytest.mark.parametrize("asked", [date.max, date.min, date(1, 1, 5)])
def test_resolve_dates_at_the_ends_of_the_calendar_end_without_error(asked: date) -> None:
    # No sitting can follow 31 Dec 9999: treated as no date asked.  Year 1 is long past: late.
    got, late = resolve(london(2026, 11, 19, 10), asked)
    assert got == date(2026, 11, 25)
    assert late is (asked.year == 1)


def test_resolve_a_date_in_year_9999_is_still_taken_as_asked() -> None:
    got, late = resolve(london(2026, 11, 19, 10), date(9999, 12, 1))
    assert (got, late) == (date(9999, 12, 1), False)


def test_fortnightly_next_open_panel_after_cutoff() -> None:
    profile = PROFILES["south-gloucestershire"]
    assert calendar.next_open_panel(profile, london(2026, 1, 2, 13)).date == date(2026, 1, 6)
    assert calendar.next_open_panel(profile, london(2026, 1, 2, 13, 0, 1)).date == date(2026, 1, 20)


def test_next_open_panel_skips_a_cancelled_sitting() -> None:
    profile = with_cancelled("north-somerset", "2026-11-25")
    assert calendar.next_open_panel(profile, london(2026, 11, 19, 10)).date == date(2026, 12, 2)


def test_every_sitting_cancelled_is_a_config_error_not_a_hang() -> None:
    wednesdays = [str(date(2026, 11, 4) + timedelta(weeks=w)) for w in range(200)]
    profile = with_cancelled("north-somerset", *wednesdays)
    with pytest.raises(ConfigError, match="panel.cancelled"):
        calendar.next_open_panel(profile, london(2026, 11, 1, 10))


@pytest.mark.parametrize("call", [
    lambda p, at: calendar.next_open_panel(p, at),
    lambda p, at: calendar.resolve_panel(p, at, None),
    lambda p, at: calendar.resolve_panel(p, at, date(2026, 11, 25)),
])
def test_naive_received_at_is_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(PROFILES["north-somerset"], datetime(2026, 11, 19, 10))


def test_sittings_of_an_empty_range() -> None:
    assert calendar.sittings(PROFILES["bexley"], date(2026, 11, 27), date(2026, 11, 20)) == []
    assert calendar.sittings(PROFILES["bexley"], date(2026, 11, 26), date(2026, 11, 26)) == [date(2026, 11, 26)]


# --------------------------------------------------------------------------- every sitting 2020-2040


def all_sittings(profile: Profile) -> list[date]:
    return calendar.sittings(profile, date(2020, 1, 1), date(2040, 12, 31))


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_sitting_2020_2040_keeps_the_rules(name: str) -> None:
    profile = PROFILES[name]
    days = all_sittings(profile)
    step = 7 if profile.panel.frequency == "weekly" else 14
    assert len(days) > 500 if step == 7 else len(days) > 250
    for prev, day in zip(days, days[1:]):
        assert (day - prev).days % step == 0 and (day - prev).days <= 3 * step
    for day in days:
        assert day.weekday() == profile.panel.weekday
        assert not calendar.is_bank_holiday(day)
        p = calendar.panel(profile, day)
        for deadline, rule in ((p.cutoff, profile.cutoff), (p.papers_out, profile.papers_out)):
            assert deadline.tzinfo is LONDON
            assert deadline.time() == rule.time or deadline == p.cutoff + timedelta(hours=2)
            assert calendar.is_working_day(deadline.date())
            assert deadline < p.starts_at
        assert p.papers_out > p.cutoff, day


@pytest.mark.parametrize("name", ["bexley", "south-gloucestershire", "swindon"])
def test_papers_go_out_after_the_cutoff(name: str) -> None:
    profile = PROFILES[name]
    for day in all_sittings(profile):
        p = calendar.panel(profile, day)
        assert p.papers_out > p.cutoff, day


def test_north_somerset_papers_after_a_bank_holiday_monday_go_back_never_before_the_cutoff() -> None:
    # Rules v2 "Papers out": "by midday Monday" is a deadline.  When the Monday is a bank
    # holiday the papers go back to the Friday, which is the cut-off (noon): so two hours after
    # it, never on the Tuesday.
    profile = PROFILES["north-somerset"]
    moved = 0
    for day in all_sittings(profile):
        p = calendar.panel(profile, day)
        monday = day - timedelta(days=2)
        assert p.papers_out > p.cutoff, day
        assert p.papers_out.date() <= monday, day
        if not calendar.is_working_day(monday):
            moved += 1
            assert p.papers_out == p.cutoff + timedelta(hours=2), day
    assert moved > 20


def test_care_planning_papers_never_before_the_cutoff() -> None:
    profile = PROFILES["care-planning-resources"]
    for d in all_sittings(profile):
        p = calendar.panel(profile, d)
        assert p.papers_out > p.cutoff, d
        assert p.papers_out.time() == profile.papers_out.time or p.papers_out == p.cutoff + timedelta(hours=2), d


# --------------------------------------------------------------------------- properties

profiles = st.sampled_from(PROFILE_NAMES).map(PROFILES.__getitem__)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31),
    timezones=st.sampled_from([LONDON, timezone.utc]), allow_imaginary=False,
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


def first_sitting_from(profile: Profile, day: date) -> date:
    return calendar.sittings(profile, day, day + timedelta(days=60))[0]


@PROPERTY
@given(profiles, instants)
def test_next_open_panel_is_the_first_with_its_cutoff_ahead(profile: Profile, at: datetime) -> None:
    p = calendar.next_open_panel(profile, at)
    assert p.cutoff >= at
    earlier = calendar.sittings(profile, p.date - timedelta(days=60), p.date - timedelta(days=1))
    if earlier:
        assert calendar.cutoff_for(profile, earlier[-1]) < at


@PROPERTY
@given(profiles, instants, instants)
def test_next_open_panel_is_monotone(profile: Profile, a: datetime, b: datetime) -> None:
    a, b = sorted((a, b))
    assert calendar.next_open_panel(profile, a).date <= calendar.next_open_panel(profile, b).date


@PROPERTY
@given(profiles, days, st.integers(min_value=-1, max_value=1))
def test_the_cutoff_instant_is_the_last_on_time_moment(profile: Profile, day: date, nudge: int) -> None:
    sitting = first_sitting_from(profile, day)
    at = calendar.cutoff_for(profile, sitting) + timedelta(microseconds=nudge)
    got, late = calendar.resolve_panel(profile, at, sitting)
    assert late is (nudge > 0)
    assert (got.date == sitting) is (nudge <= 0)


@PROPERTY
@given(profiles, instants, st.none() | st.dates(min_value=date(2019, 1, 1), max_value=date(2042, 12, 31)))
def test_resolve_panel_is_consistent(profile: Profile, at: datetime, asked: date | None) -> None:
    got, late = calendar.resolve_panel(profile, at, asked)
    assert got.date in calendar.sittings(profile, got.date, got.date)
    if late:
        assert asked is not None
        assert calendar.cutoff_for(profile, first_sitting_from(profile, asked)) < at
        assert got == calendar.next_open_panel(profile, at)
    else:
        assert got.cutoff >= at
        assert asked is None or got.date >= asked


deadlines = st.one_of(
    st.builds(lambda wd, n, t: {"rule": "weekday_before", "weekday": wd, "min_days_before": n, "time": t},
              st.sampled_from(WEEKDAYS), st.integers(1, 15), st.times().map(lambda t: t.strftime("%H:%M"))),
    st.builds(lambda n, t: {"rule": "working_days_before", "days": n, "time": t},
              st.integers(1, 10), st.times().map(lambda t: t.strftime("%H:%M"))),
)


@PROPERTY
@given(st.sampled_from(WEEKDAYS[:5]), deadlines, deadlines, days)
def test_any_deadline_rule_lands_on_a_working_day_before_the_panel(
    weekday: str, cutoff: dict[str, Any], papers: dict[str, Any], day: date
) -> None:
    data = load_profile_data("swindon")
    profile = build_profile({**data, "panel": {**data["panel"], "weekday": weekday}, "cutoff": cutoff, "papers_out": papers})
    sitting = first_sitting_from(profile, day)
    p = calendar.panel(profile, sitting)
    assert not calendar.is_bank_holiday(sitting)
    for deadline in (p.cutoff, p.papers_out):
        # papers min_hours_after_cutoff after a late-evening cut-off may fall past midnight
        assert calendar.is_working_day(deadline.date()) or deadline == p.cutoff + timedelta(hours=2)
        assert deadline < p.starts_at
        assert deadline.utcoffset() == LONDON.utcoffset(deadline.replace(tzinfo=None))

