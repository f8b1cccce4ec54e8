"""The staff directory as it is now, for a long-running process (the web app).

A leaver must lose access when the council takes them out of the CSV, not when the service is
next restarted.  ``LiveDirectory.current()`` re-reads the directory whenever the CSV (or the
Exchange address-book copy) changes size or modification time, and in any case at least every
``max_age`` seconds, so an edit that keeps both (a copy with ``cp -p``) still lands within a
minute.  A CSV caught half-written does not parse; the last good copy is kept and the failure
logged, and the next change is read again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .config import Config
from .directory import EXCHANGE_CACHE, Directory, directory_for
from .errors import ConfigError
from .logs import safe_fields

log = logging.getLogger("carepanel.directory")

Stamp = tuple[tuple[int, int] | None, ...]


def _stat(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class LiveDirectory:
    """The directory ``directory_for(cfg)`` reads, kept current as its files change."""

    def __init__(self, cfg: Config, *, max_age: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.max_age, self._monotonic = cfg, max_age, monotonic
        self._files = (cfg.directory_csv, cfg.data_dir / EXCHANGE_CACHE if cfg.directory_exchange_groups else None)
        self._lock = threading.Lock()
        self._stamp: Stamp = self._stamps()
        self._read_at = self._monotonic()
        self._directory = directory_for(cfg)  # a broken directory at start-up is a start-up error

    def _stamps(self) -> Stamp:
        return tuple(_stat(f) for f in self._files)

    def current(self) -> Directory:
        with self._lock:
            stamp = self._stamps()
            if stamp != self._stamp or self._monotonic() - self._read_at >= self.max_age:
                self._reload(stamp)
            return self._directory

    def _reload(self, stamp: Stamp) -> None:
        try:
            directory = directory_for(self.cfg)
        except ConfigError:  # the detail may quote a row (a person's address): not logged
            log.warning("staff directory not re-read; the last good copy stays in use",
                        extra=safe_fields(event="directory_reload_failed", error_type="ConfigError"))
            return  # stamp left as it was: the next request tries again
        if directory.members != self._directory.members:
            log.info("staff directory re-read", extra=safe_fields(event="directory_reloaded", count=len(directory.members)))
        self._directory, self._stamp, self._read_at = directory, stamp, self._monotonic()
