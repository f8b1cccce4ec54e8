"""Waking the service when mail lands in the inbox folder, and every ``poll_seconds`` anyway.

``watchdog`` reports new files at once, but it can miss events (network shares, a full
inotify table, a folder replaced under it), so a timed sweep always runs as well; if
watchdog cannot start at all, the timed sweep is all there is.

A file whose writer has closed it (the file system's close-after-write event: inotify's
IN_CLOSE_WRITE, which watchdog reports as ``closed``) or which was renamed into the inbox
(``moved`` within it; ``created`` with no ``opened`` after it, from another folder) is complete:
it is noted in ``Arrivals`` with its size and times as they were then, and the sweep runs at once
(after ``CLOSE_QUIET``, to take a burst of files together).  A file opened or written again is
forgotten until its next close, and the inbox reads a noted file only while it is still exactly
as it was when noted.  Other events are debounced: the sweep
runs once the folder has been quiet for ``settle_seconds``, when a copied file will count as
complete by its times alone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Container
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from ..config import FolderConfig, MailboxConfig
from ..errors import ConfigError
from ..logs import safe_fields
from .durable import make_dirs

log = logging.getLogger(__name__)

WAKING_EVENTS = frozenset({"created", "modified", "moved", "closed"})
# The writer is done with the file: closed after writing, or renamed in (inotify reports a file
# renamed in from outside the folder as created; one created by open() is "opened" at once, and
# that event forgets it again).
COMPLETING_EVENTS = frozenset({"moved", "closed", "created"})
REOPENING_EVENTS = frozenset({"opened", "modified"})
TICK = 0.1  # how often a wait looks at ``stop``: the watcher stops within this
CLOSE_QUIET = 0.05  # after a close or a rename, how long to wait for more before sweeping

Signature = tuple[int, int, int]


def signature(st: os.stat_result) -> Signature:
    """Size, mtime and ctime: any write changes one of them."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Arrivals:
    """Inbox files whose writer closed them or renamed them in, each with its signature then.

    Written by the watcher's thread, read by the service loop's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed: dict[str, tuple[Signature, float]] = {}  # path -> (signature, when noted)

    def note(self, path: str) -> None:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return  # gone already (moved on, or a temporary file)
        with self._lock:
            self._closed[path] = (signature(st), time.monotonic())

    def forget(self, path: str) -> None:
        with self._lock:
            self._closed.pop(path, None)

    def complete(self, path: str, now: Signature) -> bool:
        """Closed or renamed in, and not changed since."""
        with self._lock:
            noted = self._closed.get(path)
        return noted is not None and noted[0] == now

    def keep_only(self, paths: Container[str], *, listed_at: float) -> None:
        """Forget files gone from a listing that began at ``listed_at`` (``time.monotonic()``);
        a file noted since may simply have come too late for it."""
        with self._lock:
            self._closed = {p: v for p, v in self._closed.items() if p in paths or v[1] >= listed_at}


class _Nudge(FileSystemEventHandler):
    def __init__(self, flag: threading.Event, arrivals: Arrivals | None) -> None:
        self.flag = flag
        self.arrivals = arrivals
        self.completed = False  # the last event was a close or a rename: no need to wait for quiet

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        kind = event.event_type
        if self.arrivals is not None:
            if kind in COMPLETING_EVENTS:
                self.arrivals.note(os.fsdecode(event.dest_path if kind == "moved" else event.src_path))
            elif kind in REOPENING_EVENTS:
                self.arrivals.forget(os.fsdecode(event.src_path))
        if kind in WAKING_EVENTS:
            self.completed = kind in COMPLETING_EVENTS
            self.flag.set()


def watch(cfg: MailboxConfig, on_change: Callable[[], None], stop: threading.Event,
          *, observer_factory: Callable[[], BaseObserver] = Observer, arrivals: Arrivals | None = None) -> None:
    """Call ``on_change`` once at start, after each burst of inbox events, and at least every
    ``poll_seconds``; return soon after ``stop`` is set.  Run it in a thread of its own.
    Files closed after writing or renamed in are noted in ``arrivals``.

    An exception from ``on_change`` is logged and the watch goes on: the next sweep retries.
    """
    if cfg.path is None:
        raise ConfigError("mailbox.path: required for backend = \"folder\"")
    make_dirs(cfg.path)
    nudge = threading.Event()
    handler = _Nudge(nudge, arrivals)
    observer = _start_observer(cfg.path, handler, observer_factory)
    poll = max(cfg.poll_seconds, TICK)  # never a busy loop, whatever the config says
    settle = cfg.settings.settle_seconds if isinstance(cfg.settings, FolderConfig) else 1.0
    quiet = max(settle, 0.0) + TICK
    try:
        _call(on_change)
        while not stop.is_set():
            if _wait(nudge, stop, poll):
                _until_quiet(nudge, stop, lambda: CLOSE_QUIET if handler.completed else quiet, limit=poll)
            if stop.is_set():
                break
            nudge.clear()
            _call(on_change)
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)


def _start_observer(path: Path, handler: _Nudge, factory: Callable[[], BaseObserver]) -> BaseObserver | None:
    observer = factory()
    try:
        observer.schedule(handler, str(path), recursive=False)
        observer.start()
    except OSError as exc:  # e.g. the inotify watch limit; polling still works
        log.warning("folder events unavailable; polling only", extra=safe_fields(
            event="watch_polling_only", error_type=type(exc).__name__))
        return None
    return observer


def _wait(flag: threading.Event, stop: threading.Event, timeout: float) -> bool:
    """Wait up to ``timeout`` for ``flag``; ``False`` on timeout or when ``stop`` is set."""
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if flag.wait(min(TICK, remaining)):
            return True
    return False


def _until_quiet(nudge: threading.Event, stop: threading.Event, quiet: Callable[[], float], *, limit: float) -> None:
    """Debounce: wait until no event came for ``quiet()`` seconds (short once the last event
    finished a file), but no longer than ``limit``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not stop.is_set():
        nudge.clear()
        if not _wait(nudge, stop, quiet()):
            return


def wait_either(flag: threading.Event, stop: threading.Event, timeout: float) -> bool:
    """For the service loop: ``_wait``, which also ends at once when ``stop`` is set."""
    return _wait(flag, stop, timeout)


def _call(on_change: Callable[[], None]) -> None:
    try:
        on_change()
    except Exception as exc:  # noqa: BLE001 - a failed sweep must not end the watch; it is retried
        log.error("inbox sweep failed; will retry", extra=safe_fields(
            event="sweep_failed", error_type=type(exc).__name__))
