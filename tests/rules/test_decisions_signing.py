"""People and roles: "Only a person who is chair or vice_chair in the directory signs a
decision"; Decisions: "A decision is not recorded or signed before its sitting has started
(not_yet_sat), except emergency decisions and ratifications"."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from carepanel.store import Store

from decision_fixtures import cli, error, listed, ok, sat, service, starts
from rules_mail import proves

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("profile", ["north-somerset", "swindon"])
@proves("north-somerset", "decisions.signing", "swindon", "decisions.signing")
def test_sign_only_a_chair_or_vice_chair_in_the_directory_signs(tmp_path: Path, profile: str) -> None:
    with service(tmp_path, profile) as svc:
        sub = listed(svc)
        after = sat(svc.cfg, sub)
    drafted = ok(cli(tmp_path, after, "decide", sub.id, "--outcome", "approve", "--rationale", "Agreed.", "--json"))
    for stranger in ("Random Stranger", "Terry Manager", "Hana Head"):
        err = error(cli(tmp_path, after, "sign", drafted["decision_id"], "--chair", stranger, "--json"))
        assert err["code"] == "not_a_chair" and stranger in err["detail"]
    store = Store(tmp_path / "data" / "carepanel.db")
    try:
        row = store.decision(drafted["decision_id"])
        assert (row.status, row.signed_by) == ("draft", None)
        assert not (tmp_path / "data" / "uploads").exists() or not any((tmp_path / "data" / "uploads").rglob("*.pdf"))
    finally:
        store.close()
    signed = ok(cli(tmp_path, after, "sign", drafted["decision_id"], "--chair", "val vice", "--json"))
    store = Store(tmp_path / "data" / "carepanel.db")
    try:
        assert store.decision(signed["decision_id"]).signed_by == "Val Vice"  # the directory's spelling
    finally:
        store.close()


@proves("north-somerset", "decisions.sitting")
def test_decide_before_the_sitting_has_started_is_not_yet_sat(tmp_path: Path) -> None:
    with service(tmp_path, "north-somerset") as svc:
        sub = listed(svc)
        begins = starts(svc.cfg, sub)
    err = error(cli(tmp_path, begins - timedelta(minutes=1), "decide", sub.id, "--outcome", "approve",
                    "--rationale", "Agreed.", "--json"))
    assert err["code"] == "not_yet_sat"
    drafted = ok(cli(tmp_path, begins + timedelta(minutes=5), "decide", sub.id, "--outcome", "approve",
                     "--rationale", "Agreed.", "--json"))
    # The chair's clock is wrong, or someone signs the draft ahead of the sitting: refused too.
    err = error(cli(tmp_path, begins - timedelta(days=1), "sign", drafted["decision_id"], "--chair", "Dana Chair", "--json"))
    assert err["code"] == "not_yet_sat"
    ok(cli(tmp_path, begins + timedelta(minutes=10), "sign", drafted["decision_id"], "--chair", "Dana Chair", "--json"))


@proves("north-somerset", "emergency.record")
def test_an_emergency_decision_is_recorded_and_signed_whenever_it_is_made(tmp_path: Path) -> None:
    with service(tmp_path, "north-somerset") as svc:
        sub = listed(svc)
        before = starts(svc.cfg, sub) - timedelta(days=2)
    drafted = ok(cli(tmp_path, before, "emergency-decision", "--child-id", "LCS123999", "--child-name", "Jo Night",
                     "--decided-by", "Hana Head", "--decided-by", "Ada Director", "--outcome", "approve",
                     "--rationale", "Mother admitted to hospital.", "--json"))
    signed = ok(cli(tmp_path, before, "sign", drafted["decision_id"], "--chair", "Dana Chair", "--json"))
    assert signed["status"] == "signed"
    listed_rows = json.loads(cli(tmp_path, before, "decisions", "list", "--json").stdout)
    assert [r["kind"] for r in listed_rows] == ["emergency"]
