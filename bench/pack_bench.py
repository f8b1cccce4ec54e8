"""Building a 30-case pack, against the naive way.

    .venv/bin/python bench/pack_bench.py [--cases 30] [--workers 2]

Each case is a real emailed request (the North Somerset form in Word) with three papers: an
assessment in Word, a care plan as PDF and a genogram in Word -- Word and PDF mixed, as staff
send them.  The messages are ingested first (not timed).  Then:

* carepanel: ``packs.build`` -- agenda, parallel conversion on long-lived LibreOffice workers
  (start-up included, as for a one-off build), bookmarks, cover, stamps -- timed end to end;
* naive: one ``soffice --convert-to pdf`` process per Word file, one after another, then the
  PDFs merged with pypdf (no cover, stamps or outline, so the naive figure flatters itself).

Prints both times, the pages and the ratio.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import docx
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from carepanel.jobs import packs
from carepanel.config import load_config
from carepanel.demo import CONFIG, PANEL, STAFF, compose_email
from carepanel.office import naive_to_pdf, soffice_available
from carepanel.formats.sniff import sniff_format
from carepanel.demo.samples import CASES, SampleSignatory, north_somerset_form
from carepanel.service import open_service

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def word(title: str, paragraphs: int) -> bytes:
    doc = docx.Document()
    doc.add_heading(title, level=1)
    for n in range(paragraphs):
        doc.add_paragraph(f"{title}, section {n + 1}. " + "The family has worked with the team on the plan. " * 12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf(title: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 760, title)
    for n in range(30):
        c.drawString(72, 730 - n * 20, f"Action {n + 1}: review the plan with the family.")
    c.showPage()
    c.save()
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not soffice_available():
        print("LibreOffice is not installed: run scripts/setup.sh")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.toml").write_text(CONFIG.format(profile="north-somerset", panel=PANEL)
                                            + f"\n[pack]\noffice_workers = {args.workers}\n")
        (folder / "staff.csv").write_text(STAFF)
        # Enough sitting time for every case: the benchmark is about the PDF, not the agenda.
        cfg = load_config(folder / "config.toml")
        cfg = replace(cfg, profile=replace(cfg.profile, panel=replace(cfg.profile.panel, slot_minutes=5)))
        sw = SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=NOW.date())
        base = replace(CASES["ns-s20-single"], social_worker=sw, team_manager=replace(sw, name="Terry Manager"), panel_date=None)
        word_files: list[bytes] = []
        all_docs: list[tuple[bytes, str]] = []
        with open_service(cfg, clock=lambda: NOW) as service:
            for n in range(args.cases):
                case = replace(base, children=(replace(base.children[0], name=f"Child Bench{n}", child_id=f"LCS5{n:05d}"),))
                files = [("CRP request form.docx", north_somerset_form(case)),
                         ("assessment.docx", word(f"Child and Family Assessment {n}", 6)),
                         ("care-plan.pdf", pdf(f"Care Plan {n}")),
                         ("genogram.docx", word(f"Genogram {n}", 1))]
                raw = compose_email(sw, "sam.worker@example.gov.uk", f"CRP {n}", "Attached.", NOW - timedelta(hours=1),
                                    files, f"<packbench-{n}@example.gov.uk>")
                sub = service.ingest_bytes(raw, source="bench").submission
                assert sub and sub["status"] == "accepted", sub and sub["flags"]
                for _, data in files:
                    all_docs.append((data, sniff_format(data) or "pdf"))
                    if sniff_format(data) == "docx":
                        word_files.append(data)

            panel_date = datetime.fromisoformat(sub["panel_date"]).date()
            start = time.perf_counter()
            result = packs.build(service.cfg, service.store, service.processor.archive, panel_date)
            ours = time.perf_counter() - start
        print(f"carepanel pack: {args.cases} cases, {len(all_docs)} documents ({len(word_files)} Word), "
              f"{result.pages} pages, {len(result.warnings)} warnings: {ours:.1f} s "
              f"({args.workers} LibreOffice workers, start-up included)")

        start = time.perf_counter()
        writer = PdfWriter()
        for data, fmt in all_docs:
            pdf_bytes = naive_to_pdf(data, "." + fmt) if fmt == "docx" else data
            writer.append(PdfReader(io.BytesIO(pdf_bytes)))
        out = io.BytesIO()
        writer.write(out)
        naive = time.perf_counter() - start
        print(f"naive (one soffice --convert-to pdf per Word file, then merge): {naive:.1f} s, {len(writer.pages)} pages")
        print(f"ratio: carepanel is {naive / ours:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
