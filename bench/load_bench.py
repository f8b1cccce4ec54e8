"""Load: 2,000 request emails with attachments dropped into the folder inbox at once.

Runs the real service (``carepanel run --no-web``) over them and prints throughput and the
service's peak resident memory (VmHWM).  No assertions on speed: figures only.

    PYTHONPATH=$PWD .venv/bin/python bench/load_bench.py [--count 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "ops"), str(ROOT / "tests" / "faults")]

from harness import ServiceProcess, archive_problems, counts, drop, inbox_files, replies
from opsdata import corpus, request_email, write_project


def blank_pdf(n: int) -> bytes:
    """A real (one blank page) PDF, different for each message, as the supporting document."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"Assessment {n}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--forms", type=int, default=40, help="distinct fictional forms to reuse")
    ap.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="carepanel-load-"))
    config = write_project(work)
    print(f"building {args.count} emails from {args.forms} fictional forms ...", flush=True)
    forms = corpus(args.forms, seed=2000)
    originals = {f"m{n:05d}.eml": request_email(n, forms[n % len(forms)][1], forms[n % len(forms)][2],
                                                 extra=blank_pdf(n)) for n in range(args.count)}
    size = sum(len(v) for v in originals.values())
    for name, data in originals.items():  # all at once, before the service starts
        drop(work / "data" / "inbox", name, data)
    service = ServiceProcess(config, work / "service.out")
    started = time.monotonic()
    service.start()
    peak_seen = 0
    db = work / "data" / "carepanel.db"
    try:
        while True:
            c = counts(db)
            peak_seen = max(peak_seen, service.peak_rss_kb())
            if c["outgoing_sent"] >= args.count and not inbox_files(work / "data" / "inbox"):
                break
            if not service.alive():
                raise SystemExit(f"the service died; see {work / 'service.out'}")
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        peak_seen = max(peak_seen, service.peak_rss_kb())
    finally:
        service.stop()
    c = counts(db)
    lost = archive_problems(work / "data" / "archive", originals)
    sent = replies(work / "data" / "outbox")
    print(f"machine:        {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"messages:       {args.count} ({size / 1e6:.1f} MB, each a form .docx and a PDF)")
    print(f"submissions:    {c['submissions']}  ledger processed {c['messages_processed']}, failed {c['messages_failed']}")
    print(f"acknowledged:   {sum(sent.values())} emails, {len(sent)} distinct originals, max per original {max(sent.values())}")
    print(f"archive:        {len(originals) - len(lost)}/{len(originals)} originals present with the right hash")
    print(f"elapsed:        {elapsed:.1f} s (service start to last acknowledgement)")
    print(f"throughput:     {args.count / elapsed:.1f} messages/s = {args.count / elapsed * 3600:,.0f} messages/hour")
    print(f"peak RSS:       {peak_seen / 1024:.0f} MiB (VmHWM of the service process)")
    week = args.count / elapsed * 3600 * 24 * 7
    print(f"scale:          one machine ~{week:,.0f} messages/week; a council sends ~50/week "
          f"(x{week / 50:,.0f}); all England ~5,000/week (x{week / 5000:,.0f})")
    backup_and_restore(work)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def backup_and_restore(work: Path) -> None:
    """How long a verified backup, and a verified restore, of this store take."""
    from carepanel.jobs.backup import backup, restore
    from carepanel.config import load_config

    cfg = load_config(work / "config.toml")
    t = time.monotonic()
    result = backup(cfg, work / "backup.tar")
    took = time.monotonic() - t
    print(f"backup:         {took:.1f} s for {result['files']} files, {result['bytes'] / 1e6:.1f} MB (written, read back, verified)")
    t = time.monotonic()
    restore(load_config(work / "config.toml", data_dir=work / "restored"), work / "backup.tar")
    print(f"restore:        {time.monotonic() - t:.1f} s onto an empty data dir, every hash checked")


if __name__ == "__main__":
    main()
