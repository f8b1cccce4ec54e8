"""How fast one form is read, side by side with the bare libraries, in one run.

    .venv/bin/python bench/parse_bench.py [--rounds 5]

For each sample form (North Somerset and Bexley layouts, every case in ``samples.CASES``):

- Word: ``parsers.read_request`` on the .docx (vetting, layout, recognition, field mapping) beside
  python-docx's bare ``Document()`` load of the same bytes; the target is at most 2x the bare load.
- PDF: the same forms printed to PDF by LibreOffice, read by ``read_request``, beside pdfplumber's
  bare open and ``extract_text`` of every page and pypdfium2's bare open and text of every page;
  the target is at most 100 ms a form.

Both run in this process, one form at a time, on whatever else the machine is doing; the
median of the per-form times is printed with the 90th percentile.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import docx
import pdfplumber
import pypdfium2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carepanel.config import default_config  # noqa: E402
from carepanel.profiles import load_profile  # noqa: E402
from carepanel.office import Converter, soffice_available  # noqa: E402
from carepanel.parsers import read_request  # noqa: E402
from carepanel.demo.samples import CASES, sample_form  # noqa: E402


def times(fn: Callable[[bytes], object], items: list[bytes], rounds: int) -> list[float]:
    fn(items[0])  # imports and caches warmed once, as in the long-lived reader process
    out = []
    for _ in range(rounds):
        for data in items:
            start = time.perf_counter()
            fn(data)
            out.append(time.perf_counter() - start)
    return out


def line(label: str, ts: list[float], base: list[float] | None = None) -> str:
    med = statistics.median(ts) * 1000
    p90 = sorted(ts)[int(0.9 * (len(ts) - 1))] * 1000
    ratio = f"   {med / (statistics.median(base) * 1000):4.2f}x the bare load" if base else ""
    return f"  {label:<44} median {med:6.1f} ms   p90 {p90:6.1f} ms{ratio}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    profile = load_profile("north-somerset")
    limits = default_config(Path(tempfile.gettempdir()) / "carepanel-bench").limits
    today = date(2026, 11, 23)
    words = [data for _, data in (sample_form(key) for key in CASES)]

    def ours(name: str) -> Callable[[bytes], object]:
        return lambda data: read_request(name, data, profile=profile, limits=limits, today=today)

    def plumber_bare(data: bytes) -> None:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()

    def pdfium_bare(data: bytes) -> None:
        pdf = pypdfium2.PdfDocument(data)
        try:
            for page in pdf:
                page.get_textpage().get_text_bounded()
        finally:
            pdf.close()

    print(f"one form at a time ({len(words)} sample forms x {args.rounds} rounds)")
    w_bare = times(lambda d: docx.Document(io.BytesIO(d)), words, args.rounds)
    w_ours = times(ours("form.docx"), words, args.rounds)
    print(line("Word: python-docx Document() (bare load)", w_bare))
    print(line("Word: carepanel read_request", w_ours, w_bare))
    if not soffice_available():
        print("  PDF: skipped, LibreOffice is not installed (run scripts/setup.sh)")
        return
    with Converter(workers=1) as conv:
        pdfs = [conv.to_pdf(d, ".docx") for d in words]
    p_plumber = times(plumber_bare, pdfs, args.rounds)
    p_pdfium = times(pdfium_bare, pdfs, args.rounds)
    p_ours = times(ours("form.pdf"), pdfs, args.rounds)
    print(line("PDF: pdfplumber open + extract_text (bare)", p_plumber))
    print(line("PDF: pypdfium2 open + text (bare)", p_pdfium))
    print(line("PDF: carepanel read_request", p_ours, p_plumber))
    print(f"  targets: PDF <= 100 ms a form (median {statistics.median(p_ours) * 1000:.0f} ms); "
          f"Word <= 2x the bare load ({statistics.median(w_ours) / statistics.median(w_bare):.2f}x)")


if __name__ == "__main__":
    main()
