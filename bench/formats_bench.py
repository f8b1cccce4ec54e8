"""Forms read per second for each format, and the reader's peak memory on hostile files.

    .venv/bin/python bench/formats_bench.py [--rounds 4]

Each format goes through the service's own path for one attachment: the sandboxed reader
process (``parsers/sandbox.py``) and, for .doc/.odt/.rtf, the LibreOffice conversion first;
a .msg is the form and three papers inside a manager's approval saved from Outlook, read as the
form (``msg``) and opened into its text and files as an attached item is (``msg open``).
The forms are the North Somerset sample, saved in each format; the photo and the scan are
pictures of a short typed form, read by OCR.  Peak memory is the reader process's high-water
mark (VmHWM) after each hostile file, read from /proc.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "parsers"))
sys.path.insert(0, str(ROOT / "tests"))

from carepanel.config import default_config  # noqa: E402
from carepanel.profiles import load_profile  # noqa: E402
from carepanel.errors import DocumentError  # noqa: E402
from carepanel.office import Converter  # noqa: E402
from carepanel.parsers.sandbox import SandboxedReader  # noqa: E402
from carepanel.demo.samples import CASES, north_somerset_form  # noqa: E402

PROFILE = load_profile("north-somerset")
TODAY = date(2026, 11, 23)


def photo() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    lines = ["Child's name: Poppy Example", "Date of birth: 14/05/2012", "LCS number: LCS900101",
             "What is being requested of the Panel: Section 20 accommodation"]
    img = Image.new("L", (1800, 500), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 44)
    for n, line in enumerate(lines):
        draw.text((60, 60 + 90 * n), line, fill=0, font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def outlook_item(form: bytes) -> bytes:
    from carepanel.demo import supporting_document
    from msgfile import MsgAttachment, MsgItem, msg

    papers = [(f"{t.lower()}.docx", supporting_document(t, "Poppy Example")) for t in ("Assessment", "Care Plan", "Genogram")]
    return msg(MsgItem(subject="RE: CRP request", sender_name="Terry Manager", sender_email="terry.manager@example.gov.uk",
                       body="I approve this going to panel.", attachments=[MsgAttachment("CRP request form.docx", form)]
                       + [MsgAttachment(n, d) for n, d in papers]))


def hostile() -> dict[str, bytes]:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * (300 * 1024 * 1024) + b"</w:document>")
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:  # under the vetting limit: the parser meets it
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                    + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 4_000_000 + b"</w:body></w:document>")
    deep = b"%PDF-1.4\n" + b"[" * 200_000 + b"\n%%EOF"
    return {"docx zip bomb (300 MB inside 0.3 MB)": bomb.getvalue(), "docx with 140 MB of XML (4M paragraphs)": big.getvalue(), "PDF nested 200,000 deep": deep,
            "1 MB of random bytes named .pdf": bytes(range(256)) * 4096}


def vmhwm(reader: SandboxedReader) -> int:
    pid = reader._proc.pid if reader._proc is not None else None  # noqa: SLF001 - a benchmark's peek
    if pid is None:
        return 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    limits = default_config(Path(tempfile.mkdtemp()) / "d").limits
    form = north_somerset_form(CASES["ns-s20-single"])
    with Converter(workers=1) as conv:
        files = {"docx": ("form.docx", form), "pdf": ("form.pdf", conv.to_pdf(form, ".docx")), "msg": ("approval.msg", outlook_item(form))}
        old = {fmt: conv.convert(form, ".docx", fmt) for fmt in ("doc", "odt", "rtf")}
        png = photo()
        with SandboxedReader(limits.reader_memory_mb, 60) as reader:
            def read(name: str, data: bytes) -> None:
                try:
                    reader(name, data, profile=PROFILE, forms=(), limits=limits, today=TODAY)
                except DocumentError:
                    pass

            print(f"forms per second, through the sandboxed reader ({args.rounds} rounds each)")
            for fmt, (name, data) in files.items():
                read(name, data)
                start = time.perf_counter()
                for _ in range(args.rounds):
                    read(name, data)
                print(f"  {fmt:<5} {args.rounds / (time.perf_counter() - start):6.1f}/s")
            name, data = files["msg"]
            reader.outlook(name, data, limits=limits)
            start = time.perf_counter()
            for _ in range(args.rounds * 5):
                reader.outlook(name, data, limits=limits)
            print(f"  {'msg open':<5} {args.rounds * 5 / (time.perf_counter() - start):6.1f}/s (the item's text and files, as an attached item is opened)")
            for fmt, data in old.items():
                start = time.perf_counter()
                for _ in range(args.rounds):
                    read("form.docx", conv.to_docx(data, "." + fmt))
                print(f"  {fmt:<5} {args.rounds / (time.perf_counter() - start):6.1f}/s (LibreOffice to .docx, then read)")
            for label, (name, data) in {"photo": ("form.png", png)}.items():
                start = time.perf_counter()
                for _ in range(args.rounds):
                    read(name, data)
                print(f"  {label:<5} {args.rounds / (time.perf_counter() - start):6.1f}/s (OCR)")

        print("hostile files: outcome, time and the reader's peak memory (fresh reader each)")
        for label, data in hostile().items():
            with SandboxedReader(limits.reader_memory_mb, 60) as reader:
                start = time.perf_counter()
                try:
                    reader("file.docx" if "docx" in label else "file.pdf", data, profile=PROFILE, forms=(),
                           limits=limits, today=TODAY)
                    outcome = "read"
                except DocumentError as exc:
                    outcome = f"{exc.code}: {exc.detail[:60]}"
                print(f"  {label:<40} {time.perf_counter() - start:5.2f} s  peak {vmhwm(reader):4d} MiB  {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
