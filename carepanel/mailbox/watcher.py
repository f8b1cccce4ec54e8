"""Waking the service when mail lands in the inbox folder, and every ``poll_seconds`` anyway.

``watchdog`` reports new files at once, but it can miss events (network shares, a full
inotify table, a folder replaced under it), so a timed sweep always runs as well; if
watchdog cannot start at all, the timed sweep is all there is.  Events are debounced: the
sweep runs once the folder has been quiet for ``settle_seconds``, when a copied file will
count as complete.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from ..config import MailboxConfig
from ..errors import ConfigError
from ..logs import safe_fields
from .durable import make_dirs

log = logging.getLogger(__name__)

WAKING_EVENTS = frozenset({"created", "modified", "moved", "closed"})
TICK = 0.1  # how often a wait looks at ``stop``: the watcher stops within this


class _Nudge(FileSystemEventHandler):
    def __init__(self, flag: threading.Event) -> None:
        self.flag = flag

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in WAKING_EVENTS and not event.is_directory:
            self.flag.set()


def watch(cfg: MailboxConfig, on_change: Callable[[], None], stop: threading.Event,
          *, observer_factory: Callable[[], BaseObserver] = Observer) -> None:
    """Call ``on_change`` once at start, after each burst of inbox events, and at least every
    ``poll_seconds``; return soon after ``stop`` is set.  Run it in a thread of its own.

    An exception from ``on_change`` is logged and the watch goes on: the next sweep retries.
    """
    if cfg.path is None:
        raise ConfigError("mailbox.path: required for backend = \"folder\"")
    make_dirs(cfg.path)
    nudge = threading.Event()
    observer = _start_observer(cfg.path, nudge, observer_factory)
    poll = max(cfg.poll_seconds, TICK)  # never a busy loop, whatever the config says
    quiet = max(cfg.settle_seconds, 0.0) + TICK
    try:
        _call(on_change)
        while not stop.is_set():
            if _wait(nudge, stop, poll):
                _until_quiet(nudge, stop, quiet, limit=poll)
            if stop.is_set():
                break
            nudge.clear()
            _call(on_change)
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)


def _start_observer(path: Path, nudge: threading.Event, factory: Callable[[], BaseObserver]) -> BaseObserver | None:
    observer = factory()
    try:
        observer.schedule(_Nudge(nudge), str(path), recursive=False)
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


def _until_quiet(nudge: threading.Event, stop: threading.Event, quiet: float, *, limit: float) -> None:
    """Debounce: wait until no event came for ``quiet`` seconds, but no longer than ``limit``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not stop.is_set():
        nudge.clear()
        if not _wait(nudge, stop, quiet):
            return


def _call(on_change: Callable[[], None]) -> None:
    try:
        on_change()
    except Exception as exc:  # noqa: BLE001 - a failed sweep must not end the watch; it is retried
        log.error("inbox sweep failed; will retry", extra=safe_fields(
            event="sweep_failed", error_type=type(exc).__name__))
