"""Reading attachments in a separate process with memory and time limits.

A parser fed a hostile file can hang or swallow memory (a 2 MB .docx has been seen to take
4 GB; neither python-docx nor pdfminer caps what it decompresses).  So the service reads each
attachment in a long-lived worker process whose address space is capped (``RLIMIT_AS``) and
whose every job has a deadline; a worker that overruns is killed and replaced, and the file is
flagged ``unreadable_attachment`` with the reason.  The service itself never runs the parsers.

The same worker reads Outlook items (``outlook``: a ``.msg`` attached to a mail is opened
before the mail is judged, see ``mailbox/message.py``), so no hostile file is parsed in the
service's own process.

Hand-written over ``multiprocessing`` because ``concurrent.futures.ProcessPoolExecutor`` cannot
kill one hung worker without breaking the whole pool.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
from datetime import date
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from ..config import Limits
from ..profiles import FormSpec, Profile
from ..errors import DocumentError, NotARequestForm, UnreadableAttachment, UnsafeAttachment
from ..logs import safe_fields
from ..models import Request

if TYPE_CHECKING:
    from .outlook import OutlookItem

log = logging.getLogger("carepanel.parsers.sandbox")
ERRORS: dict[str, type[DocumentError]] = {
    "UnreadableAttachment": UnreadableAttachment, "UnsafeAttachment": UnsafeAttachment,
    "NotARequestForm": NotARequestForm, "DocumentError": DocumentError,
}


def _worker(conn: Connection, memory_bytes: int) -> None:
    """The child: cap the address space, then read whatever it is sent until told to stop."""
    import resource

    import importlib

    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        target, filename, data, kwargs = job
        module, _, name = target.partition(":")
        try:
            read = getattr(importlib.import_module(module), name)
            conn.send(("ok", read(filename, data, **kwargs)))
        except DocumentError as exc:
            conn.send(("error", type(exc).__name__, exc.detail, exc.code))
        except MemoryError:
            conn.send(("error", "UnreadableAttachment", "reading the file needed more memory than is allowed", None))
        except Exception as exc:  # noqa: BLE001 - reported to the parent as an unreadable file
            conn.send(("error", "UnreadableAttachment", f"the file could not be read ({type(exc).__name__})", None))


class SandboxedReader:
    """``read_request`` run in a worker process; thread-safe (one job at a time per reader)."""

    def __init__(self, memory_mb: int = 1536, timeout_seconds: float = 60.0,
                 target: str = "carepanel.parsers:read_request") -> None:
        self.target = target  # "module:function"; the tests point it at a misbehaving stand-in
        self.memory_bytes = memory_mb * 1024 * 1024
        self.timeout = timeout_seconds
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def _start(self) -> Connection:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_worker, args=(child, self.memory_bytes), name="carepanel-reader", daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent
        return parent

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.send(None)
                except OSError:
                    pass
            if self._proc is not None:
                self._proc.join(timeout=5)
            self._kill()

    def __call__(self, filename: str, data: bytes, *, profile: Profile, forms: tuple[FormSpec, ...], limits: Limits,
                 today: date) -> Request:
        kwargs = {"profile": profile, "forms": forms, "limits": limits, "today": today}
        return self.run(self.target, filename, data, kwargs)  # type: ignore[no-any-return]

    def outlook(self, filename: str, data: bytes, *, limits: Limits) -> OutlookItem:
        """``parsers.outlook.read_outlook`` in the worker: the item's text and files."""
        return self.run("carepanel.parsers.outlook:read_outlook", filename, data, {"limits": limits})  # type: ignore[no-any-return]

    def run(self, target: str, filename: str, data: bytes, kwargs: dict[str, Any]) -> Any:
        """``target`` ("module:function") called on the file in the worker, within the limits."""
        with self._lock:
            alive = self._conn is not None and self._proc is not None and self._proc.is_alive()
            conn = self._conn if alive and self._conn is not None else self._start()
            try:
                conn.send((target, filename, data, kwargs))
                if not conn.poll(self.timeout):
                    self._kill()
                    log.warning("reader timed out", extra=safe_fields(event="reader_killed", seconds=self.timeout))
                    raise UnreadableAttachment(f"reading the file took longer than {self.timeout:g} seconds")
                answer = conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._kill()
                log.warning("reader died", extra=safe_fields(event="reader_died", error_type=type(exc).__name__))
                raise UnreadableAttachment("reading the file crashed the reader (too much memory, or a damaged file)") from exc
        if answer[0] == "ok":
            return answer[1]
        _, kind, detail, code = answer
        error = ERRORS.get(kind, UnreadableAttachment)(detail)
        if code:
            error.code = code
        raise error

    def __enter__(self) -> SandboxedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
