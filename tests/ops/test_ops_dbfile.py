"""The database file has one owner: SQLite.  Nothing else in carepanel opens, closes, copies,
renames or chmods it, and a service whose file was deleted or replaced under it stops taking
mail in and acknowledges nothing (issue: "Never lose a submission")."""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from carepanel import datadir, dbfile
from carepanel.jobs import health
from carepanel.cli import main
from carepanel.config import load_config
from carepanel.errors import DatabaseReplaced
from carepanel.service import open_service
from carepanel.store import Store
from test_intake_e2e import NOW, config_for, email as good_email

WATCHED_EVENTS = {"open", "os.chmod", "os.rename", "os.remove", "os.truncate", "shutil.copyfile", "shutil.move",
                  "os.link", "os.symlink", "os.utime", "os.chown", "shutil.copytree", "shutil.rmtree"}
_touches: list[tuple[str, str]] = []
_watched: set[str] = set()
_hook_lock = threading.Lock()


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event not in WATCHED_EVENTS or not _watched:
        return
    for arg in args:
        if isinstance(arg, (str, bytes, os.PathLike)):
            try:
                path = os.path.abspath(os.fsdecode(arg))
            except (TypeError, ValueError):
                continue
            if path in _watched:
                with _hook_lock:
                    _touches.append((event, path))


sys.addaudithook(_hook)  # audit hooks cannot be removed: it only records while _watched is set


@pytest.fixture
def guard_db_files() -> Iterator[list[tuple[str, str]]]:
    """Record every non-SQLite touch of the watched database files during the test."""
    _touches.clear()
    yield _touches
    _watched.clear()


def watch(db: Path) -> None:
    _watched.update(dbfile.database_files(db))


def count_messages(db: Path) -> int:
    """From another process, as the CLI or a backup would see the database."""
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            "print(c.execute('select count(*) from messages').fetchone()[0])")
    return int(subprocess.run([sys.executable, "-c", code, str(db)], check=True, capture_output=True,
                              text=True).stdout)


def test_a_second_handle_in_the_service_process_does_not_lose_what_it_writes_next(tmp_path: Path) -> None:
    """The bug: opening a second Store (a web request) dropped the service's SQLite locks, so the
    next process to close the database deleted the WAL under the service."""
    db = tmp_path / "carepanel.db"
    service = Store(db)
    service.note_message("a" * 64, "<1@x>", "test", None, 10)
    Store(db).close()  # a web request in the same process
    subprocess.run([sys.executable, "-c", "import sys; from carepanel.store import Store; Store(__import__('pathlib')"
                    ".Path(sys.argv[1])).close()", str(db)], check=True)  # a CLI command
    service.note_message("b" * 64, "<2@x>", "test", None, 10)
    assert count_messages(db) == 2
    assert dbfile.deleted_handles(db) == []
    service.close()


