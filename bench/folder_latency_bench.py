"""Folder inbox -> acknowledgement latency at a steady rate (issue 17, item 5).

    .venv/bin/python bench/folder_latency_bench.py [--messages 60] [--gap 1.0] [--how copy|rename]

The real service (``carepanel run --no-web``, its own process, default settings apart from the
folders) watches an inbox.  One message arrives every ``--gap`` seconds (one a second by
default), each a North Somerset form and three Word papers, either written into the inbox the
way a copy or a mail rule does (``copy``: open, write in 64 KiB pieces, close) or written beside
it and renamed in (``rename``).  For each, the time from the end of its arrival (the close or the
rename) to its acknowledgement appearing in the outbox is taken; median, p95 and max are printed.

The target is p95 <= 1.5 s at one message a second.  The inbox still refuses a half-copied file:
a file is read once its writer has closed it (inotify's IN_CLOSE_WRITE, or a rename into the
inbox), or, where no such event comes (a network share, polling only), once it has not changed
for ``settle_seconds``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from carepanel.demo import CONFIG, PANEL, STAFF, compose_email, supporting_document
from carepanel.demo.samples import CASES, SampleSignatory, north_somerset_form
from paced import message_key, paced_waits


def messages(count: int) -> list[bytes]:
    now = datetime.now(timezone.utc)
    sw = SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=now.date())
    tm = replace(sw, name="Terry Manager")
    base = CASES["ns-s20-single"]
    papers = [("assessment.docx", supporting_document("Child and Family Assessment", "X")),
              ("care-plan.docx", supporting_document("Care Plan", "X")),
              ("genogram.docx", supporting_document("Genogram", "X"))]
    out = []
    for n in range(count):
        case = replace(base, social_worker=sw, team_manager=tm,
                       children=(replace(base.children[0], name=f"Child Bench{n}", child_id=f"LCS8{n:05d}"),))
        out.append(compose_email(sw, "sam.worker@example.gov.uk", f"CRP request {n}", "Attached.",
                                 now - timedelta(minutes=5), [("CRP request form.docx", north_somerset_form(case))] + papers,
                                 message_key(n)))
    return out


def deliver(raw: bytes, inbox: Path, staging: Path, name: str, how: str) -> None:
    if how == "rename":
        (staging / name).write_bytes(raw)
        os.rename(staging / name, inbox / name)
        return
    with open(inbox / name, "wb") as fh:  # as cp or a mail rule writes: in pieces, then close
        for i in range(0, len(raw), 65536):
            fh.write(raw[i:i + 65536])
            fh.flush()


def run(count: int, gap: float, how: str) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.toml").write_text(CONFIG.format(profile="north-somerset", panel=PANEL)
                                           .replace("poll_seconds = 2", "poll_seconds = 5")
                                           + "[pack]\nsend_automatically = false\n")
        (folder / "staff.csv").write_text(STAFF)
        inbox, outbox, staging = folder / "data" / "inbox", folder / "data" / "outbox", folder / "staging"
        for d in (inbox, outbox, staging):
            d.mkdir(parents=True)
        mails = messages(count)
        proc = subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(folder / "config.toml"),
                                 "run", "--no-web"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return paced_waits(count, gap, lambda n: deliver(mails[n], inbox, staging, f"{n:04d}.eml", how),
                               outbox, settle=4.0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=60)
    ap.add_argument("--gap", type=float, default=1.0)
    ap.add_argument("--how", choices=("copy", "rename", "both"), default="both")
    args = ap.parse_args()
    for how in ("copy", "rename") if args.how == "both" else (args.how,):
        waits = run(args.messages, args.gap, how)
        if not waits:
            print(f"{how}: no acknowledgement came")
            continue
        p95 = waits[max(0, int(round(0.95 * len(waits))) - 1)]
        print(f"folder inbox -> acknowledgement, {how} into the inbox ({len(waits)}/{args.messages} messages, "
              f"one every {args.gap:.2f} s)")
        print(f"  median {statistics.median(waits):.2f} s   p95 {p95:.2f} s   max {waits[-1]:.2f} s   "
              f"slowest five {', '.join(f'{w:.2f}' for w in waits[-5:])}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
