"""The folder inbox: only complete messages are offered; nothing leaving it is ever overwritten."""

from __future__ import annotations

import errno
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from carepanel.clock import fixed_clock
from carepanel.config import FolderConfig, MailboxConfig
from carepanel.errors import ConfigError
from carepanel.mailbox import FolderInbox, InboxItem, ItemChanged, Mailbox
from carepanel.mailbox import folder as folder_module

MAIL = b"From: sam.carter@example.gov.uk\r\nSubject: x\r\n\r\nbody\r\n"
SUMMER_NIGHT = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)  # already 1 July in London (BST)


class ManualClock:
    """Now, moved on by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make(tmp_path: Path, settle: float = 0.0, clock=None) -> FolderInbox:
    cfg = MailboxConfig("folder", 5.0, FolderConfig(tmp_path / "inbox", tmp_path / "processed", tmp_path / "failed",
                                                    settle_seconds=settle))
    return FolderInbox(cfg, clock=clock or fixed_clock(SUMMER_NIGHT))


def drop(inbox: FolderInbox, name: str, data: bytes = MAIL, age: float | None = 60.0) -> Path:
    path = inbox.path / name
    path.write_bytes(data)
    if age is not None:
        past = time.time() - age
        os.utime(path, (past, past))
    return path


def names(inbox: FolderInbox) -> list[str]:
    return [item.path.name for item in inbox.pending()]


def test_creates_its_folders_and_meets_the_inbox_protocol(tmp_path: Path) -> None:
    inbox: Mailbox[InboxItem] = make(tmp_path)  # checked by mypy
    assert isinstance(inbox, FolderInbox) and inbox.pending() == []
    assert all(p.is_dir() for p in (inbox.path, inbox.processed_path, inbox.failed_path))


def test_only_finished_eml_files_are_offered_oldest_first(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    drop(inbox, "b.eml", age=10)
    drop(inbox, "a.EML", age=20)
    for skipped in (".hidden.eml", ".b.eml.tmp", "~$draft.eml", "c.eml.part", "d.eml.crdownload", "notes.txt", "f.msg"):
        drop(inbox, skipped)
    drop(inbox, "empty.eml", b"", age=None)  # just created: its bytes may be on their way
    (inbox.path / "sub.eml").mkdir()
    (inbox.path / "link.eml").symlink_to(drop(inbox, "target.txt"))
    assert names(inbox) == ["a.EML", "b.eml"]


def test_a_file_left_empty_is_offered_so_it_can_be_filed_as_failed(tmp_path: Path) -> None:
    inbox = make(tmp_path, clock=lambda: datetime.now(timezone.utc))  # file ages are the real clock's
    drop(inbox, "new-empty.eml", b"", age=5)
    drop(inbox, "left-empty.eml", b"", age=folder_module.EMPTY_AFTER_SECONDS + 5)
    [item] = inbox.pending()
    assert item.path.name == "left-empty.eml" and item.size == 0


def test_still_growing_file_waits_until_it_settles(tmp_path: Path) -> None:
    clock = ManualClock()
    inbox = make(tmp_path, settle=0.3, clock=clock)
    path = drop(inbox, "copying.eml", MAIL[:10], age=None)
    assert names(inbox) == []
    clock.advance(0.2)
    with open(path, "ab") as fh:
        fh.write(MAIL[10:])
    assert names(inbox) == []
    clock.advance(0.35)
    [item] = inbox.pending()
    assert inbox.read(item) == MAIL


def test_copy_that_keeps_an_old_mtime_is_not_read_early(tmp_path: Path) -> None:
    clock = ManualClock()
    inbox = make(tmp_path, settle=0.3, clock=clock)
    drop(inbox, "kept-mtime.eml", age=3600)  # the copier set an old mtime; ctime still says "just now"
    assert names(inbox) == []
    clock.advance(0.35)
    assert names(inbox) == ["kept-mtime.eml"]


def test_without_a_write_time_ctime_the_file_must_be_seen_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_module, "CTIME_TRACKS_WRITES", False)  # as on Windows
    clock = ManualClock()
    inbox = make(tmp_path, settle=0.3, clock=clock)
    path = drop(inbox, "explorer-copy.eml", MAIL[:10], age=3600)
    assert names(inbox) == []  # never seen before: not yet trusted
    clock.advance(0.35)
    assert names(inbox) == ["explorer-copy.eml"]
    with open(path, "ab") as fh:
        fh.write(MAIL[10:])
    past = time.time() - 3600
    os.utime(path, (past, past))
    assert names(inbox) == []  # it grew: watch it again
    clock.advance(0.35)
    assert names(inbox) == ["explorer-copy.eml"]


def test_file_dated_in_the_future_is_offered_once_seen_unchanged(tmp_path: Path) -> None:
    clock = ManualClock()
    inbox = make(tmp_path, settle=0.3, clock=clock)
    drop(inbox, "skewed.eml", age=-3600)
    assert names(inbox) == []
    clock.advance(0.35)
    assert names(inbox) == ["skewed.eml"]


def test_a_file_its_writer_closed_is_offered_without_the_settle_wait_and_a_file_still_open_is_not(
        tmp_path: Path) -> None:
    """The watcher hears the close-after-write (inotify IN_CLOSE_WRITE) and a rename into the
    inbox; a file still being written is left for the settle rule, however long that takes."""
    inbox = make(tmp_path, settle=3600.0, clock=ManualClock())
    stop = threading.Event()
    inbox.start(stop)
    assert inbox.wake.wait(30)  # the watcher is watching
    try:
        with open(inbox.path / "half-copied.eml", "wb") as growing:
            growing.write(MAIL[:10])
            growing.flush()
            with open(inbox.path / "copied.eml", "wb") as fh:
                fh.write(MAIL)
            (tmp_path / "renamed.eml").write_bytes(MAIL)
            os.rename(tmp_path / "renamed.eml", inbox.path / "renamed.eml")
            listed = until(lambda: names(inbox), lambda found: len(found) == 2)
            assert sorted(listed) == ["copied.eml", "renamed.eml"]  # and not the half-copied one
            growing.write(MAIL[10:])
        assert until(lambda: names(inbox), lambda found: "half-copied.eml" in found)
        with open(inbox.path / "copied.eml", "ab") as fh:  # written again after its close:
            os.utime(inbox.path / "copied.eml")
            fh.write(b"more")
            fh.flush()
            assert "copied.eml" not in names(inbox)  # no longer as it was closed
    finally:
        stop.set()
        inbox.close()


def until(look, done, timeout: float = 30.0):
    """``look()`` again until ``done`` says yes (the watcher runs in its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        found = look()
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_items_have_a_stable_key_without_the_file_name(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    drop(inbox, "CRP request A Hart.eml")
    [first], [second] = inbox.pending(), inbox.pending()
    assert first == second and first.size == len(MAIL)
    assert "Hart" not in first.key and len(first.key) == 32


def test_read_refuses_a_file_rewritten_since_listing(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    path = drop(inbox, "x.eml")
    [item] = inbox.pending()
    path.write_bytes(MAIL + b"more")
    with pytest.raises(ItemChanged):
        inbox.read(item)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        inbox.read(item)


def test_processed_goes_to_a_london_date_folder_and_never_overwrites(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    day = inbox.processed_path / "2026-07-01"
    day.mkdir()
    (day / "x.eml").write_bytes(b"an earlier message")
    for n in range(2):
        drop(inbox, "x.eml", MAIL + bytes([n]))
        [item] = inbox.pending()
        inbox.mark_processed(item)
    assert sorted(p.name for p in day.iterdir()) == ["x-1.eml", "x-2.eml", "x.eml"]
    assert (day / "x.eml").read_bytes() == b"an earlier message"
    assert (day / "x-2.eml").read_bytes() == MAIL + b"\x01"
    assert list(inbox.path.iterdir()) == []


def test_move_without_hard_links_still_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    inbox = make(tmp_path)
    (inbox.failed_path / "x.eml").write_bytes(b"keep me")
    drop(inbox, "x.eml")
    [item] = inbox.pending()
    inbox.mark_failed(item, "too large")
    assert (inbox.failed_path / "x.eml").read_bytes() == b"keep me"
    assert (inbox.failed_path / "x-1.eml").read_bytes() == MAIL
    assert not (inbox.path / "x.eml").exists()


def test_failed_keeps_the_reason_beside_the_message(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    drop(inbox, "big.eml")
    [item] = inbox.pending()
    inbox.mark_failed(item, "the message is 80 MB, over the limit\x1b[31m")
    reason = (inbox.failed_path / "big.eml.reason.txt").read_text()
    assert reason.startswith("2026-06-30T23:30:00+00:00\n")
    assert reason.endswith("the message is 80 MB, over the limit[31m\n")
    assert (inbox.failed_path / "big.eml").read_bytes() == MAIL


def test_a_file_changed_after_reading_is_left_in_the_inbox(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    path = drop(inbox, "x.eml")
    [item] = inbox.pending()
    path.write_bytes(b"From: someone.else@example.gov.uk\r\n\r\na newer message\r\n")
    inbox.mark_processed(item)
    assert path.exists() and not any(inbox.processed_path.rglob("*.eml"))


def test_marking_a_file_already_gone_is_harmless(tmp_path: Path) -> None:
    inbox = make(tmp_path)
    path = drop(inbox, "x.eml")
    [item] = inbox.pending()
    path.unlink()
    inbox.mark_processed(item)
    inbox.mark_failed(item, "x")
    assert not any(tmp_path.rglob("*.eml"))


def test_needs_its_folders_configured(tmp_path: Path) -> None:
    cfg = MailboxConfig("folder", 1, FolderConfig(None, tmp_path, tmp_path, settle_seconds=0))
    with pytest.raises(ConfigError, match="mailbox.path"):
        FolderInbox(cfg)
