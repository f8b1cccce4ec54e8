"""The inbox watcher: wakes on new files, polls anyway, survives a failing sweep, stops cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.observers.api import BaseObserver

from carepanel.config import FolderConfig, MailboxConfig
from carepanel.mailbox import watch


def config(tmp_path: Path, poll: float) -> MailboxConfig:
    return MailboxConfig("folder", poll, FolderConfig(tmp_path / "inbox", tmp_path / "done", tmp_path / "failed",
                                                      settle_seconds=0.05))


class Counter:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.changed = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        self.changed.set()
        if self.fail:
            raise RuntimeError("sweep broke")

    def wait_for(self, calls: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.calls < calls and time.monotonic() < deadline:
            self.changed.wait(0.05)
            self.changed.clear()
        return self.calls >= calls


def start(cfg: MailboxConfig, counter: Counter, **kw: Callable[[], BaseObserver]) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(cfg, counter, stop), kwargs=kw, daemon=True)
    thread.start()
    return thread, stop


def stop_and_join(thread: threading.Thread, stop: threading.Event) -> float:
    began = time.monotonic()
    stop.set()
    thread.join(timeout=3)
    assert not thread.is_alive()
    return time.monotonic() - began


def test_a_new_file_wakes_the_watcher_long_before_the_poll(tmp_path: Path) -> None:
    cfg = config(tmp_path, poll=60)
    counter = Counter()
    thread, stop = start(cfg, counter)
    assert counter.wait_for(1)  # the sweep at start
    time.sleep(0.2)  # let the observer settle in
    (tmp_path / "inbox" / "new.eml").write_bytes(b"From: a@example.gov.uk\r\n\r\nhi\r\n")
    assert counter.wait_for(2)
    assert stop_and_join(thread, stop) < 1.5


def test_a_burst_of_events_gives_one_sweep(tmp_path: Path) -> None:
    cfg = config(tmp_path, poll=60)
    counter = Counter()
    thread, stop = start(cfg, counter)
    assert counter.wait_for(1)
    time.sleep(0.2)
    path = tmp_path / "inbox" / "big.eml"
    with open(path, "wb") as fh:
        for _ in range(10):
            fh.write(b"x" * 1000)
            fh.flush()
            time.sleep(0.01)
    assert counter.wait_for(2)
    time.sleep(0.4)
    assert counter.calls == 2
    stop_and_join(thread, stop)


def test_polls_when_no_events_come_and_keeps_going_after_a_failed_sweep(tmp_path: Path) -> None:
    class Broken(BaseObserver):
        def __init__(self) -> None:
            super().__init__(emitter_class=object)  # type: ignore[arg-type]

        def schedule(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            raise OSError(28, "inotify watch limit reached")

    counter = Counter(fail=True)
    thread, stop = start(config(tmp_path, poll=0.1), counter, observer_factory=Broken)
    assert counter.wait_for(4, timeout=3)
    stop_and_join(thread, stop)
