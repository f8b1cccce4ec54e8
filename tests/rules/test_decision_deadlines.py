"""Decisions: "Deadlines count from what the policy says": south-gloucestershire actions and
summary to the team manager within 24 hours of the panel; care-planning-resources draft to the
chair within 48 hours of the panel, final record back within 48 hours of the draft, upload
within 24 hours; swindon uploaded by the Wednesday after panel.  `decisions overdue` says so."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from carepanel.jobs import decisions
from carepanel.clock import LONDON
from carepanel.pipeline.decisions import DecisionRecord

from decision_fixtures import cli, listed, ok, sat, service
from rules_mail import proves

pytestmark = pytest.mark.slow


def overdue(folder: Path, at: datetime) -> set[tuple[str, str]]:
    return {(w["code"], w["id"]) for w in ok(cli(folder, at, "decisions", "overdue", "--json"))}


@proves("south-gloucestershire", "decisions.deadline.signed")
def test_south_gloucestershire_actions_and_summary_to_the_tm_within_24_hours_of_the_panel(tmp_path: Path) -> None:
    with service(tmp_path, "south-gloucestershire") as svc:
        sub = listed(svc)
        ends = sat(svc.cfg, sub, hours=0)
        d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="approve", rationale="Agreed."),
                             actor="test", now=ends)
    assert overdue(tmp_path, ends + timedelta(hours=17)) == set()
    assert overdue(tmp_path, ends + timedelta(hours=23)) == {("signature_due_soon", d["decision_id"])}
    assert overdue(tmp_path, ends + timedelta(hours=25)) == {("decision_not_signed", d["decision_id"])}
    # Signed late, it is no longer awaited; the 24 hours did not start again at the signature.
    ok(cli(tmp_path, ends + timedelta(hours=26), "sign", d["decision_id"], "--chair", "Dana Chair", "--json"))
    assert overdue(tmp_path, ends + timedelta(hours=60)) == set()


@proves("care-planning-resources", "decisions.deadline.drafted", "care-planning-resources", "decisions.deadline.signed", "care-planning-resources", "decisions.deadline.uploaded")
def test_care_planning_resources_5_2_and_5_3_draft_final_and_upload(tmp_path: Path) -> None:
    with service(tmp_path, "care-planning-resources") as svc:
        sub = listed(svc)
        ends = sat(svc.cfg, sub, hours=0)
    assert overdue(tmp_path, ends + timedelta(hours=47)) == set()
    assert overdue(tmp_path, ends + timedelta(hours=49)) == {("decision_not_drafted", sub.id)}
    drafted_at = ends + timedelta(hours=50)
    d = ok(cli(tmp_path, drafted_at, "decide", sub.id, "--outcome", "approve", "--rationale", "Agreed.", "--json"))
    # The chair's final record is due 48 hours after the draft, not after the panel.
    assert overdue(tmp_path, drafted_at + timedelta(hours=47)) == {("signature_due_soon", d["decision_id"])}
    assert overdue(tmp_path, drafted_at + timedelta(hours=49)) == {("decision_not_signed", d["decision_id"])}
    signed_at = drafted_at + timedelta(hours=50)
    ok(cli(tmp_path, signed_at, "sign", d["decision_id"], "--chair", "Dana Chair", "--json"))
    assert overdue(tmp_path, signed_at + timedelta(hours=23, minutes=30)) == {("upload_due_soon", d["decision_id"])}
    assert overdue(tmp_path, signed_at + timedelta(hours=25)) == {("upload_missed", d["decision_id"])}


@proves("swindon", "decisions.deadline.uploaded")
def test_swindon_8_uploaded_no_later_than_the_wednesday_following_panel(tmp_path: Path) -> None:
    with service(tmp_path, "swindon") as svc:
        sub = listed(svc)
        ends = sat(svc.cfg, sub, hours=0)  # Wednesday 2 December 2026
        signed_at = ends + timedelta(days=5)  # signed the Monday after
        d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="approve", rationale="Agreed."),
                             actor="test", now=ends)
        decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", now=signed_at)
        due = datetime.fromisoformat(svc.store.decision(d["decision_id"]).upload_due).astimezone(LONDON)
    assert (due.date().isoformat(), due.strftime("%A")) == ("2026-12-09", "Wednesday")
    listed_rows = json.loads(cli(tmp_path, signed_at, "decisions", "list", "--json").stdout)
    assert listed_rows[0]["upload_due"].startswith("2026-12-09")
    assert overdue(tmp_path, datetime(2026, 12, 10, 9, 0, tzinfo=LONDON)) == {("upload_missed", d["decision_id"])}
