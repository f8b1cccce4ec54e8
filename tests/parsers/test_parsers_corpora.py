"""Broken, fuzzed and encrypted files from other projects' test suites (shared/corpora/).

None is a request form: each must be met with a request or one of the three document
errors, never another exception, and quickly.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from carepanel import parsers
from carepanel.errors import NotARequestForm, UnreadableAttachment, UnsafeAttachment
from carepanel.pipeline.models import ATTACHMENT_ROLES, Request

from formfill import Read
from formfill import limits, profiles, read  # noqa: F401  (fixtures)

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FILES = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix in (".pdf", ".docx"))
SECONDS = 5.0


def test_the_corpora_are_there() -> None:
    assert len(FILES) > 20, f"expected the shared corpora at {CORPORA}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_is_read_or_refused_cleanly(path: Path, read: Read) -> None:
    data = path.read_bytes()
    started = time.monotonic()
    try:
        result: object = read(path.name, data)
    except (UnreadableAttachment, UnsafeAttachment, NotARequestForm) as exc:
        result = exc
        assert exc.detail and exc.code in ("unreadable_attachment", "unsafe_attachment", "no_request_form")
    assert isinstance(result, (Request, UnreadableAttachment, UnsafeAttachment, NotARequestForm))
    assert time.monotonic() - started < SECONDS
    assert parsers.classify_attachment(path.name, data, None) in ATTACHMENT_ROLES


@pytest.mark.parametrize("name,code", [
    ("pdfminer-aes-128.pdf", "unreadable_attachment"),
    ("pdfminer-rc4-40.pdf", "unreadable_attachment"),
    ("pdfplumber-password-example.pdf", "unreadable_attachment"),
    ("pdfminer-zen_of_python_corrupted.pdf", "no_request_form"),
    ("poi-TestTableColumns.docx", "no_request_form"),
])
def test_known_corpus_outcomes(name: str, code: str, read: Read) -> None:
    with pytest.raises((UnreadableAttachment, UnsafeAttachment, NotARequestForm)) as caught:
        read(name, (CORPORA / ("pdf" if name.endswith(".pdf") else "docx") / name).read_bytes())
    assert caught.value.code == code
