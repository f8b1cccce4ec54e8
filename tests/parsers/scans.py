"""Scans and a phone photo made from filled forms, for the OCR tests and bench/scan_bench.py.

Each filled North Somerset sample form is printed to PDF by LibreOffice, rasterised by PDFium
at 150-300 dpi and degraded the ways a scanner or a phone degrades a page: greyscale or black
and white, turned by up to a degree, speckled with noise, and (one of them) photographed at an
angle on a desk, so the page is a quadrilateral on a dark background.  Sent as a multi-page TIFF
(as scanners write them) or as an image-only PDF.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageFilter


@dataclass(frozen=True)
class ScanKind:
    dpi: int
    mode: str  # "L" greyscale or "1" black and white
    skew: float  # degrees
    noise: float  # share of pixels flipped
    photo: bool = False
    container: str = "tiff"  # or "pdf"


KINDS = (
    ScanKind(150, "L", 0.0, 0.0, container="pdf"),
    ScanKind(200, "1", 0.6, 0.002),
    ScanKind(300, "L", -1.0, 0.004, container="pdf"),
    ScanKind(250, "1", 0.3, 0.0),
    ScanKind(300, "L", 0.8, 0.002),
)
PHOTO = ScanKind(200, "L", 0.0, 0.0, photo=True, container="jpeg")


def pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in doc]
    finally:
        doc.close()


def degrade(img: Image.Image, kind: ScanKind, rnd: random.Random) -> Image.Image:
    if kind.skew:
        img = img.rotate(kind.skew, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if kind.noise:
        px = img.load()
        w, h = img.size
        for _ in range(int(w * h * kind.noise)):
            x, y = rnd.randrange(w), rnd.randrange(h)
            px[x, y] = 0 if px[x, y] > 128 else 255
    if kind.photo:
        img = photographed(img, rnd)
    if kind.mode == "1":
        img = img.point(lambda v: 255 if v > 150 else 0).convert("1")
    return img


def photographed(img: Image.Image, rnd: random.Random) -> Image.Image:
    """The page on a dark desk, taken from a little to one side: a perspective quadrilateral."""
    w, h = img.size
    pad = w // 8
    canvas = Image.new("L", (w + 2 * pad, h + 2 * pad), 60)
    # where the page's corners land (top-left, top-right, bottom-right, bottom-left)
    dst = [(pad + rnd.randint(0, pad // 2), pad + rnd.randint(0, pad // 3)),
           (pad + w - rnd.randint(0, pad // 3), pad + rnd.randint(0, pad // 2)),
           (pad + w, pad + h), (pad, pad + h - rnd.randint(0, pad // 3))]
    coeffs = _perspective(dst, [(0, 0), (w, 0), (w, h), (0, h)])
    page = img.transform(canvas.size, Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=None)
    mask = Image.new("L", img.size, 255).transform(canvas.size, Image.PERSPECTIVE, coeffs, Image.BICUBIC)
    canvas.paste(page, (0, 0), mask)
    return canvas.filter(ImageFilter.GaussianBlur(0.6))


def _perspective(src: list[tuple[int, int]], dst: list[tuple[int, int]]) -> list[float]:
    """PIL's PERSPECTIVE coefficients taking output points ``src`` to input points ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return _solve(rows, rhs)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def scan(pdf: bytes, kind: ScanKind, seed: int = 0) -> tuple[str, bytes]:
    """(file name, bytes) of the form ``pdf`` scanned as ``kind``."""
    rnd = random.Random(seed)
    imgs = [degrade(p, kind, rnd) for p in pages(pdf, kind.dpi)]
    out = io.BytesIO()
    if kind.container == "jpeg":
        imgs[0].convert("L").save(out, "JPEG", quality=85, dpi=(kind.dpi, kind.dpi))
        return "photo.jpg", out.getvalue()
    if kind.container == "tiff":
        imgs[0].save(out, "TIFF", save_all=True, append_images=imgs[1:], dpi=(kind.dpi, kind.dpi),
                     compression="group4" if kind.mode == "1" else "tiff_deflate")
        return "scan.tiff", out.getvalue()
    imgs[0].convert("L").save(out, "PDF", save_all=True, append_images=[i.convert("L") for i in imgs[1:]],
                              resolution=kind.dpi)
    return "scan.pdf", out.getvalue()
