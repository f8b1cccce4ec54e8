"""Faults while the papers go out: a full disk, and a LibreOffice that hangs or dies mid-conversion.

The service's own papers-out (``Service.send_due_papers``, with an injected clock at Monday
12:00) meets each fault.  Pass: nothing half-written is recorded, served or sent while the fault
lasts; intake carries on; once the fault clears the whole pack goes out, once.  A fault that does
not clear within ``[pack] retry_incomplete_minutes`` ends in a pack that lists the paper it could
not convert, and the administrators are told.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import io
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_intake_e2e import NOW, config_for
from test_pack import ingest_case

from carepanel.jobs import health
from carepanel.office import Converter
from carepanel.service import Service, open_service

pytestmark = pytest.mark.slow
PANEL_DATE = date(2026, 12, 2)
PAPERS_OUT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday noon, GMT


@pytest.fixture
def clock() -> dict[str, datetime]:
    return {"t": NOW}


@pytest.fixture
def service(tmp_path: Path, clock: dict[str, datetime]) -> Iterator[Service]:
    with open_service(config_for(tmp_path / "project"), clock=lambda: clock["t"]) as svc:
        yield svc


def mails(svc: Service) -> list[email.message.EmailMessage]:
    svc.deliver_due()
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(svc.cfg.outbox.path.glob("*.eml"))]


def pack_mails(svc: Service) -> list[email.message.EmailMessage]:
    return [m for m in mails(svc) if "papers –" in str(m["Subject"])]


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_nothing_went_out(svc: Service) -> None:
    assert svc.store.packs(PANEL_DATE) == []  # nothing recorded, so nothing can be served
    assert pack_mails(svc) == []
    assert [f for f in files_in(svc.cfg.packs_dir) if f != "filler"] == []  # no partial file left behind


def assert_one_whole_pack_sent(svc: Service, children: int) -> PdfReader:
    [mail] = pack_mails(svc)
    [attachment] = list(mail.iter_attachments())
    pdf = attachment.get_content()
    [record] = svc.store.packs(PANEL_DATE)
    assert hashlib.sha256(pdf).hexdigest() == record.sha256  # exactly the file that was recorded
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == record.pages
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert all(f"LCS70000{n}" in text for n in range(1, children + 1))
    assert "could not convert" not in text and "cannot be included" not in text.lower()
    return reader


# --------------------------------------------------------------------------- a full disk


def mount_tmpfs(where: Path) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(where)],
                          capture_output=True, check=False).returncode == 0


def test_a_full_disk_at_papers_out_sends_nothing_half_written_and_the_pack_goes_when_space_returns(
        service: Service, clock: dict[str, datetime]) -> None:
    packs_dir = service.cfg.packs_dir
    if not mount_tmpfs(packs_dir):
        pytest.skip("needs root to mount a small tmpfs as the packs folder (a full disk on demand)")
    try:
        filler = packs_dir / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        ingest_case(service, 1)

        clock["t"] = PAPERS_OUT
        assert service.send_due_papers() == []
        assert_nothing_went_out(service)
        ingest_case(service, 2, status="accepted")  # intake goes on while the packs folder is full

        clock["t"] = PAPERS_OUT + timedelta(minutes=3)
        assert service.send_due_papers() == []  # waits before trying again, and the disk is still full
        later = PAPERS_OUT + timedelta(hours=2)
        assert health.status(service.cfg, lambda: later)["overdue"]["papers"] == 1  # `carepanel status` says so
        filler.unlink()  # space comes back
        clock["t"] = PAPERS_OUT + timedelta(minutes=6)
        assert service.send_due_papers() == [PANEL_DATE]
        assert service.send_due_papers() == []
        assert_one_whole_pack_sent(service, children=2)
        assert health.status(service.cfg, lambda: later)["overdue"]["papers"] == 0
    finally:
        subprocess.run(["umount", "-l", str(packs_dir)], check=False)


# --------------------------------------------------------------------------- LibreOffice


def office_processes(home: Path) -> list[int]:
    """The pids of this converter's LibreOffice processes (found by their own profile folder)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "soffice" in cmdline and str(home) in cmdline:
            pids.append(int(entry.name))
    return pids


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


@pytest.fixture
def converter(tmp_path: Path) -> Iterator[Converter]:
    with Converter(workers=1, timeout=6, work_dir=tmp_path / "office") as conv:
        yield conv


def warm(conv: Converter, svc: Service) -> list[int]:
    sub = svc.store.submissions(status="accepted")[0]
    form = next(a for a in sub.attachments if a.role == "request_form")
    conv.to_pdf(svc.processor.archive.get(form.sha256, kind="blob"), ".docx")
    pids = office_processes(conv.home)
    assert pids, "the converter's LibreOffice was not found"
    return pids


def test_a_libreoffice_that_hangs_mid_conversion_delays_the_pack_and_never_sends_it_short(
        service: Service, converter: Converter, clock: dict[str, datetime]) -> None:
    ingest_case(service, 1)
    service.pack_converter = converter
    signal_all(warm(converter, service), signal.SIGSTOP)  # LibreOffice stops answering mid-work

    clock["t"] = PAPERS_OUT
    assert service.send_due_papers() == []  # the conversion times out; the hung LibreOffice is replaced
    assert_nothing_went_out(service)

    clock["t"] = PAPERS_OUT + timedelta(minutes=6)
    assert service.send_due_papers() == [PANEL_DATE]  # the fresh LibreOffice converts every paper
    assert_one_whole_pack_sent(service, children=1)


def test_a_libreoffice_that_keeps_dying_delays_the_pack_until_it_stops(
        service: Service, converter: Converter, clock: dict[str, datetime]) -> None:
    ingest_case(service, 1)
    service.pack_converter = converter
    warm(converter, service)
    crashing = threading.Event()
    crashing.set()

    def crash() -> None:  # every LibreOffice this converter starts dies at once, while the fault lasts
        while crashing.is_set():
            signal_all(office_processes(converter.home), signal.SIGKILL)
            time.sleep(0.02)

    killer = threading.Thread(target=crash, daemon=True)
    killer.start()
    try:
        clock["t"] = PAPERS_OUT
        assert service.send_due_papers() == []
        assert_nothing_went_out(service)
    finally:
        crashing.clear()
        killer.join()

    clock["t"] = PAPERS_OUT + timedelta(minutes=6)
    assert service.send_due_papers() == [PANEL_DATE]
    assert_one_whole_pack_sent(service, children=1)


def test_a_fault_that_outlasts_the_retry_window_sends_the_pack_with_the_paper_listed_and_tells_the_admins(
        service: Service, converter: Converter, clock: dict[str, datetime]) -> None:
    service.cfg = replace(service.cfg, pack=replace(service.cfg.pack, retry_incomplete_minutes=30))
    ingest_case(service, 1)
    service.pack_converter = converter

    clock["t"] = PAPERS_OUT
    signal_all(warm(converter, service), signal.SIGSTOP)
    assert service.send_due_papers() == []  # within the window: try again later
    clock["t"] = PAPERS_OUT + timedelta(minutes=31)
    signal_all(warm(converter, service), signal.SIGSTOP)  # the fresh LibreOffice hangs too
    assert service.send_due_papers() == [PANEL_DATE]

    [mail] = pack_mails(service)
    [attachment] = list(mail.iter_attachments())
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(attachment.get_content())).pages).split())
    assert "LibreOffice could not convert it" in text and "did not finish converting" in text
    [admin] = [m for m in mails(service) if "papers sent for" in str(m["Subject"])]
    assert "to check" in str(admin["Subject"]) and "did not finish converting" in admin.get_body().get_content()
