"""Ordering and slots: what the administrator would otherwise do by hand each week."""

from __future__ import annotations

from datetime import date
from functools import partial

from carepanel.profiles import load_profile
from carepanel.pipeline import agenda, calendar
from carepanel.pipeline.agenda import Case
from carepanel.store import AgendaItem

NS = load_profile("north-somerset")
SWINDON = load_profile("swindon")
WEDNESDAY = date(2026, 12, 2)


def case(ref: str, kind: str = "request", team: str | None = "Team A", received: str = "2026-11-20T09:00:00+00:00",
         **kw: object) -> Case:
    return Case(ref_id=ref, kind=kind, title="s20", child_ref=f"X. ({ref})", team=team, received_at=received, **kw)  # type: ignore[arg-type]


def test_reviews_and_ratifications_come_first_then_requests_grouped_by_team() -> None:
    cases = [
        case("r1", team="Team B", received="2026-11-18T09:00:00+00:00"),
        case("r2", team="Team A", received="2026-11-19T09:00:00+00:00"),
        case("r3", team="Team B", received="2026-11-20T09:00:00+00:00"),
        case("rev", kind="review", team=None),
        case("rat", kind="ratification", team=None),
    ]
    assert [c.ref_id for c in agenda.order(cases)] == ["rat", "rev", "r1", "r3", "r2"]


def test_slots_run_from_the_sitting_start_in_the_profiles_length() -> None:
    built = agenda.build(NS, calendar.panel(NS, WEDNESDAY), [case("a"), case("b")])
    assert [(s.starts.strftime("%H:%M"), s.ends.strftime("%H:%M")) for s in built.slots] == [("13:30", "13:50"), ("13:50", "14:10")]


def test_complex_cases_get_the_longer_slot_where_the_profile_has_one() -> None:
    panel = calendar.panel(SWINDON, WEDNESDAY)
    built = agenda.build(SWINDON, panel, [case("a", complex=True), case("b")])
    assert [s.starts.strftime("%H:%M") for s in built.slots] == ["10:00", "10:20"]
    assert agenda.is_complex(SWINDON, ["care_proceedings"], 1) and agenda.is_complex(SWINDON, ["s20"], 3)
    assert not agenda.is_complex(SWINDON, ["s20"], 1)


def test_cases_that_do_not_fit_the_sitting_overflow() -> None:
    # 13:30 to 16:30 in 20-minute slots holds nine cases.
    built = agenda.build(NS, calendar.panel(NS, WEDNESDAY), [case(f"c{n}", received=f"2026-11-2{n % 10}T00:00:00+00:00") for n in range(11)])
    assert len(built.slots) == 9 and len(built.overflow) == 2
    assert built.overflow[0].starts.strftime("%H:%M") == "16:30"


def test_the_administrators_order_and_withdrawals_win() -> None:
    cases = [case("a"), case("b"), case("c")]
    at = "2026-11-21T10:00:00+00:00"
    mark = partial(AgendaItem, panel_date="2026-11-25", title=None, team=None, complex=False, position=None,
                   status="listed", reason=None, created_at=at, updated_at=at)
    items = [mark(id="agi-1", ref_id="c", kind="request", position=1),
             mark(id="agi-2", ref_id="a", kind="request", status="withdrawn"),
             mark(id="agi-3", ref_id="agi-3", kind="ratification", title="Emergency s20 for J.B.")]
    listed, withdrawn = agenda.apply_items(cases, items)
    built = agenda.build(NS, calendar.panel(NS, WEDNESDAY), listed, withdrawn)
    assert [s.case.ref_id for s in built.slots] == ["c", "agi-3", "b"]
    assert [c.ref_id for c in built.withdrawn] == ["a"]
