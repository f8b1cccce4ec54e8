"""Bexley I.19, 1.20 and Appendix A Part B: approved and return to panel recorded together, a
return by date or frequency and a deferral to a date each bring the child back, and approved
spending reaches the finance officer's log whatever the outcome is called."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import docx
import pytest

from carepanel.jobs import decisions, packs
from carepanel.store import Store

from decision_fixtures import cli, error, listed, ok, sat, service
from rules_mail import proves

pytestmark = pytest.mark.slow


def _sheet_text(path: str) -> str:
    d = docx.Document(path)
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])


@proves("bexley", "decisions.combinations", "bexley", "decisions.return_to_panel")
def test_bexley_1_20_approved_and_return_to_panel_every_three_months(tmp_path: Path) -> None:
    with service(tmp_path, "bexley") as svc:
        sub = listed(svc)
        after = sat(svc.cfg, sub)
    drafted = ok(cli(tmp_path, after, "decide", sub.id, "--outcome", "approve", "--outcome", "return_to_panel",
                     "--return-frequency", "every 3 months", "--rationale", "Residential is the only safe option.",
                     "--resource", "Residential placement", "--weekly-cost", "4200", "--weeks", "12", "--json"))
    words = _sheet_text(drafted["docx"])
    assert "☒ Resource approved" in words and "☒ Return to panel: every 3 months" in words
    signed = ok(cli(tmp_path, after, "sign", drafted["decision_id"], "--chair", "Dana Chair", "--json"))
    assert signed["status"] == "signed"

    panel = date.fromisoformat(sub.panel_date)  # Thursday 3 December 2026
    # Three months on is Wednesday 3 March 2027: the first Bexley sitting after it is Thursday the 4th.
    store = Store(tmp_path / "data" / "carepanel.db")
    try:
        [review] = store.db.query("SELECT panel_date, kind, child_id FROM reviews")
        assert (review["panel_date"], review["kind"], review["child_id"]) == ("2027-03-04", "review", "LCS700001")
        with service(tmp_path, "bexley") as svc:
            agenda = packs.agenda_for(svc.cfg, svc.store, date(2027, 3, 4))
        assert [(s.case.kind, s.case.child_ref) for s in agenda.slots] == [("review", "LCS700001")]
        [row] = store.finance_log()
        assert (row.child_id, row.weekly_cost, row.total_cost) == ("LCS700001", 4200.0, 50400.0)
    finally:
        store.close()
    assert panel == date(2026, 12, 3)


@proves("bexley", "decisions.outcomes", "bexley", "decisions.combinations")
def test_bexley_i19_outcomes_the_form_does_not_combine_are_refused(tmp_path: Path) -> None:
    with service(tmp_path, "bexley") as svc:
        sub = listed(svc)
        after = sat(svc.cfg, sub)
    err = error(cli(tmp_path, after, "decide", sub.id, "--outcome", "decline", "--outcome", "return_to_panel",
                    "--return-date", "2027-01-14", "--rationale", "x", "--json"))
    assert "cannot be recorded together" in err["detail"]


@proves("bexley", "decisions.defer")
def test_bexley_i19c_a_deferral_names_the_panel_it_goes_to(tmp_path: Path) -> None:
    with service(tmp_path, "bexley") as svc:
        sub = listed(svc)
        after = sat(svc.cfg, sub)
    err = error(cli(tmp_path, after, "decide", sub.id, "--outcome", "defer", "--rationale", "Health funding first.",
                    "--json"))
    assert "--defer-to" in err["detail"]
    drafted = ok(cli(tmp_path, after, "decide", sub.id, "--outcome", "defer", "--defer-to", "2027-01-12",
                     "--rationale", "Health funding first.", "--json"))
    assert "☒ Deferred: 12/01/2027" in _sheet_text(drafted["docx"])
    ok(cli(tmp_path, after, "sign", drafted["decision_id"], "--chair", "Val Vice", "--json"))
    store = Store(tmp_path / "data" / "carepanel.db")
    try:
        # Tuesday 12 January 2027: the first Bexley sitting on or after it is Thursday the 14th.
        assert [r["panel_date"] for r in store.db.query("SELECT panel_date FROM reviews")] == ["2027-01-14"]
    finally:
        store.close()


@proves("bexley", "decisions.approving")
def test_bexley_1_20_spending_approved_under_return_to_panel_is_in_the_finance_log(tmp_path: Path) -> None:
    with service(tmp_path, "bexley") as svc:
        sub = listed(svc)
        after = sat(svc.cfg, sub)
    drafted = ok(cli(tmp_path, after, "decide", sub.id, "--outcome", "return_to_panel", "--return-date", "2027-02-04",
                     "--rationale", "Funded until review.", "--resource", "Family support worker", "--total-cost", "3000",
                     "--json"))
    ok(cli(tmp_path, after, "sign", drafted["decision_id"], "--chair", "Dana Chair", "--json"))
    out = tmp_path / "finance.csv"
    assert cli(tmp_path, after, "finance", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["resource"], r["total_cost"], r["outcome"]) for r in rows] == [("Family support worker", "3000.0", "return_to_panel")]


@proves("bexley", "decisions.notify")
def test_bexley_g_the_finance_officer_is_told_of_the_decision(tmp_path: Path) -> None:
    with service(tmp_path, "bexley") as svc:
        sub = listed(svc)
        after = sat(svc.cfg, sub)
        d = decisions.record(svc.cfg, svc.store, sub.id,
                             decisions.DecisionRecord(outcome="approve", rationale="Agreed.", weekly_cost=300.0),
                             actor="test", now=after)
        decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", now=after)
        [notice] = svc.store.db.query("SELECT recipients FROM outgoing WHERE kind = 'decision'")
    recipients = json.loads(notice["recipients"])
    assert recipients["to"] == ["sam.worker@example.gov.uk"]
    assert set(recipients["cc"]) == {"terry.manager@example.gov.uk", "fin.officer@example.gov.uk"}
