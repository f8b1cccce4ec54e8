"""Broken, fuzzed and encrypted files from other projects' test suites (shared/corpora/),
each mailed to a real service as the attachment of an email.

None is a request form.  Each goes the way a mailed attachment goes (the message parsed,
archived, each attachment read by the sandboxed worker process, the submission stored and
flagged) and must end as a read document (``no_request_form``: it is no form) or with an
``unreadable_attachment`` or ``unsafe_attachment`` flag naming it -- never a traceback, a
lost message or a stopped service.  What bounds the time a file may take is the sandbox's
deadline (the configured parse timeout, after which the worker is killed and the file
flagged), not a stopwatch in the test; after them all the same service accepts a good email.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers

from carepanel import parsers
from carepanel.demo import compose_email
from carepanel.parsers.sandbox import SandboxedReader
from carepanel.models import ATTACHMENT_ROLES
from carepanel.demo.samples import north_somerset_form
from carepanel.service import Service, open_service
from carepanel.store import StoredSubmission

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FILES = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix in (".pdf", ".docx"))
OUTCOMES = ("read", "no_request_form", "unreadable_attachment", "unsafe_attachment")
PARSE_TIMEOUT = 20  # seconds; the sandbox kills a worker 10 s after it
pytestmark = pytest.mark.slow  # a real service, with its reader processes
KNOWN = {  # the exact outcome where the file's nature fixes it
    "pdfminer-aes-128.pdf": "unreadable_attachment",
    "pdfminer-rc4-40.pdf": "unreadable_attachment",
    "pdfplumber-password-example.pdf": "unreadable_attachment",
    "pdfminer-zen_of_python_corrupted.pdf": "no_request_form",
    "poi-TestTableColumns.docx": "no_request_form",
    "poi-tika-3388.docx": "no_request_form",
    "pdfminer-AcroForm_TEST.pdf": "no_request_form",
    # Word files minimised by OSS-Fuzz: broken containers or XML, all of them
    **{p.name: "unreadable_attachment" for p in FILES if p.name.startswith("poi-clusterfuzz")},
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    cfg = config_for(tmp_path_factory.mktemp("corpora"))
    cfg = replace(cfg, limits=replace(cfg.limits, parse_timeout_seconds=PARSE_TIMEOUT))
    with open_service(cfg, clock=lambda: NOW) as svc:
        yield svc


def test_the_corpora_are_there() -> None:
    assert len(FILES) > 20, f"expected the shared corpora at {CORPORA}"
    assert set(KNOWN) <= {p.name for p in FILES}


def test_time_is_bounded_by_the_sandbox(service: Service) -> None:
    reader = service.processor.ctx.reader
    assert isinstance(reader, SandboxedReader)
    assert reader.timeout == PARSE_TIMEOUT + 10


MAILED: set[str] = set()


def outcome_of(service: Service, path: Path) -> tuple[str, StoredSubmission]:
    MAILED.add(path.name)
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [(path.name, path.read_bytes())],
                        f"<corpus-{path.name}@example.gov.uk>")
    outcome = service.ingest_bytes(raw, source="test")
    sub = outcome.submission
    assert sub is not None, outcome.error
    mine = [f.code for f in sub.flags if f.detail.startswith(f"{path.name}:")]
    if mine:
        assert len(mine) == 1, sub.flags
        return mine[0], sub
    return ("read" if sub.request is not None else "no_request_form"), sub


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_mailed_in_is_read_or_flagged(path: Path, service: Service) -> None:
    code, sub = outcome_of(service, path)
    assert code in OUTCOMES
    if path.name in KNOWN:
        assert code == KNOWN[path.name]
    [attachment] = sub.attachments
    assert attachment.filename == path.name and attachment.role in ATTACHMENT_ROLES
    assert attachment.readable == (code in ("read", "no_request_form"))
    # what the sender is told names the file and says why, in words
    for flag in sub.flags:
        assert flag.detail and "Traceback" not in flag.detail


def test_the_service_accepts_a_good_email_after_the_corpora(service: Service) -> None:
    for path in FILES:  # when run on its own, the corpora first
        if path.name not in MAILED:
            outcome_of(service, path)
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW,
                        [("CRP request form.docx", north_somerset_form(GOOD))] + papers(), "<after-corpora@example.gov.uk>")
    sub = service.ingest_bytes(raw, source="test").submission
    assert sub is not None and sub.status == "accepted", sub and sub.flags


def test_classifying_a_corpus_file_never_fails() -> None:
    # The role given to a file that is not read (in the service's own process, from a little of its text).
    for path in FILES:
        assert parsers.classify_attachment(path.name, path.read_bytes(), None) in ATTACHMENT_ROLES
