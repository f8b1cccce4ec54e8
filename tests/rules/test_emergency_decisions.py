"""Emergency decisions outside panel: "each name must be in the directory with a role the
profile allows" -- north-somerset 5 (a Head of Service and an Assistant Director), swindon s.9
(a Service Manager, or the Director for a high-cost placement), south-gloucestershire (homeless
young people no more than 10 days in retrospect); anyone else: not_authorised."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from carepanel.store import Decision, Store

from decision_fixtures import cli, error, ok, project
from rules_mail import proves

pytestmark = pytest.mark.slow
# Thursday 26 November 2026, evening: between sittings everywhere.
AT = datetime(2026, 11, 26, 21, 0, tzinfo=timezone.utc)


def emergency(folder: Path, *args: str, at: datetime = AT, request: str = "Section 20 accommodation overnight"):
    return cli(folder, at, "emergency-decision", "--child-id", "LCS555001", "--child-name", "Jo Night",
               "--request", request, "--outcome", "approve", "--rationale", "No safe adult at home tonight.", *args, "--json")


def _decisions(folder: Path) -> list[Decision]:
    store = Store(folder / "data" / "carepanel.db")
    try:
        return store.decisions()
    finally:
        store.close()


@proves("north-somerset", "emergency.authority.1")
def test_north_somerset_5_a_social_worker_may_not_decide_outside_panel(tmp_path: Path) -> None:
    project(tmp_path, "north-somerset")
    err = error(emergency(tmp_path, "--decided-by", "Sam Worker"))
    assert err["code"] == "not_authorised" and "Sam Worker" in err["detail"]
    assert _decisions(tmp_path) == []


@proves("north-somerset", "emergency.authority.1")
def test_north_somerset_5_a_head_of_service_alone_is_not_enough(tmp_path: Path) -> None:
    project(tmp_path, "north-somerset")
    err = error(emergency(tmp_path, "--decided-by", "Hana Head"))
    assert err["code"] == "not_authorised" and "assistant director" in err["detail"]
    err = error(emergency(tmp_path, "--decided-by", "Hana Head", "--decided-by", "Nobody Known"))
    assert err["code"] == "not_authorised" and "Nobody Known" in err["detail"]
    assert _decisions(tmp_path) == []


@proves("north-somerset", "emergency.authority.1", "north-somerset", "emergency.record")
def test_north_somerset_5_head_of_service_and_assistant_director_and_a_slot_booked(tmp_path: Path) -> None:
    project(tmp_path, "north-somerset")
    drafted = ok(emergency(tmp_path, "--decided-by", "Hana Head", "--decided-by", "Ada Director",
                           "--decided-on", "2026-11-25"))
    [row] = _decisions(tmp_path)
    assert row.id == drafted["decision_id"] and row.panel_date == "2026-11-25"
    assert json.loads(row.record)["decision"]["decided_by"] == "Hana Head and Ada Director"
    store = Store(tmp_path / "data" / "carepanel.db")
    try:
        # Decided Wednesday 25th after that day's sitting; recorded Thursday: next sitting Wednesday 2 December.
        [review] = store.db.query("SELECT panel_date, kind FROM reviews")
        assert (review["panel_date"], review["kind"]) == ("2026-12-02", "ratification")
    finally:
        store.close()


@proves("north-somerset", "emergency.record")
def test_emergency_decision_dated_in_the_future_is_refused(tmp_path: Path) -> None:
    project(tmp_path, "north-somerset")
    err = error(emergency(tmp_path, "--decided-by", "Hana Head", "--decided-by", "Ada Director",
                          "--decided-on", "2026-11-30"))
    assert err["code"] == "not_authorised" and "future" in err["detail"]


@proves("swindon", "emergency.authority.1")
def test_swindon_9_a_service_manager_approves_outside_panel(tmp_path: Path) -> None:
    project(tmp_path, "swindon")
    ok(emergency(tmp_path, "--decided-by", "Jordan Senior"))
    err = error(emergency(tmp_path, "--decided-by", "Terry Manager"))
    assert err["code"] == "not_authorised"


@proves("swindon", "emergency.authority.2", "swindon", "emergency.high_cost")
def test_swindon_9_a_high_cost_placement_needs_the_director(tmp_path: Path) -> None:
    project(tmp_path, "swindon")
    err = error(emergency(tmp_path, "--decided-by", "Jordan Senior", "--high-cost"))
    assert err["code"] == "not_authorised" and "director" in err["detail"] and "high cost" in err["detail"]  # the policy's own words, quoted
    ok(emergency(tmp_path, "--decided-by", "Dee Director", "--high-cost"))


@proves("south-gloucestershire", "emergency.window.1")
def test_south_gloucestershire_homeless_no_more_than_10_days_in_retrospect(tmp_path: Path) -> None:
    project(tmp_path, "south-gloucestershire")
    homeless = "Young person presenting as homeless: supported lodgings"
    eleven = (AT - timedelta(days=11)).date().isoformat()
    err = error(emergency(tmp_path, "--decided-by", "Jordan Senior", "--decided-on", eleven, request=homeless))
    assert err["code"] == "not_authorised" and "10 days in retrospect" in err["detail"] and "11 days" in err["detail"]
    ten = (AT - timedelta(days=10)).date().isoformat()
    ok(emergency(tmp_path, "--decided-by", "Jordan Senior", "--decided-on", ten, request=homeless))
    # The window is for homeless young people only: another emergency placement is heard at the next panel.
    ok(emergency(tmp_path, "--decided-by", "Jordan Senior", "--decided-on", eleven, request="Emergency foster placement"))


@proves("north-somerset", "emergency.authority.2")
def test_north_somerset_3_an_emergency_protection_order_plan_may_be_agreed_by_a_head_of_service(tmp_path: Path) -> None:
    project(tmp_path, "north-somerset")
    ok(emergency(tmp_path, "--decided-by", "Hana Head", request="Plan to apply for an Emergency Protection Order"))
    err = error(emergency(tmp_path, "--decided-by", "Hana Head", request="Section 20 accommodation overnight"))
    assert err["code"] == "not_authorised"
