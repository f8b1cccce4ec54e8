"""The administrator hears that the agenda is over-full before the papers go out, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from carepanel.jobs import packs
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers


def test_an_over_full_agenda_is_reported_between_cut_off_and_papers_out(tmp_path: Path) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        for n in range(10):  # 13:30 to 16:30 in 20-minute slots holds nine
            case = replace(GOOD, children=(replace(GOOD.children[0], child_id=f"LCS30000{n}"),))
            raw = compose_email(SW, SW_ADDR, f"CRP {n}", "x", NOW - timedelta(hours=10 - n),
                                [("CRP request form.docx", north_somerset_form(case))] + papers(), f"<full-{n}@x.gov.uk>")
            assert svc.ingest_bytes(raw, source="test").submission.status == "accepted"
        directory = svc.processor.directory
        before_cutoff = datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc)
        after_cutoff = datetime(2026, 11, 27, 13, 0, tzinfo=timezone.utc)
        after_papers = datetime(2026, 11, 30, 12, 30, tzinfo=timezone.utc)
        assert packs.agenda_warnings(svc.cfg, svc.store, directory, before_cutoff) == []
        [warning] = packs.agenda_warnings(svc.cfg, svc.store, directory, after_cutoff)
        packs.agenda_warnings(svc.cfg, svc.store, directory, after_cutoff + timedelta(hours=1))
        assert packs.agenda_warnings(svc.cfg, svc.store, directory, after_papers) == []
        mails = list(svc.store.db.query("SELECT recipients, subject FROM outgoing WHERE kind = 'warning'"))
    assert warning["code"] == "agenda_overflow" and "LCS300009" in warning["detail"] and "16:30" in warning["detail"]
    assert len(mails) == 1 and "pat.admin@example.gov.uk" in mails[0]["recipients"]
