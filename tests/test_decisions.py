"""Decisions from the panel's outcome to the signed record for the child's file, for every
profile and every outcome it offers, with real docxtpl templates and real LibreOffice."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from carepanel.jobs import decisions, packs
from carepanel.cli import main
from carepanel.profiles import PROFILE_NAMES, load_profile
from carepanel.demo import compose_email
from carepanel.errors import PanelError
from carepanel.office import Converter
from carepanel.pipeline import calendar
from carepanel.pipeline.decisions import Action, DecisionRecord
from carepanel.demo.samples import CASES, north_somerset_form
from carepanel.service import Service, open_service
from carepanel.store import StoredSubmission
from listing import listed_from
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers

pytestmark = pytest.mark.slow
SIGNED_AT = datetime(2026, 12, 2, 17, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=2) as conv:
        yield conv


def listed(svc: Service, n: int = 1, case=GOOD) -> StoredSubmission:
    """A submission listed for panel: ingested through the real pipeline, then (for profiles whose
    sign-off rules the North Somerset sample form does not meet) accepted as an administrator would."""
    child = replace(case.children[0], child_id=f"LCS80000{n}")
    raw = compose_email(SW, SW_ADDR, f"CRP {n}", "Attached.", NOW - timedelta(hours=n),
                        [("CRP request form.docx", north_somerset_form(replace(case, children=(child,) + case.children[1:])))] + papers(),
                        f"<dec-{n}@example.gov.uk>")
    return listed_from(svc, raw)


def pdf_text(path: str | Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def docx_text(path: str | Path) -> str:
    d = docx.Document(str(path))
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


OUTCOMES = [(name, outcome) for name in PROFILE_NAMES for outcome in load_profile(name).decisions.outcomes]


@pytest.mark.parametrize("profile, outcome", OUTCOMES)
def test_every_outcome_of_every_profile_renders_signs_and_lands_in_an_upload_folder(
        tmp_path: Path, converter, profile: str, outcome: str) -> None:
    with open_service(config_for(tmp_path, profile), clock=lambda: NOW) as svc:
        sub = listed(svc)
        extra = {"defer": {"defer_to": date(2027, 1, 13)},
                 "return_to_panel": {"return_frequency": "every three months"}}.get(outcome, {})
        rec = DecisionRecord(outcome=outcome, rationale="The plan keeps the child safe at home.",
                             decisions=("Placement agreed for eight weeks",), resource="Foster placement",
                             weekly_cost=450.0, period_weeks=8, members=("Dana Chair", "Chris Member"),
                             actions=(Action(1, "Arrange the placement", "Sam Worker", date(2026, 12, 9)),), **extra)
        sat = calendar.panel(svc.cfg.profile, sub.panel_day).ends_at + timedelta(hours=1)
        drafted = decisions.record(svc.cfg, svc.store, sub.id, rec, actor="test", converter=converter, now=sat)
        label = svc.cfg.profile.decisions.labels[outcome]
        words = docx_text(drafted["docx"])
        assert f"☒ {label}" in words and "DRAFT" in words and "Arrange the placement" in words
        assert all(f"☐ {other}" in words for o, other in svc.cfg.profile.decisions.labels.items() if o != outcome)
        assert label in pdf_text(drafted["pdf"])

        signed = decisions.sign(svc.cfg, svc.store, svc.processor.directory, drafted["decision_id"], chair="Dana Chair",
                                converter=converter, now=sat)
        assert (signed["decision_id"], signed["status"]) == (drafted["decision_id"], "signed")
        upload = Path(signed["upload_dir"])
        system = svc.cfg.profile.decisions.case_system
        assert upload.parts[-3] == system
        with open(upload / "manifest.csv", newline="") as fh:
            manifest = {r["file"]: r["sha256"] for r in csv.DictReader(fh)}
        assert set(manifest) == {p.name for p in upload.iterdir()} - {"manifest.csv"}
        for name, sha in manifest.items():
            assert hashlib.sha256((upload / name).read_bytes()).hexdigest() == sha
        [pdf_name] = [n for n in manifest if n.endswith(".pdf")]
        assert "LCS800001" in pdf_name and manifest[pdf_name] == signed["sha256"]
        final = pdf_text(upload / pdf_name)
        assert "Dana Chair" in final and "DRAFT" not in final and label in final
        assert label in (upload / "case-note.txt").read_text()
        audit = [a for a in svc.store.audit_log(drafted["decision_id"]) if a.action == "decision_signed"]
        assert audit and json.loads(audit[0].data)["pdf_sha256"] == signed["sha256"]


def test_a_signed_decision_is_never_changed_and_a_change_is_a_new_version(tmp_path: Path, converter) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = listed(svc)
        rec = DecisionRecord(outcome="approve", rationale="Safe at home with support.")
        v1 = decisions.record(svc.cfg, svc.store, sub.id, rec, actor="test", converter=converter, now=SIGNED_AT)
        s1 = decisions.sign(svc.cfg, svc.store, svc.processor.directory, v1["decision_id"], chair="Dana Chair",
                            converter=converter, now=SIGNED_AT)
        row = svc.store.decision(v1["decision_id"])
        before = svc.cfg.data_path(row.pdf_path).read_bytes()
        with pytest.raises(sqlite3.IntegrityError, match="never altered"):
            svc.store.conn.execute("UPDATE decisions SET record = '{}' WHERE id = ?", (v1["decision_id"],))
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            svc.store.conn.execute("DELETE FROM decisions WHERE id = ?", (v1["decision_id"],))
        assert oct(svc.cfg.data_path(row.pdf_path).stat().st_mode & 0o777) == "0o440"
        with pytest.raises(PanelError, match="already signed"):
            decisions.sign(svc.cfg, svc.store, svc.processor.directory, v1["decision_id"], chair="Someone Else",
                           converter=converter)

        v2 = decisions.record(svc.cfg, svc.store, sub.id, replace(rec, rationale="Corrected: with a review."),
                              actor="test", converter=converter, now=SIGNED_AT)
        assert v2["decision_id"].endswith("-v2")
        s2 = decisions.sign(svc.cfg, svc.store, svc.processor.directory, v2["decision_id"], chair="Dana Chair",
                            converter=converter, now=SIGNED_AT + timedelta(hours=1))
        assert s2["sha256"] != s1["sha256"]
        assert svc.cfg.data_path(row.pdf_path).read_bytes() == before
        assert hashlib.sha256(before).hexdigest() == s1["sha256"]
        assert svc.store.decision(v1["decision_id"]).superseded_by == v2["decision_id"]


def test_a_draft_changed_on_disk_cannot_be_signed(tmp_path: Path, converter) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = listed(svc)
        d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="decline", rationale="Not needed."),
                             actor="test", converter=converter)
        path = Path(d["pdf"])
        path.chmod(0o600)
        path.write_bytes(path.read_bytes() + b"%tampered")
        with pytest.raises(PanelError, match="changed on disk"):
            decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", converter=converter)


def test_review_dates_put_the_child_on_the_right_later_agenda(tmp_path: Path, converter) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = listed(svc)
        # Thursday 21 January 2027: the first North Somerset sitting on or after it is Wednesday the 27th.
        rec = DecisionRecord(outcome="approve", rationale="Agreed.", review_date=date(2027, 1, 21))
        d = decisions.record(svc.cfg, svc.store, sub.id, rec, actor="test", converter=converter)
        assert svc.store.reviews_for(date(2027, 1, 27)) == []  # only a signed decision brings the child back
        decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", converter=converter)
        [review] = svc.store.reviews_for(date(2027, 1, 27))
        assert (review.child_id, review.kind) == ("LCS800001", "review")
        agenda = packs.agenda_for(svc.cfg, svc.store, date(2027, 1, 27))
        assert [(s.case.kind, s.case.child_ref) for s in agenda.slots] == [("review", "LCS800001")]


def test_the_review_a_signed_decision_books_carries_that_decision_into_the_later_pack(tmp_path: Path, converter) -> None:
    """The chair reviewing a child reads the decision under review: the decision, its review and
    the pack's lookup of previous decisions share the child's key from the request."""
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = listed(svc)
        assert sub.child_key and sub.child_key.startswith("id:")
        rec = DecisionRecord(outcome="approve", rationale="Agreed.", review_date=date(2027, 1, 21))
        d = decisions.record(svc.cfg, svc.store, sub.id, rec, actor="test", converter=converter, now=SIGNED_AT)
        decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair",
                       converter=converter, now=SIGNED_AT)
        [review] = svc.store.reviews_for(date(2027, 1, 27))
        assert review.child_key == sub.child_key == svc.store.decision(d["decision_id"]).child_key
        result = packs.build(svc.cfg, svc.store, svc.processor.archive, date(2027, 1, 27), converter=converter,
                             now=datetime(2027, 1, 20, 12, 0, tzinfo=timezone.utc))
        reader = PdfReader(str(result.path))
        titles = [item.title for item in _flat(reader.outline)]
        assert any(t.startswith("Previous decision 2026-12-02 (approve)") for t in titles), titles


def _flat(outline: list) -> list:
    out = []
    for item in outline:
        out += _flat(item) if isinstance(item, list) else [item]
    return out


def test_pre_proceedings_come_back_at_eight_to_ten_weeks(tmp_path: Path, converter) -> None:
    plo = replace(CASES["ns-siblings-plo"], panel_date=date(2026, 12, 2), social_worker=SW,
                  team_manager=replace(GOOD.team_manager))
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = listed(svc, case=plo)
        assert "pre_proceedings" in sub.request.request_types
        d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="approve", rationale="PLO agreed."),
                             actor="test", converter=converter)
        decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", converter=converter)
        rows = svc.store.db.query("SELECT panel_date, kind FROM reviews")
        [(day, kind)] = [(r["panel_date"], r["kind"]) for r in rows]
    weeks = (date.fromisoformat(day) - date(2026, 12, 2)).days / 7
    assert kind == "pre_proceedings_review" and 8 <= weeks <= 10


def test_a_missed_review_and_a_missed_upload_are_flagged_once(tmp_path: Path, converter) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        sub = listed(svc)
        d = decisions.record(svc.cfg, svc.store, sub.id,
                             DecisionRecord(outcome="approve", rationale="Agreed.", review_date=date(2027, 1, 20)),
                             actor="test", converter=converter)
        decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair",
                       converter=converter, now=SIGNED_AT)
        # North Somerset: uploaded within 48 hours of sign-off; warned in the last 12.
        check = lambda at: {w["code"] for w in decisions.check_deadlines(svc.cfg, svc.store, svc.processor.directory, at)}  # noqa: E731
        assert check(SIGNED_AT + timedelta(hours=30)) == set()
        assert check(SIGNED_AT + timedelta(hours=40)) == {"upload_due_soon"}
        assert check(SIGNED_AT + timedelta(hours=49)) == {"upload_missed"}
        assert check(datetime(2027, 1, 21, 9, 0, tzinfo=timezone.utc)) == {"upload_missed", "review_missed"}
        svc.store.mark_uploaded(d["decision_id"], actor="pat.admin", at=SIGNED_AT + timedelta(hours=50))
        assert check(datetime(2027, 1, 22, 9, 0, tzinfo=timezone.utc)) == set()  # review already marked missed
        [review] = svc.store.db.query("SELECT status FROM reviews")
        assert review["status"] == "missed"
        warnings = [o for o in svc.store.db.query("SELECT id, recipients FROM outgoing WHERE kind = 'warning'")]
        assert len(warnings) == 3 and all("pat.admin@example.gov.uk" in w["recipients"] for w in warnings)


def test_an_emergency_decision_is_listed_for_ratification(tmp_path: Path, converter) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        d = decisions.record(svc.cfg, svc.store, None,
                             DecisionRecord(outcome="approve", rationale="Mother hospitalised overnight.", emergency=True,
                                            decided_by="Head of Service"),
                             actor="test", converter=converter, now=datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc),
                             child={"name": "Jo Emergency", "child_id": "LCS999001", "request": "S20 overnight"})
        assert "Decided outside panel" in docx_text(d["docx"])
        agenda = packs.agenda_for(svc.cfg, svc.store, date(2026, 11, 25))
        assert [s.case.kind for s in agenda.slots][:1] == ["ratification"]


def test_finance_and_unmet_need_logs_and_the_meeting_record(tmp_path: Path, converter) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        for n, (outcome, cost, need) in enumerate([("approve", 850.0, None), ("decline", 300.0, "No local residential bed")], 1):
            sub = listed(svc, n)
            d = decisions.record(svc.cfg, svc.store, sub.id,
                                 DecisionRecord(outcome=outcome, rationale="Reasons.", resource="Residential", weekly_cost=cost,
                                                period_weeks=10, unmet_need=need), actor="test", converter=converter)
            decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", converter=converter)
        assert decisions.export_finance(svc.store, tmp_path / "f.csv") == 1  # only approved spending
        rows = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text())))
        assert (rows[0]["child_id"], rows[0]["weekly_cost"], rows[0]["total_cost"]) == ("LCS800001", "850.0", "8500.0")
        decisions.export_finance(svc.store, tmp_path / "f.xlsx")
        sheet = load_workbook(tmp_path / "f.xlsx").active
        assert [c.value for c in sheet[2]][:5] == [rows[0]["decision_id"], "LCS800001", "Residential", 850.0, 8500.0]
        assert [u.need for u in svc.store.unmet_needs()] == ["No local residential bed"]
        _, pdf = decisions.meeting_record(svc.cfg, svc.store, date(2026, 12, 2), converter=converter)
        text = pdf_text(pdf)
        assert "LCS800001" in text and "LCS800002" in text and "Declined" in text


def test_decide_and_sign_print_the_contracts_json(tmp_path: Path) -> None:
    config_for(tmp_path)
    eml = tmp_path / "m.eml"
    eml.write_bytes(compose_email(SW, SW_ADDR, "CRP", "x", NOW - timedelta(hours=1),
                                  [("CRP request form.docx", north_somerset_form(GOOD))] + papers(), "<cli-dec@x.gov.uk>"))
    run = lambda *a: CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), *a], catch_exceptions=False)  # noqa: E731
    sub = json.loads(run("ingest", str(eml), "--received-at", NOW.isoformat(), "--json").stdout)
    bad = run("decide", sub["id"], "--outcome", "return_to_panel", "--rationale", "x", "--json")
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"]["code"] == "panel_error"  # not a North Somerset outcome
    out = run("decide", sub["id"], "--outcome", "approve", "--rationale", "Agreed", "--review-date", "2027-01-20", "--json")
    drafted = json.loads(out.stdout)
    assert set(drafted) == {"decision_id", "status", "docx", "pdf"} and drafted["status"] == "draft"
    signed = json.loads(run("sign", drafted["decision_id"], "--chair", "Dana Chair", "--json").stdout)
    assert set(signed) == {"decision_id", "status", "sha256", "upload_dir"} and signed["status"] == "signed"
    assert len(signed["sha256"]) == 64 and (Path(signed["upload_dir"]) / "manifest.csv").exists()
