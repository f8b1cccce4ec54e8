"""Intake speed: forms read per second, and inbox-to-acknowledgement latency.

    .venv/bin/python bench/intake_bench.py [--forms 40] [--messages 200] [--gap 0.1]

1. Forms per second: each sample form (North Somerset and Bexley layouts) read with
   ``parsers.read_request`` -- vetting, layout, recognition, field mapping -- beside the bare
   library's own load of the same bytes (``docx.Document`` for Word; ``pdfplumber.open`` plus
   every page's ``extract_text`` for PDF, since pdfplumber reads nothing until asked).  The PDFs
   are the same forms printed by LibreOffice.
2. Latency: the real service (``carepanel run --no-web``, its own process, default settings
   apart from the folders) watching an inbox; messages are renamed into the inbox one every
   ``--gap`` seconds and the time until the acknowledgement file appears in the outbox is taken
   for each.  On Linux the inbox reads a file as soon as its writer closes it (inotify's
   close-after-write); a rename lands whole, so no settle wait is in the figure.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import docx
import pdfplumber

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from carepanel.config import default_config  # noqa: E402
from carepanel.profiles import load_profile  # noqa: E402
from carepanel.demo import CONFIG, PANEL, STAFF, compose_email, supporting_document  # noqa: E402
from carepanel.office import Converter, soffice_available  # noqa: E402
from carepanel.parsers import read_request  # noqa: E402
from carepanel.demo.samples import CASES, SampleSignatory, sample_form  # noqa: E402
from paced import message_key, paced_waits  # noqa: E402


def rate(fn, items: list[bytes], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for data in items:
            fn(data)
    return rounds * len(items) / (time.perf_counter() - start)


def forms_per_second(rounds: int) -> None:
    profile = load_profile("north-somerset")
    limits = default_config(Path(tempfile.gettempdir()) / "carepanel-bench").limits
    forms = [sample_form(key) for key in CASES]
    words = [data for _, data in forms]
    today = date(2026, 11, 23)

    def ours(name: str):
        return lambda data: read_request(name, data, profile=profile, limits=limits, today=today)

    def pdf_bare(data: bytes) -> None:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()

    print(f"forms per second ({len(forms)} sample forms x {rounds} rounds, one process)")
    w_ours = rate(ours("form.docx"), words, rounds)
    w_bare = rate(lambda d: docx.Document(io.BytesIO(d)), words, rounds)
    print(f"  Word  carepanel read_request {w_ours:7.1f}/s   python-docx Document() load {w_bare:7.1f}/s"
          f"   ratio {w_bare / w_ours:4.1f}x the bare load")
    if not soffice_available():
        print("  PDF   skipped: LibreOffice is not installed (run scripts/setup.sh)")
        return
    with Converter(workers=1) as conv:
        pdfs = [conv.to_pdf(d, ".docx") for d in words]
    p_ours = rate(ours("form.pdf"), pdfs, max(1, rounds // 2))
    p_bare = rate(pdf_bare, pdfs, max(1, rounds // 2))
    print(f"  PDF   carepanel read_request {p_ours:7.1f}/s   pdfplumber open+extract_text {p_bare:7.1f}/s"
          f"   ratio {p_bare / p_ours:4.1f}x the bare load")


def latency(messages: int, gap: float) -> None:
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.toml").write_text(CONFIG.format(profile="north-somerset", panel=PANEL).replace("poll_seconds = 2", "poll_seconds = 5")
                                           + "[pack]\nsend_automatically = false\n")
        (folder / "staff.csv").write_text(STAFF)
        inbox, outbox, staging = folder / "data" / "inbox", folder / "data" / "outbox", folder / "staging"
        for d in (inbox, outbox, staging):
            d.mkdir(parents=True)
        sw = SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=now.date())
        tm = replace(sw, name="Terry Manager")
        base = CASES["ns-s20-single"]
        papers = [("assessment.docx", supporting_document("Child and Family Assessment", "X")),
                  ("care-plan.docx", supporting_document("Care Plan", "X")), ("genogram.docx", supporting_document("Genogram", "X"))]
        from carepanel.demo.samples import north_somerset_form
        for n in range(messages):
            case = replace(base, social_worker=sw, team_manager=tm,
                           children=(replace(base.children[0], name=f"Child Bench{n}", child_id=f"LCS8{n:05d}"),))
            raw = compose_email(sw, "sam.worker@example.gov.uk", f"CRP request {n}", "Attached.", now - timedelta(minutes=5),
                                [("CRP request form.docx", north_somerset_form(case))] + papers, message_key(n))
            (staging / f"{n:04d}.eml").write_bytes(raw)
        proc = subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(folder / "config.toml"), "run", "--no-web"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            waits = paced_waits(messages, gap, lambda n: os.rename(staging / f"{n:04d}.eml", inbox / f"{n:04d}.eml"),
                                outbox)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    p95 = waits[max(0, int(round(0.95 * len(waits))) - 1)]
    print(f"inbox -> acknowledgement latency ({len(waits)}/{messages} messages, one every {gap:.2f} s)")
    print(f"  median {statistics.median(waits):.2f} s   p95 {p95:.2f} s   max {waits[-1]:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--gap", type=float, default=0.1)
    args = ap.parse_args()
    forms_per_second(args.rounds)
    latency(args.messages, args.gap)


if __name__ == "__main__":
    main()
