"""How much the long-lived converter saves over one ``soffice --convert-to`` per file.

    .venv/bin/python bench/office_bench.py [--files 20] [--workers 2]

Generates Word files of two to three pages each (headings, paragraphs, a table), then converts
them three ways and prints seconds and files per second for each:

* ``Converter(workers=N)``: the batch through ``to_pdf_many`` on a new converter, start-up
  of the workers included (a one-off pack build), then the same batch again on the running
  workers (the service, which keeps its converter);
* ``naive_to_pdf``: one soffice process per file, one after another, each on a fresh profile;
  and the same with one profile kept between them, to show what the fresh profile costs.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import docx
import pypdf

from carepanel.office import Converter, _seed_profile, _soffice_convert, naive_to_pdf, soffice_available

WORDS = ("placement residential foster carer review plan support education health contact family "
         "assessment weekly cost provider outcome transition school therapy respite supervision").split()


def make_docx(i: int, rng: random.Random) -> bytes:
    doc = docx.Document()
    doc.add_heading(f"Resource panel request {i}", level=1)
    for section in range(rng.randint(3, 4)):
        doc.add_heading(f"Section {section + 1}", level=2)
        for _ in range(2):
            doc.add_paragraph(" ".join(rng.choice(WORDS) for _ in range(85)).capitalize() + ".")
    table = doc.add_table(rows=8, cols=3)
    for row in table.rows:
        for cell in row.cells:
            cell.text = f"£{rng.randint(100, 5000)}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def report(label: str, seconds: float, n: int) -> None:
    print(f"{label:<44} {seconds:7.2f} s  {n / seconds:6.2f} files/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not soffice_available():
        print("LibreOffice (soffice) is not installed; run scripts/setup.sh", file=sys.stderr)
        return 1
    rng = random.Random(2024)
    files = [make_docx(i, rng) for i in range(args.files)]
    items = [(data, ".docx") for data in files]

    started = time.perf_counter()
    with Converter(workers=args.workers) as conv:
        pooled = conv.to_pdf_many(items)  # the workers start up inside this batch
        cold = time.perf_counter() - started
        started = time.perf_counter()
        conv.to_pdf_many(items)  # the same again, on workers already running
        warm = time.perf_counter() - started
    assert all(isinstance(p, bytes) for p in pooled), "a conversion failed"
    page_counts = [pages(p) for p in pooled if isinstance(p, bytes)]

    started = time.perf_counter()
    naive = [naive_to_pdf(data, ".docx") for data in files]
    naive_seconds = time.perf_counter() - started
    assert [pages(p) for p in naive] == page_counts, "the two ways gave different page counts"

    with tempfile.TemporaryDirectory() as tmp:  # the same, but every soffice shares one profile
        profile = Path(tmp) / "profile"
        _seed_profile(profile)
        started = time.perf_counter()
        for data in files:
            _soffice_convert(data, ".docx", Path(tmp), profile, 120.0)
        shared_seconds = time.perf_counter() - started

    print(f"{args.files} Word files of {min(page_counts)}-{max(page_counts)} pages; {os.cpu_count()} cores")
    report(f"Converter(workers={args.workers}), start-up included", cold, args.files)
    report(f"Converter(workers={args.workers}), already running", warm, args.files)
    report("naive_to_pdf, one soffice per file", naive_seconds, args.files)
    report("  the same, with one profile shared", shared_seconds, args.files)
    print(f"naive / Converter: {naive_seconds / cold:.1f}x with start-up, {naive_seconds / warm:.1f}x running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
