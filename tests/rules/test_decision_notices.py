"""Decisions: "Decision notices go to the social worker named on the form (from the directory;
the sender only when the sender is that social worker), the team manager, and the roles the
profile adds (notify, e.g. finance)"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carepanel.jobs import decisions
from carepanel.pipeline.decisions import DecisionRecord
from carepanel.demo.samples import SampleSignatory
from carepanel.store import StoredSubmission

from decision_fixtures import listed, sat, service
from rules_mail import proves

pytestmark = pytest.mark.slow
SM = SampleSignatory("Jordan Senior", "Children's Social Care", signed="typed")


def _notice(svc) -> dict:
    [row] = svc.store.db.query("SELECT recipients, body FROM outgoing WHERE kind = 'decision'")
    return {"body": row["body"], **json.loads(row["recipients"])}


def _decide(svc, sub: StoredSubmission, **kw) -> None:
    after = sat(svc.cfg, sub)
    d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="approve", rationale="Agreed.", **kw),
                         actor="test", now=after)
    decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", now=after)


@proves("swindon", "decisions.notify")
def test_swindon_notice_goes_to_the_social_worker_named_on_the_form_not_the_service_manager_who_sent_it(tmp_path: Path) -> None:
    with service(tmp_path, "swindon") as svc:
        sub = listed(svc, sender=(SM, "jordan.senior@example.gov.uk"))
        assert sub.sender == "jordan.senior@example.gov.uk"
        _decide(svc, sub)
        notice = _notice(svc)
    assert notice["to"] == ["sam.worker@example.gov.uk"]
    assert notice["cc"] == ["terry.manager@example.gov.uk"]
    assert "jordan.senior@example.gov.uk" not in notice["to"] + notice["cc"]


@proves("north-somerset", "decisions.notify")
def test_north_somerset_10_finance_representative_receives_outcome_decisions(tmp_path: Path) -> None:
    with service(tmp_path, "north-somerset") as svc:
        sub = listed(svc)
        _decide(svc, sub)
        notice = _notice(svc)
    assert notice["to"] == ["sam.worker@example.gov.uk"]
    assert notice["cc"] == ["terry.manager@example.gov.uk", "fin.officer@example.gov.uk"]


@proves("south-gloucestershire", "decisions.notify")
def test_south_gloucestershire_summary_to_the_team_manager(tmp_path: Path) -> None:
    with service(tmp_path, "south-gloucestershire") as svc:
        sub = listed(svc)
        _decide(svc, sub)
        notice = _notice(svc)
    assert (notice["to"], notice["cc"]) == (["terry.manager@example.gov.uk"], [])


def test_acknowledgement_goes_to_the_sender_and_the_social_worker_named_on_the_form(tmp_path: Path) -> None:
    with service(tmp_path, "swindon") as svc:
        sub = listed(svc, sender=(SM, "jordan.senior@example.gov.uk"))
        [ack] = svc.store.db.query("SELECT recipients FROM outgoing WHERE kind LIKE 'ack%' AND submission_id = ?",
                                   [sub.id])
    recipients = json.loads(ack["recipients"])
    assert recipients["to"] == ["jordan.senior@example.gov.uk", "sam.worker@example.gov.uk"]
    assert "sam.worker@example.gov.uk" not in recipients["cc"]
