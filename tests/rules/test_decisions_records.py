"""Decisions: "A sibling group: one decision, and one file and upload folder per child, each
named with that child's ID; the review is booked for the group" and "The decision sheet shows
the next review date whenever one is booked (the pre-proceedings review included)"."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from carepanel.jobs import decisions, packs
from carepanel.pipeline.decisions import DecisionRecord
from carepanel.demo.samples import CASES

from decision_fixtures import listed, sat, service
from rules_mail import proves
from test_intake_e2e import GOOD

pytestmark = pytest.mark.slow
PLO = replace(CASES["ns-siblings-plo"], panel_date=date(2026, 12, 2), social_worker=GOOD.social_worker,
              team_manager=GOOD.team_manager)


def test_sibling_group_one_decision_one_upload_folder_and_file_per_child(tmp_path: Path) -> None:
    with service(tmp_path, "north-somerset") as svc:
        sub = listed(svc, case=PLO, first_id="LCS900201")
        after = sat(svc.cfg, sub)
        d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="approve", rationale="PLO agreed."),
                             actor="test", now=after)
        signed = decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", now=after)
        assert len(svc.store.decisions()) == 1
        upload = Path(signed["upload_dir"])
        assert sorted(p.name for p in upload.iterdir()) == ["LCS900201", "LCS900202"]
        for child_id in ("LCS900201", "LCS900202"):
            folder = upload / child_id
            with open(folder / "manifest.csv", newline="") as fh:
                manifest = {r["file"]: r["sha256"] for r in csv.DictReader(fh)}
            [pdf] = [n for n in manifest if n.endswith(".pdf")]
            assert pdf.startswith(child_id) and manifest[pdf] == signed["sha256"]
            assert hashlib.sha256((folder / pdf).read_bytes()).hexdigest() == signed["sha256"]
        # One review, for the group: both children on the later agenda together.
        [review] = svc.store.db.query("SELECT panel_date, kind, child_id FROM reviews")
        assert review["kind"] == "pre_proceedings_review" and review["child_id"] == "LCS900201, LCS900202"
        agenda = packs.agenda_for(svc.cfg, svc.store, date.fromisoformat(review["panel_date"]))
        assert [s.case.child_ref for s in agenda.slots] == ["LCS900201, LCS900202"]


@proves("north-somerset", "decisions.pre_proceedings")
def test_north_somerset_sheet_shows_the_pre_proceedings_review_date(tmp_path: Path) -> None:
    with service(tmp_path, "north-somerset") as svc:
        sub = listed(svc, case=PLO)
        after = sat(svc.cfg, sub)
        d = decisions.record(svc.cfg, svc.store, sub.id, DecisionRecord(outcome="approve", rationale="PLO agreed."),
                             actor="test", now=after)
        signed = decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair", now=after)
        [review] = svc.store.db.query("SELECT panel_date FROM reviews")
        row = svc.store.decision(signed["decision_id"])
        text = "\n".join(p.extract_text() for p in PdfReader(str(svc.cfg.data_path(row.pdf_path))).pages)
    booked = date.fromisoformat(review["panel_date"]).strftime("%d/%m/%Y")  # 8-10 weeks on: 27/01/2027
    assert booked == "27/01/2027"
    assert f"Date of next Panel Review {booked}" in " ".join(text.split()) or booked in text
    assert "None set" not in text