def test_nothing_but_sqlite_opens_or_changes_the_database_files(tmp_path: Path, guard_db_files: list) -> None:
    cfg = config_for(tmp_path)
    watch(cfg.db_path)
    with open_service(cfg, clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(good_email(), source="test").submission
        assert sub is not None
        runner = CliRunner()
        for args in (["submissions", "--json"], ["health", "--json"], ["agenda", "show", "--panel-date", "2026-12-02"],
                     ["backup", str(tmp_path / "b.tar")], ["verify", "--json"]):
            result = runner.invoke(main, ["--config", str(tmp_path / "config.toml"), *args])
            assert "Traceback" not in result.output, result.output
        from carepanel.web.app import create_app

        with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
            assert client.get("/healthz").status_code in (200, 503)
            assert client.get("/login").status_code == 200
        svc.ingest_bytes(good_email(sender="terry.manager@example.gov.uk"), source="test")
    assert guard_db_files == [], guard_db_files
    assert dbfile.deleted_handles(cfg.db_path) == []


def test_the_store_creates_its_database_private_without_touching_it(tmp_path: Path, guard_db_files: list) -> None:
    db = tmp_path / "data" / "carepanel.db"
    watch(db)
    old = os.umask(0o022)
    try:
        Store(db).close()
    finally:
        os.umask(old)
    assert guard_db_files == []
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    assert oct(db.parent.stat().st_mode & 0o777) == "0o700"


def test_a_deleted_wal_stops_every_write_and_says_why(tmp_path: Path) -> None:
    db = tmp_path / "carepanel.db"
    store = Store(db)
    told: list[str] = []
    store.on_broken = told.append
    store.note_message("a" * 64, "<1@x>", "test", None, 10)
    os.unlink(str(db) + "-wal")  # what the lost lock let another process do
    with pytest.raises(DatabaseReplaced, match="carepanel.db-wal"):
        store.note_message("b" * 64, "<2@x>", "test", None, 10)
    with pytest.raises(DatabaseReplaced):
        store.due_outgoing(NOW)  # nor is anything sent from it
    assert len(told) == 1


def test_a_database_file_replaced_under_the_store_is_noticed(tmp_path: Path) -> None:
    db = tmp_path / "carepanel.db"
    store = Store(db)
    other = Store(tmp_path / "other.db")
    other.close()
    os.replace(tmp_path / "other.db", db)  # someone restores a copy by hand while it runs
    with pytest.raises(DatabaseReplaced, match="replaced"):
        store.note_message("a" * 64, "<1@x>", "test", None, 10)


def test_the_service_whose_database_was_replaced_takes_nothing_in_and_tells_the_administrators(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    inbox = cfg.mailbox.path
    lock = datadir.acquire(cfg.data_dir)  # this process is "the running service": it holds the lock, as run does
    with open_service(cfg, clock=lambda: NOW) as svc:
        health.note_sweep(cfg, mailbox_ok=True)
        from carepanel.mailbox.folder import FolderInbox

        folder = FolderInbox(replace(cfg.mailbox, settings=replace(cfg.mailbox.settings, settle_seconds=0)))
        shutil.copy(cfg.db_path, tmp_path / "copy.db")
        os.replace(tmp_path / "copy.db", cfg.db_path)
        (inbox / "one.eml").write_bytes(good_email())
        os.utime(inbox / "one.eml", (0, 0))
        with pytest.raises(DatabaseReplaced):
            svc.sweep(folder)
        assert (inbox / "one.eml").exists(), "the message stays in the inbox"
        sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in cfg.outbox.path.glob("*.eml")]
        assert [str(m["Subject"]) for m in sent] == ["carepanel stopped: database file replaced"]
        assert "pat.admin@example.gov.uk" in str(sent[0]["To"]) or sent[0]["To"]
        status = health.status(cfg, clock=lambda: NOW)
        assert not status["healthy"]
        assert any("replaced" in p and "stopped taking mail in" in p for p in status["problems"]), status["problems"]
    lock.release()


def test_a_second_service_on_one_data_dir_refuses_to_start(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    lock = datadir.acquire(cfg.data_dir)
    try:
        assert datadir.holder(cfg.data_dir) == os.getpid()
        proc = subprocess.run([sys.executable, "-m", "carepanel.cli", "--config", str(tmp_path / "config.toml"), "run",
                               "--no-web"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        assert f"already running on {cfg.data_dir}" in proc.stderr and str(os.getpid()) in proc.stderr
        assert "Traceback" not in proc.stderr
    finally:
        lock.release()
    assert datadir.holder(cfg.data_dir) is None


MOUNTINFO = """\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /srv/share rw,relatime shared:20 - cifs //fileserver/panel rw,vers=3.0
41 22 0:36 / /srv/nfs\\040home rw,relatime - nfs4 server:/home rw
"""


@pytest.mark.parametrize("path, kind", [("/srv/carepanel/data", "ext4"), ("/srv/share/carepanel/data", "cifs"),
                                        ("/srv/nfs home/data", "nfs4"), ("/srv/shared", "ext4")])
def test_the_file_system_under_the_data_dir_is_read_from_mountinfo(path: str, kind: str) -> None:
    assert datadir.filesystem_type(Path(path), MOUNTINFO) == kind


def test_a_data_dir_on_a_network_share_is_refused_or_warned_about() -> None:
    with pytest.raises(datadir.NetworkDataDir, match="network file system \\(cifs\\)"):
        datadir.check_local(Path("/srv/share/carepanel/data"), "refuse", MOUNTINFO)
    assert "cifs" in (datadir.check_local(Path("/srv/share/carepanel/data"), "warn", MOUNTINFO) or "")
    assert datadir.check_local(Path("/srv/carepanel/data"), "refuse", MOUNTINFO) is None


def test_verify_says_ok_then_names_each_disagreement(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    from carepanel.mailbox.folder import FolderInbox

    with open_service(cfg, clock=lambda: NOW) as svc:
        folder = FolderInbox(replace(cfg.mailbox, settings=replace(cfg.mailbox.settings, settle_seconds=0)))
        (folder.path / "one.eml").write_bytes(good_email())
        os.utime(folder.path / "one.eml", (0, 0))
        assert svc.sweep(folder) == 1
    runner = CliRunner()
    args = ["--config", str(tmp_path / "config.toml"), "verify", "--json"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True
    [filed] = [p for p in cfg.mailbox.settings.processed_path.rglob("*.eml")]
    assert oct(filed.stat().st_mode & 0o777) == "0o600"
    (filed.parent / "stray.eml").write_bytes(b"From: x@example.org\r\n\r\nnot on the ledger\r\n")
    [original] = [p for p in cfg.archive_dir.rglob("*.eml")]
    original.chmod(0o600)
    original.write_bytes(original.read_bytes() + b"\r\n")
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert any("stray.eml" in p for p in report["problems"]), report
    assert any("no longer matches its hash" in p for p in report["problems"]), report


def test_an_empty_eml_left_in_the_inbox_goes_to_failed_with_its_reason(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    inbox = cfg.mailbox.path
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "empty.eml").write_bytes(b"")
    os.utime(inbox / "empty.eml", (1000, 1000))
    with open_service(cfg, clock=lambda: NOW) as svc:
        from carepanel.mailbox.folder import FolderInbox

        svc.sweep(FolderInbox(cfg.mailbox))
    assert not (inbox / "empty.eml").exists()
    reason = (cfg.mailbox.settings.failed_path / "empty.eml.reason.txt").read_text()
    assert "empty (0 bytes)" in reason


def test_a_file_waiting_in_the_inbox_for_minutes_is_a_health_problem(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    inbox = cfg.mailbox.path
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "stuck.eml").write_bytes(good_email())
    status = health.status(cfg, clock=lambda: NOW)
    assert status["queue"]["inbox_stale_files"] == 0
    old = os.stat(inbox / "stuck.eml").st_mtime - 600
    os.utime(inbox / "stuck.eml", (old, old))
    status = health.status(load_config(tmp_path / "config.toml"), clock=lambda: NOW)
    assert status["queue"]["inbox_stale_files"] == 1
    assert "inbox: 1 file(s) waiting more than 5 minutes" in status["problems"]
