"""carepanel/demo/samples.py: the forms built from scratch read back as the cases they were made from."""

from __future__ import annotations

import pytest

from carepanel.demo.samples import CASES, SampleCase, sample_form

from formfill import Read
from formfill import limits, profiles, read  # noqa: F401  (fixtures)


def _profile(case: SampleCase) -> str:
    return "bexley" if case.key.startswith("bexley") else "north-somerset"


@pytest.mark.parametrize("key", sorted(CASES))
def test_sample_reads_back(key: str, read: Read) -> None:
    case = CASES[key]
    filename, data = sample_form(key)
    request = read(filename, data, _profile(case))
    assert request.form == _profile(case)
    assert [c.name for c in request.children] == [c.name for c in case.children]
    assert [c.dob for c in request.children] == [c.dob for c in case.children]
    assert [c.child_id for c in request.children] == [c.child_id or None for c in case.children]
    assert request.request is not None and case.request in request.request
    assert request.social_worker.name == case.social_worker.name
    assert request.team_manager.name == case.team_manager.name
    assert request.team_manager.signed is bool(case.team_manager.signed)
    assert request.team_manager.signed_on == (case.team_manager.signed_on if case.team_manager.signed else None)
    if case.service_manager is not None:
        assert request.service_manager.name == case.service_manager.name
        assert request.service_manager.signed is bool(case.service_manager.signed)
    assert request.panel_date_asked == case.panel_date
    if case.weekly_cost is not None:
        assert (request.costs.weekly, request.costs.total) == (case.weekly_cost, case.total_cost)
    assert case.summary.current_situation in (request.summary or "")


def test_samples_flag_what_they_leave_out(read: Read) -> None:
    filename, data = sample_form("ns-incomplete")
    assert read(filename, data).missing == ("children.child_id", "summary.what_needs_to_change", "team_manager.name")
    filename, data = sample_form("ns-siblings-plo")
    request = read(filename, data)
    assert [c.name for c in request.children] == ["Alfie Sample", "Daisy Sample"]  # parents left out
    assert request.request_types == ("pre_proceedings",)
