"""Faults injected into the real service process: it must lose nothing and recover by itself.

Run alone with: pytest -q tests/faults  (marked slow; about two minutes on two cores)
"""

from __future__ import annotations

import contextlib
import errno
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))
from harness import (
    ServiceProcess,
    archive_problems,
    counts,
    drop,
    inbox_files,
    replies,
    wait_for,
)
from opsdata import corpus, request_email, write_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def forms() -> list:
    return corpus(30, seed=80)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, ServiceProcess]]:
    config = write_project(tmp_path)
    service = ServiceProcess(config, tmp_path / "service.out")
    yield config, service
    service.stop()


def emails(forms: list, count: int, start: int = 0) -> dict[str, bytes]:
    return {f"m{n:04d}.eml": request_email(n, forms[n % len(forms)][1], forms[n % len(forms)][2])
            for n in range(start, start + count)}


def check_all_done(root: Path, originals: dict[str, bytes]) -> None:
    data = root / "data"
    c = counts(data / "carepanel.db")
    assert c["submissions"] == len(originals), c
    assert c["messages_processed"] == len(originals) and c["messages_failed"] == 0, c
    assert inbox_files(data / "inbox") == []
    assert archive_problems(data / "archive", originals) == []
    sent = replies(data / "outbox")
    ids = {f"<ops-{name[1:5].lstrip('0') or '0'}@mail.example.gov.uk>" for name in originals}
    assert set(sent) == ids, sorted(set(sent) ^ ids)[:5]
    assert max(sent.values()) == 1, [k for k, v in sent.items() if v > 1][:5]  # each acknowledgement once


def test_sigkill_at_random_points_loses_nothing_and_sends_each_acknowledgement_once(
        project: tuple[Path, ServiceProcess], forms: list) -> None:
    config, service = project
    root = config.parent
    originals = emails(forms, 300)
    names = sorted(originals)
    rng = random.Random(20)
    mid_work = 0  # kills that landed with mail still waiting to be processed
    for round_ in range(20):
        for name in names[round_ * 30:(round_ + 1) * 30]:  # all 300 in the first ten rounds
            drop(root / "data" / "inbox", name, originals[name])
        service.start()
        time.sleep(rng.uniform(0.4, 2.0))  # start-up, or somewhere in the middle of the work
        if inbox_files(root / "data" / "inbox"):
            mid_work += 1
        service.kill()
    service.start()
    service.wait_started()
    wait_for(lambda: counts(root / "data" / "carepanel.db")["outgoing_sent"] >= 300
             and not inbox_files(root / "data" / "inbox"), 240, "all 300 messages", service)
    assert service.stop() == 0
    check_all_done(root, originals)
    assert service.starts == 21 and mid_work >= 10, mid_work


def can_mount_tmpfs(where: Path) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(where)],
                          capture_output=True, check=False).returncode == 0


def test_disk_full_while_archiving_keeps_mail_in_the_inbox_and_recovers(
        project: tuple[Path, ServiceProcess], forms: list) -> None:
    config, service = project
    root = config.parent
    archive = root / "data" / "archive"
    if not can_mount_tmpfs(archive):
        pytest.skip("needs root to mount a small tmpfs as the archive (a full disk on demand)")
    try:
        filler = archive / "filler"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        with pytest.raises(OSError) as full:
            (archive / "probe").write_bytes(b"\0" * 65536)
        assert full.value.errno == errno.ENOSPC
        originals = emails(forms, 3)
        for name, data in originals.items():
            drop(root / "data" / "inbox", name, data)
        service.start()
        time.sleep(4)
        assert service.alive()
        assert len(inbox_files(root / "data" / "inbox")) == 3  # nothing taken while it could not be archived
        assert counts(root / "data" / "carepanel.db")["submissions"] == 0
        filler.unlink()  # space comes back
        wait_for(lambda: counts(root / "data" / "carepanel.db")["outgoing_sent"] >= 3, 60, "recovery", service)
        check_all_done(root, originals)
    finally:
        service.stop()
        subprocess.run(["umount", "-l", str(archive)], check=False)


def test_a_database_locked_by_another_process_is_waited_for(project: tuple[Path, ServiceProcess], forms: list) -> None:
    config, service = project
    root = config.parent
    service.start()
    service.wait_started()
    conn = sqlite3.connect(root / "data" / "carepanel.db", isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    originals = emails(forms, 5)
    try:
        for name, data in originals.items():
            drop(root / "data" / "inbox", name, data)
        time.sleep(4)
        assert service.alive()
        assert len(inbox_files(root / "data" / "inbox")) == 5  # nothing moved before its commit
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    wait_for(lambda: counts(root / "data" / "carepanel.db")["outgoing_sent"] >= 5
             and not inbox_files(root / "data" / "inbox"), 60, "recovery", service)
    check_all_done(root, originals)


def test_an_outbox_that_refuses_is_retried_with_backoff_and_nothing_is_lost(
        project: tuple[Path, ServiceProcess], forms: list) -> None:
    config, service = project
    root = config.parent
    outbox = root / "data" / "outbox"
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("a file where the outbox folder should be: every send fails")
    originals = emails(forms, 5)
    for name, data in originals.items():
        drop(root / "data" / "inbox", name, data)
    service.start()
    wait_for(lambda: counts(root / "data" / "carepanel.db")["submissions"] == 5
             and counts(root / "data" / "carepanel.db")["outgoing_failed"] == 5, 60, "failed sends", service)
    time.sleep(3)  # several retries, with backoff
    outbox.unlink()
    outbox.mkdir(mode=0o700)
    wait_for(lambda: counts(root / "data" / "carepanel.db")["outgoing_sent"] == 5, 60, "recovery", service)
    check_all_done(root, originals)
    conn = sqlite3.connect(f"file:{root / 'data' / 'carepanel.db'}?mode=ro", uri=True)
    try:
        attempts = [r[0] for r in conn.execute("SELECT attempts FROM outgoing")]
    finally:
        conn.close()
    assert min(attempts) >= 2  # it did retry, more than once, before the outbox came back
