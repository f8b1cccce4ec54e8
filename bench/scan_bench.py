"""How many children's names, dates of birth and IDs are read right from scans and a photo.

    .venv/bin/python bench/scan_bench.py [--copies 4]

Makes the scan corpus (tests/parsers/scans.py): every sample form (samples.CASES) printed to PDF
by LibreOffice, then scanned as each of five kinds (150-300 dpi; greyscale or black and white;
skewed 0-1 degree; speckle noise; sent as an image-only PDF or a multi-page TIFF), ``--copies``
forms per kind, plus one phone photo at an angle on a desk (JPEG).  Each is read by
``parsers.read_request`` (OCR with word positions, ``parsers/ocr_layout.py``) and every child
typed on the form is checked: name (compared without spaces: the form's own narrow Name column
breaks long names mid-word, in the printed PDF as on paper), date of birth and ID.  Prints the
share right of each, overall, per kind, and the seconds a scan took; under each scan, every
child it got wrong: what was read against what the form says.  ``--copies 8`` adds scans made
with seeds the reading was not tuned on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "parsers"))

from dataclasses import replace  # noqa: E402

import scans  # noqa: E402

from carepanel.config import default_config  # noqa: E402
from carepanel.profiles import load_profile  # noqa: E402
from carepanel.errors import DocumentError  # noqa: E402
from carepanel.office import Converter  # noqa: E402
from carepanel.parsers import read_request  # noqa: E402
from carepanel.demo.samples import CASES, sample_form  # noqa: E402


def squash(text: str | None) -> str:
    return "".join((text or "").split()).lower()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=4, help="forms scanned per kind of scan")
    args = ap.parse_args()
    profile = load_profile("north-somerset")
    limits = replace(default_config(Path(tempfile.gettempdir()) / "carepanel-bench").limits, parse_timeout_seconds=600)
    today = date(2026, 11, 23)
    keys = [k for k in CASES if sample_form(k)[0].endswith("docx")]
    with Converter(workers=1) as conv:
        typed = {k: (conv.to_pdf(sample_form(k)[1], ".docx"), read_request(
            "form.docx", sample_form(k)[1], profile=profile, limits=limits, today=today)) for k in keys}
    jobs = [(kind, keys[(i + n) % len(keys)], i * 10 + n) for i, kind in enumerate(scans.KINDS) for n in range(args.copies)]
    jobs.append((scans.PHOTO, keys[0], 999))
    totals = {"name": [0, 0], "dob": [0, 0], "child_id": [0, 0]}
    seconds = []
    print(f"{len(jobs)} scans of {len(keys)} filled forms")
    for kind, key, seed in jobs:
        pdf, want = typed[key]
        name, data = scans.scan(pdf, kind, seed)
        start = time.perf_counter()
        try:
            got = read_request(name, data, profile=profile, limits=limits, today=today).children
        except DocumentError as exc:
            got = ()
            print(f"  {kind}: {exc.detail}")
        seconds.append(time.perf_counter() - start)
        found = {squash(c.name): c for c in got}
        right = {"name": 0, "dob": 0, "child_id": 0}
        misses: list[str] = []
        for child in want.children:
            mine = found.get(squash(child.name))
            right["name"] += mine is not None
            right["dob"] += mine is not None and mine.dob == child.dob
            right["child_id"] += mine is not None and squash(mine.child_id) == squash(child.child_id)
            if mine is None or mine.dob != child.dob or squash(mine.child_id) != squash(child.child_id):
                misses.append(f"    miss: want {child.name!r} {child.dob} {child.child_id!r}; read "
                              + (f"{mine.name!r} {mine.dob} {mine.child_id!r}" if mine else
                                 repr([(c.name, str(c.dob), c.child_id) for c in got])))
        for k in totals:
            totals[k][0] += right[k]
            totals[k][1] += len(want.children)
        label = f"{kind.dpi} dpi {'grey' if kind.mode == 'L' else 'B/W'} skew {kind.skew:+.1f} noise {kind.noise:g}" + \
            (" photo" if kind.photo else "") + f" {kind.container}"
        print(f"  {label:<44} {key:<22} names {right['name']}/{len(want.children)}  dob {right['dob']}  ids {right['child_id']}"
              f"  {seconds[-1]:5.1f} s")
        for miss in misses:  # what was read against what the form says, to see why
            print(miss)
    all_right = sum(v[0] for v in totals.values())
    all_count = sum(v[1] for v in totals.values())
    print("right: " + ", ".join(f"{k} {v[0]}/{v[1]} ({100 * v[0] / max(1, v[1]):.0f}%)" for k, v in totals.items())
          + f"; all {100 * all_right / max(1, all_count):.1f}% (target 95%)")
    print(f"seconds a scan: median {statistics.median(seconds):.1f}, max {max(seconds):.1f}")


if __name__ == "__main__":
    main()
