"""A LibreOffice that hangs while an old .doc form is being read is the machine's fault, not the
social worker's: the message is tried again, on a fresh LibreOffice, and read.  Only a file that
hangs LibreOffice on every try is flagged, so an administrator still sees it."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers
from test_ops_pack_faults import office_processes, signal_all

from carepanel.demo import compose_email
from carepanel.office import Converter
from carepanel.jobs.process import TRANSIENT_RETRIES
from carepanel.demo.samples import north_somerset_form
from carepanel.service import Service, open_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def doc_form() -> bytes:
    with Converter(workers=1) as conv:
        return conv.convert(north_somerset_form(GOOD), ".docx", "doc")


@pytest.fixture
def clock() -> dict[str, datetime]:
    return {"t": NOW}


@pytest.fixture
def service(tmp_path: Path, clock: dict[str, datetime]) -> Iterator[Service]:
    cfg = config_for(tmp_path)
    cfg = replace(cfg, pack=replace(cfg.pack, office_timeout_seconds=6))  # a hang is noticed in 6 s
    with open_service(cfg, clock=lambda: clock["t"]) as svc:
        yield svc


def hang_office(svc: Service) -> None:
    """Stop (SIGSTOP) the LibreOffice the service reads old forms with, once it is up."""
    assert svc.office is not None
    conv = svc.office.get()
    conv.to_docx(b"{\\rtf1 warm}", ".rtf")  # make sure it has started and answered once
    pids = office_processes(conv.home)
    assert pids
    signal_all(pids, signal.SIGSTOP)


def email_with(doc: bytes, n: int) -> bytes:
    return compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [("CRP request form.doc", doc)] + papers(),
                         f"<hang-{n}@example.gov.uk>")


def test_a_hang_while_reading_a_doc_form_is_retried_and_the_form_is_read(
        service: Service, clock: dict[str, datetime], doc_form: bytes) -> None:
    raw = email_with(doc_form, 1)
    hang_office(service)
    first = service.ingest_bytes(raw, source="test")
    assert first.submission is None and first.retry_at is not None  # not judged, not flagged: held for a retry
    entry = service.store.ledger_entry(first.sha256)
    assert entry is not None and entry.status == "failed"
    assert entry.error_code == "processing_error" and "LibreOffice" in (entry.error or "")

    clock["t"] = first.retry_at + timedelta(seconds=1)
    again = service.ingest_bytes(raw, source="test")  # the hung LibreOffice was replaced meanwhile
    sub = again.submission
    assert sub is not None and sub.request.form == "north-somerset"
    assert "unreadable_attachment" not in [f.code for f in sub.flags]


def test_a_doc_that_hangs_libreoffice_every_time_is_flagged_after_the_retries(
        service: Service, clock: dict[str, datetime], doc_form: bytes) -> None:
    raw = email_with(doc_form, 2)
    for _ in range(TRANSIENT_RETRIES):
        hang_office(service)
        outcome = service.ingest_bytes(raw, source="test")
        assert outcome.submission is None and outcome.retry_at is not None
        clock["t"] = outcome.retry_at + timedelta(seconds=1)
    hang_office(service)
    sub = service.ingest_bytes(raw, source="test").submission
    assert sub is not None
    [flag] = [f for f in sub.flags if f.code == "unreadable_attachment"]
    assert "did not finish converting" in flag.detail
    assert sub.status == "flagged"  # an administrator sees it, with the reason
