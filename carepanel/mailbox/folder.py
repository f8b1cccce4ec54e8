"""The embedded inbox: a folder of ``.eml`` files, which mail rules, scripts or people fill.

A file is offered only once it is complete: its writer has closed it (the file system's
close-after-write event, inotify's IN_CLOSE_WRITE, seen by the watcher) or renamed it into the
inbox, and it has not changed since; or, where no such event comes (a network share, polling
only), it has not changed for ``settle_seconds``.  Still-growing files, temporary names
(``.x.eml.tmp``, ``~$x.eml``), hidden and empty files, and symlinks are passed over.
Files leave the inbox only by ``mark_processed`` (into ``processed/YYYY-MM-DD/``) or
``mark_failed`` (into ``failed/`` with a ``.reason.txt`` beside it), and are never
overwritten there: a name already taken gets ``-1``, ``-2``, ...  A message whose processing
fails stays in the inbox, to be retried.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..clock import LONDON, Clock, system_clock
from ..config import Config, FolderConfig, MailboxConfig
from ..errors import ConfigError
from ..logs import safe_fields
from .base import Batch, Fetched, Mark
from .durable import fsync_dir, make_dirs, place_exclusive, write_atomic
from .watcher import Arrivals, signature, wait_either, watch

__all__ = ["FolderInbox", "InboxItem", "ItemChanged", "watch"]

log = logging.getLogger(__name__)

# On POSIX, ctime moves with every write and cannot be set back by the copying program,
# so "not changed for settle_seconds" can be judged from one look.  Elsewhere (Windows:
# ctime is the creation time, and Explorer keeps the source's mtime) the file must also be
# seen unchanged across sweeps for settle_seconds.
CTIME_TRACKS_WRITES = os.name == "posix"
MAX_NAME_TRIES = 10_000
# A file still empty after this long was left empty, not caught mid-copy: it goes to failed/.
EMPTY_AFTER_SECONDS = 60.0


class ItemChanged(FileNotFoundError):
    """The file listed is no longer there as listed: moved, removed or rewritten.

    A ``FileNotFoundError``, because the caller's answer is the same: skip it now, and the
    next sweep offers whatever is there.
    """

    def __init__(self) -> None:
        super().__init__(errno.ENOENT, "the inbox file changed after it was listed")


@dataclass(frozen=True)
class InboxItem:
    """One complete ``.eml`` file, as the sweep that listed it saw it.

    ``key`` is a hash of the name, size and mtime: stable while the file is unchanged, and
    safe to log (file names often carry a child's name).
    """

    path: Path
    size: int
    mtime: float
    key: str

    @property
    def source_key(self) -> str:
        return self.path.name

    @property
    def mark(self) -> Mark | None:
        return None  # the folder keeps no watermark: a file is in the inbox until moved


def _item(path: Path, st: os.stat_result) -> InboxItem:
    ident = f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}".encode("utf-8", "surrogateescape")
    return InboxItem(path, st.st_size, st.st_mtime, hashlib.sha256(ident).hexdigest()[:32])


def is_candidate(name: str) -> bool:
    """A name that may hold a finished message (the content is checked later)."""
    return name.lower().endswith(".eml") and not name.startswith((".", "~$"))


class FolderInbox:
    """The ``folder`` backend (see ``base.Mailbox``)."""

    source = "folder"
    key: str | None = None  # no watermark and no server to be connected to
    relists_failed = True

    def __init__(self, cfg: MailboxConfig, *, clock: Clock = system_clock) -> None:
        self.cfg = cfg
        s = folder_settings(cfg)
        self.path = _required(s.path, "path")
        self.processed_path = _required(s.processed_path, "processed_path")
        self.failed_path = _required(s.failed_path, "failed_path")
        self.settle_seconds = s.settle_seconds
        self._clock = clock
        self._seen: dict[str, tuple[tuple[int, int, int], float]] = {}
        self.settling = 0  # files seen by the last listing that were still changing
        self.arrivals = Arrivals()  # files their writer closed or renamed in, told by the watcher
        self.wake = threading.Event()
        self._watcher: threading.Thread | None = None
        for folder in (self.path, self.processed_path, self.failed_path):
            make_dirs(folder)

    # ------------------------------------------------------------------ the service's loop

    def start(self, stop: threading.Event) -> None:
        self._watcher = threading.Thread(target=watch, args=(self.cfg, self.wake.set, stop),
                                         kwargs={"arrivals": self.arrivals}, name="inbox-watch", daemon=True)
        self._watcher.start()

    def epoch(self) -> int | None:
        return None

    def new_items(self, since: Mark | None) -> Iterator[Batch[InboxItem]]:
        yield Batch(self.pending())

    def fetch(self, item: InboxItem) -> Fetched:
        return Fetched(self.read(item), datetime.fromtimestamp(item.mtime, timezone.utc))

    def find(self, source_key: str | None, message_id: str) -> InboxItem | None:
        return None  # a failed file is still in the inbox, listed again

    def prepare(self, now: datetime) -> bool:
        return False

    def wait(self, stop: threading.Event) -> None:
        """Until the watcher wakes the loop or the poll is due; a file still being copied in is
        looked at again as soon as it may have settled."""
        poll = self.cfg.poll_seconds
        wait_either(self.wake, stop, min(poll, self.settle_seconds) if self.settling else poll)
        self.wake.clear()

    def healthy(self) -> bool:
        return self.path.is_dir()

    def reset(self) -> None:
        pass

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def describe(self) -> str:
        return f"watching {self.path}"

    # ------------------------------------------------------------------ listing

    def pending(self) -> list[InboxItem]:
        """Complete messages waiting in the inbox, oldest first."""
        now, listed_at = self._clock().timestamp(), time.monotonic()
        items: list[InboxItem] = []
        seen: dict[str, tuple[tuple[int, int, int], float]] = {}
        with os.scandir(self.path) as entries:
            for entry in entries:
                st = _regular_file_stat(entry)
                if st is None:
                    continue
                if st.st_size == 0:  # still being created, or left empty: only the latter is an item
                    if now - st.st_mtime >= EMPTY_AFTER_SECONDS:
                        items.append(_item(Path(entry.path), st))
                    continue
                sig = signature(st)
                previous = self._seen.get(entry.path)
                first_seen = previous[1] if previous and previous[0] == sig else now
                seen[entry.path] = (sig, first_seen)
                if self.arrivals.complete(entry.path, sig) or self._settled(st, now, now - first_seen):
                    items.append(_item(Path(entry.path), st))
        self._seen = seen
        self.arrivals.keep_only(seen, listed_at=listed_at)
        self.settling = len(seen) - len(items)
        return sorted(items, key=lambda it: (it.mtime, it.path.name))

    def _settled(self, st: os.stat_result, now: float, unchanged_for: float) -> bool:
        last_change = max(st.st_mtime, st.st_ctime) if CTIME_TRACKS_WRITES else st.st_mtime
        quiet = now - last_change >= self.settle_seconds
        in_future = last_change > now  # a share with a fast clock: trust only what we saw
        watched = unchanged_for >= self.settle_seconds
        if CTIME_TRACKS_WRITES:
            return quiet or (in_future and watched)
        return watched and (quiet or in_future)

    # ------------------------------------------------------------------ reading

    def read(self, item: InboxItem) -> bytes:
        """The file's bytes, exactly; ``ItemChanged`` if it is not the file that was listed."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(item.path, flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # became a symlink since listing
                raise ItemChanged() from exc
            raise
        with os.fdopen(fd, "rb") as fh:
            if _item(item.path, os.fstat(fh.fileno())).key != item.key:
                raise ItemChanged()
            data = fh.read()
        if len(data) != item.size:
            raise ItemChanged()
        return data

    # ------------------------------------------------------------------ moving out

    def mark_processed(self, item: InboxItem) -> None:
        """Move the message into ``processed/<London date>/``, under a name not yet taken."""
        day = self._clock().astimezone(LONDON).date().isoformat()
        self._move(item, self.processed_path / day, "processed")

    def mark_failed(self, item: InboxItem, reason: str) -> None:
        """Move a message refused for good into ``failed/``, with ``<name>.reason.txt``
        beside it saying why.  Messages that may succeed later stay in the inbox instead."""
        dest = self._move(item, self.failed_path, "failed")
        if dest is not None:
            when = self._clock().astimezone(timezone.utc).isoformat(timespec="seconds")
            text = "".join(c for c in reason if c in "\n\t" or c.isprintable())
            write_atomic(dest.with_name(dest.name + ".reason.txt"), f"{when}\n{text}\n".encode())

    def _move(self, item: InboxItem, folder: Path, status: str) -> Path | None:
        """Move ``item`` into ``folder``; ``None`` (and the file left alone) if it has changed
        since it was read, or is already gone."""
        try:
            current = _item(item.path, os.stat(item.path, follow_symlinks=False))
        except FileNotFoundError:
            log.warning("inbox file already gone", extra=safe_fields(event=f"mark_{status}_gone", path_hash=item.key))
            return None
        if current.key != item.key:
            log.warning("inbox file changed after it was read; left to be read again",
                        extra=safe_fields(event=f"mark_{status}_changed", path_hash=item.key))
            return None
        make_dirs(folder)
        dest = _place_unique(item.path, folder)
        try:
            os.chmod(dest, 0o600)  # filed mail is the service's alone, whatever mode it was dropped with
        except OSError:  # dropped by another account: the folder (0700) still keeps it private
            log.warning("could not make a filed message private", extra=safe_fields(event="chmod_failed",
                                                                                    path_hash=item.key))
        os.unlink(item.path)
        fsync_dir(item.path.parent)
        log.info("inbox file moved", extra=safe_fields(event=f"mark_{status}", path_hash=item.key, size=item.size))
        return dest


def folder_settings(cfg: MailboxConfig) -> FolderConfig:
    if not isinstance(cfg.settings, FolderConfig):
        raise ConfigError(f"mailbox: the folder inbox needs backend = \"folder\", not {cfg.backend!r}")
    return cfg.settings


def _required(path: Path | None, key: str) -> Path:
    if path is None:
        raise ConfigError(f"mailbox.{key}: required for backend = \"folder\"")
    return path


def _regular_file_stat(entry: os.DirEntry[str]) -> os.stat_result | None:
    """The stat of an inbox entry worth considering, else ``None``."""
    if not is_candidate(entry.name):
        return None
    try:
        if not entry.is_file(follow_symlinks=False):
            return None
        st = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return None
    hidden = getattr(st, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0)
    return None if hidden else st


def _place_unique(src: Path, folder: Path) -> Path:
    stem, suffix = src.stem, src.suffix
    for n in range(MAX_NAME_TRIES):
        dest = folder / (src.name if n == 0 else f"{stem}-{n}{suffix}")
        try:
            place_exclusive(src, dest)
        except FileExistsError:
            continue
        return dest
    raise FileExistsError(errno.EEXIST, "no free name left in the folder")



def open_inbox(cfg: Config, clock: Clock = system_clock) -> FolderInbox:
    return FolderInbox(cfg.mailbox, clock=clock)


def check(cfg: Config) -> str:
    inbox = FolderInbox(cfg.mailbox)
    return f"can read {inbox.path} ({len(inbox.pending())} waiting)"


def local_processed(cfg: Config) -> Path:
    """Where processed messages are moved: verify checks each one is on the ledger."""
    return _required(folder_settings(cfg.mailbox).processed_path, "processed_path")
