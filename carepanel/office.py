"""The long-lived LibreOffice converter: Word files to PDF, and old formats to ``.docx``.

Parsers use it to read ``.doc``/``.odt`` forms as ``.docx``; outputs use it to turn forms,
attachments and decisions into PDF for the pack.  Callers hand over bytes and a suffix (the
file's *true* type, from ``parsers/vet.py``) and get bytes back; quarantined files never
reach this module.

How it works, and why this way
------------------------------
Starting ``soffice --convert-to`` once per file costs a LibreOffice start-up per file and
cannot run two at once on one profile, so each worker keeps one LibreOffice running and is
driven over UNO::

    Converter                         (this process: the project's venv)
     └── worker i                     one process group, killed as a whole
          ├── soffice                 -env:UserInstallation=file://WORK/worker-i/profile,
          │                           --accept=pipe,name=... (a Unix socket only its owner can
          │                           connect to; no TCP port)
          └── bridge                  the system Python with python3-uno, running _BRIDGE:
                                      one JSON line per job on stdin, one answer on stdout

The venv's Python (pyenv 3.11) cannot import ``uno``: the module comes with LibreOffice and
is built for the system interpreter.  The choices considered:

* **unoserver** (PyPI) also needs a Python with ``uno``, and Debian 12 does not package it,
  so it would need ``pip install --break-system-packages`` or a second virtualenv built on
  the system Python, with its own upgrades.  Its server listens on TCP (XML-RPC and UNO
  ports, 2003/2002 by default) and converts any path it is given, so any local user could
  ask it for files our service user can read; its loads pass no ``Hidden``, macro or
  link-update mode; and its conversion timeout ends the server, so something must still
  supervise and restart it per worker.
* **A small bridge of our own** (chosen) needs only Debian's ``python3-uno`` (same release
  as ``libreoffice-writer-nogui``, installed by ``scripts/setup.sh``), talks to soffice over
  a private pipe, sets the load options we want on every document (hidden, read-only,
  macros never executed, links never updated, import filter forced from the suffix), and
  leaves timeouts, restarts and shutdown to this module, which owns every process it starts.

Safety: each worker's profile is created afresh, seeded with ``registrymodifications.xcu``
(macro security "very high" and macro execution disabled, untrusted referer links blocked,
no auto-recovery or recent-documents list, and an unreachable HTTP/HTTPS/FTP proxy so a
document's remote images or links cannot be fetched), and every load says
``MacroExecutionMode=NEVER_EXECUTE`` and ``UpdateDocMode=NO_UPDATE``.

Failure: a conversion that does not answer within ``timeout`` seconds has its worker's
process group killed and the worker restarted, and fails with :class:`OfficeError`.  A
worker whose LibreOffice died is restarted and the job tried once more.  If our process
dies, the bridge sees its stdin close and kills its group, so no soffice is left behind.

Errors::

    CarepanelError
    ├── DocumentError
    │   └── OfficeError          this file could not be converted (corrupt, hung, crashed
    │                            LibreOffice twice, not a text document); ``detail`` says why
    └── OfficeUnavailable        LibreOffice or python3-uno is missing or will not start, or
                                 the converter is closed: not the document's fault
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import queue
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import CarepanelError, ConfigError, DocumentError
from .logs import safe_fields
from .office_comments import without_comments

log = logging.getLogger(__name__)

# Import filter per suffix: forcing it means a file is read as what the caller says it is,
# never sniffed into, say, the HTML filter (which would fetch remote images).
IMPORT_FILTERS = {
    ".docx": "MS Word 2007 XML",
    ".doc": "MS Word 97",
    ".odt": "writer8",
    ".rtf": "Rich Text Format",
}
EXPORT_FILTERS = {"pdf": "writer_pdf_Export", "pdfa": "writer_pdf_Export", "docx": "MS Word 2007 XML", "doc": "MS Word 97",
                  "odt": "writer8", "rtf": "Rich Text Format"}
# Form fields drawn as their values rather than exported as live PDF widgets, which merge
# badly into a pack and can be edited by whoever receives it.
EXPORT_OPTIONS: dict[str, dict[str, Any]] = {"pdf": {"ExportFormFields": False}, "docx": {}, "doc": {}, "odt": {}, "rtf": {},
                                             # records kept for decades: PDF/A-2b (SelectPdfVersion 2), tagged for
                                             # screen readers, every font embedded
                                             "pdfa": {"ExportFormFields": False, "SelectPdfVersion": 2, "UseTaggedPDF": True,
                                                      "EmbedStandardFonts": True}}
START_SECONDS = 45.0  # LibreOffice start-up, separate from the per-conversion timeout
STOP_SECONDS = 3.0  # a graceful stop before the process group is killed
RECYCLE_AFTER = 200  # conversions before a worker's LibreOffice is replaced, so leaks cannot pile up


class OfficeError(DocumentError):
    """This file could not be converted; ``detail`` says why (flagged unreadable_attachment).

    ``transient`` (``DocumentError``'s) is set when LibreOffice itself hung or died on the file:
    the next try may well succeed, so a caller that can wait (the scheduled papers-out, the
    intake's first tries) tries again before it blames the file.
    """

    code = "unreadable_attachment"

    def __init__(self, detail: str, *, transient: bool = False) -> None:
        super().__init__(detail)
        self.transient = transient


class OfficeUnavailable(CarepanelError):
    """LibreOffice cannot be used at all here; retry later rather than blame the document."""

    code = "office_unavailable"


@dataclass(frozen=True)
class ConversionFailure:
    """One file of a batch that could not be converted; the rest of the batch carries on."""

    reason: str
    error: OfficeError


class _Lost(Exception):
    """The worker's LibreOffice or bridge went away mid-job (crash, kill)."""


class _Hung(Exception):
    """The worker did not answer in time."""


# --------------------------------------------------------------------------- finding things


def soffice_available() -> bool:
    """True when a LibreOffice ``soffice`` binary is installed."""
    return _find_soffice() is not None


@functools.cache
def _find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if os.access(path, os.X_OK):
            return path
    return None


@functools.cache
def _find_uno_python() -> str | None:
    """A Python that can ``import uno``: Debian's (python3-uno), or one bundled with LibreOffice."""
    candidates = ["/usr/bin/python3"]
    soffice = _find_soffice()
    if soffice:
        candidates.append(str(Path(os.path.realpath(soffice)).with_name("python")))
    for python in candidates:
        if not os.access(python, os.X_OK):
            continue
        try:
            done = subprocess.run([python, "-I", "-c", "import uno"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return python
    return None


def _normal_suffix(suffix: str) -> str:
    s = suffix.lower() if suffix.startswith(".") else "." + suffix.lower()
    if s not in IMPORT_FILTERS:
        raise OfficeError(f"cannot convert a {s} file: only {', '.join(IMPORT_FILTERS)} are supported")
    return s


# --------------------------------------------------------------------------- the profile

_XCU_ITEMS = (
    ("org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("org.openoffice.Office.Common/History", "PickListSize", "0"),
    ("org.openoffice.Office.Common/History", "RecentDocsThumbnail", "false"),
    ("org.openoffice.Office.Recovery/AutoSave", "Enabled", "false"),
    ("org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
    ("org.openoffice.Office.Common/Misc", "UseLocking", "false"),
    # Manual proxy on the discard port with no exceptions: nothing remote can be fetched.
    ("org.openoffice.Inet/Settings", "ooInetProxyType", "1"),
    ("org.openoffice.Inet/Settings", "ooInetNoProxy", ""),
    ("org.openoffice.Inet/Settings", "ooInetHTTPProxyName", "127.0.0.1"),
    ("org.openoffice.Inet/Settings", "ooInetHTTPProxyPort", "9"),
    ("org.openoffice.Inet/Settings", "ooInetHTTPSProxyName", "127.0.0.1"),
    ("org.openoffice.Inet/Settings", "ooInetHTTPSProxyPort", "9"),
    ("org.openoffice.Inet/Settings", "ooInetFTPProxyName", "127.0.0.1"),
    ("org.openoffice.Inet/Settings", "ooInetFTPProxyPort", "9"),
)


def _seed_profile(profile: Path) -> None:
    """A fresh LibreOffice profile with our safety settings in place before its first start."""
    shutil.rmtree(profile, ignore_errors=True)
    (profile / "user").mkdir(parents=True, mode=0o700)
    items = "\n".join(
        f'<item oor:path="/{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
        for path, name, value in _XCU_ITEMS
    )
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}\n</oor:items>\n",
        encoding="utf-8",
    )


def _soffice_args(profile: Path) -> list[str]:
    return [
        "--headless", "--invisible", "--nocrashreport", "--nodefault", "--nologo",
        "--nofirststartwizard", "--norestore", "--nolockcheck",
        f"-env:UserInstallation={profile.as_uri()}",
    ]


def _ipc_sockets(profile: Path, pipe_name: str | None) -> list[Path]:
    """The Unix sockets soffice leaves in /tmp when it is killed rather than stopped."""
    digest = hashlib.md5(profile.as_uri().encode("utf-16-le"), usedforsecurity=False).digest()
    names = [f"SingleOfficeIPC_{''.join(format(b, 'x') for b in digest)}"]
    if pipe_name:
        names.append(pipe_name)
    return [Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{n}" for n in names]


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- the bridge

# Runs under the system Python (python3-uno), never imported here.  Kept in this module so
# the converter is one file; written to the work directory when a converter starts.
_BRIDGE = r'''
import json, os, signal, sys, time

def main(pipe_name, start_seconds, sockets):
    out = os.fdopen(os.dup(1), "w", buffering=1)  # our channel; stray prints go to stderr
    os.dup2(2, 1)
    say = lambda **kw: out.write(json.dumps(kw) + "\n")
    try:
        import uno
        from com.sun.star.beans import PropertyValue
        from com.sun.star.connection import NoConnectException
        from com.sun.star.lang import DisposedException
    except ImportError as exc:
        say(ready=False, reason=f"python3-uno is missing ({exc})")
        return 2
    props = lambda **kw: tuple(PropertyValue(Name=k, Value=v) for k, v in kw.items())
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + start_seconds
    while True:
        try:
            remote = resolver.resolve(f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                say(ready=False, reason=f"LibreOffice did not accept a connection within {start_seconds:g} s")
                return 2
            time.sleep(0.05)
    desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
    say(ready=True)

    def describe(exc):
        message = " ".join(str(getattr(exc, "Message", "") or "").split())
        for word in message.split():
            if word.strip("<>").startswith("file://"):
                message = message.replace(word, "<file>")
        return f"{type(exc).__name__}: {message[:160]}" if message else type(exc).__name__

    def convert(req):
        try:
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(req["src"]), "_blank", 0,
                props(Hidden=True, ReadOnly=True, MacroExecutionMode=0, UpdateDocMode=0,
                      FilterName=req["import"]))
        except DisposedException:
            raise
        except Exception as exc:
            return dict(ok=False, reason=f"LibreOffice could not open the file ({describe(exc)})")
        if doc is None:
            return dict(ok=False, reason="LibreOffice could not open the file: corrupt, or not the type it claims to be")
        try:
            if not doc.supportsService("com.sun.star.text.TextDocument"):
                return dict(ok=False, reason="not a text document")
            store = props(FilterName=req["export"], Overwrite=True)
            if req.get("options"):  # FilterData must reach UNO typed as a sequence of PropertyValue
                data = uno.Any("[]com.sun.star.beans.PropertyValue", props(**req["options"]))
                store += (PropertyValue("FilterData", 0, data, 0),)
            uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(req["dst"]), store))
            return dict(ok=True)
        except DisposedException:
            raise
        except Exception as exc:
            return dict(ok=False, reason=f"LibreOffice could not write the result ({describe(exc)})")
        finally:
            try:
                doc.close(True)
            except Exception:
                pass

    try:
        for line in sys.stdin:
            req = json.loads(line)
            if req.get("op") == "quit":
                try:
                    desktop.terminate()
                except Exception:
                    pass
                return 0
            try:
                say(**convert(req))
            except DisposedException as exc:
                say(ok=False, lost=True, reason=f"LibreOffice went away ({describe(exc)})")
                return 3
    except (OSError, ValueError):
        pass  # the converter's end of the pipe went while a conversion ran (it was killed)
    # stdin closed without "quit", or the answer could not be written: the converter's process
    # is gone, so take soffice with us, and the sockets it would leave in /tmp.
    for path in sockets:
        try:
            os.unlink(path)
        except OSError:
            pass
    os.killpg(os.getpgrp(), signal.SIGKILL)
    return 0

status = main(sys.argv[1], float(sys.argv[2]), sys.argv[3:])
os._exit(status)  # not sys.exit: tearing pyuno down after terminate() can crash
'''


# --------------------------------------------------------------------------- one worker


class _Worker:
    """One soffice and its bridge, in a process group of their own, with a private profile."""

    def __init__(self, index: int, home: Path, soffice: str, python: str, bridge: Path) -> None:
        self.index = index
        self.home = home
        self.profile = home / "profile"
        self.jobs = home / "jobs"
        self._soffice_bin = soffice
        self._python = python
        self._bridge_path = bridge
        self._lock = threading.Lock()
        self._closed = False
        self._soffice: subprocess.Popen[bytes] | None = None
        self._bridge: subprocess.Popen[bytes] | None = None
        self._pipe_name: str | None = None
        self._ready = False
        self._quitting = False
        self._buffer = b""
        self.starts = 0
        self.jobs_done = 0  # since the last start

    # -- life cycle

    def spawn(self) -> None:
        """Start soffice and the bridge without waiting for them (see ``_ensure_ready``)."""
        with self._lock:
            if self._closed:
                raise OfficeUnavailable("the converter is closed")
            self._kill_locked()
            self._pipe_name = f"carepanel_{os.getpid()}_{self.index}_{os.urandom(6).hex()}"
            accept = f"--accept=pipe,name={self._pipe_name};urp;StarOffice.ComponentContext"
            try:
                _seed_profile(self.profile)
                self.jobs.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._soffice = subprocess.Popen(
                    [self._soffice_bin, *_soffice_args(self.profile), accept],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    process_group=0,
                )
                with open(self.home / "bridge.log", "wb") as errors:
                    self._bridge = subprocess.Popen(
                        [self._python, "-I", str(self._bridge_path), self._pipe_name, str(START_SECONDS),
                         *map(str, _ipc_sockets(self.profile, self._pipe_name))],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, bufsize=0,
                        process_group=self._soffice.pid,
                    )
            except OSError as exc:
                self._kill_locked()
                raise OfficeUnavailable(f"cannot start LibreOffice: {exc.strerror}") from exc
            self._ready = False
            self._quitting = False
            self._buffer = b""
            self.starts += 1
            self.jobs_done = 0
            pid = self._soffice.pid
        log.info("office worker starting", extra=safe_fields(event="office.worker_start", pid=pid, attempt=self.starts))

    def quit(self) -> None:
        """Ask LibreOffice to quit (without waiting); this worker will not start again."""
        with self._lock:
            self._closed = True
            self._quitting = self._ready and self.alive()
            if self._quitting:
                try:
                    self._send({"op": "quit"})
                except _Lost:
                    self._quitting = False

    def reap(self) -> None:
        """Wait briefly for a quit asked for, then kill whatever is left of the process group."""
        with self._lock:
            self._closed = True
            if self._quitting and self._soffice is not None:
                try:
                    self._soffice.wait(timeout=STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            self._kill_locked()

    def _kill_locked(self) -> None:
        if self._soffice is not None:
            _kill_group(self._soffice.pid)  # the bridge and soffice.bin are in this group too
        for proc in (self._bridge, self._soffice):
            if proc is None:
                continue
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for sock in _ipc_sockets(self.profile, self._pipe_name):
            sock.unlink(missing_ok=True)
        self._soffice = self._bridge = None
        self._ready = False

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self._soffice, self._bridge))

    def pids(self) -> list[int]:
        return [p.pid for p in (self._soffice, self._bridge) if p is not None]

    # -- talking to the bridge

    def _ensure_ready(self) -> None:
        if self._closed:
            raise OfficeUnavailable("the converter is closed")
        if not self.alive():
            self.spawn()
        if self._ready:
            return
        try:
            hello = self._receive(time.monotonic() + START_SECONDS + 5)
        except _Hung as exc:
            self._kill()
            raise OfficeUnavailable(f"LibreOffice did not start within {START_SECONDS + 5:g} s") from exc
        except _Lost as exc:
            self._kill()
            raise OfficeUnavailable("LibreOffice stopped while starting") from exc
        if not hello.get("ready"):
            self._kill()
            raise OfficeUnavailable(f"LibreOffice did not start: {hello.get('reason', 'no reason given')}")
        self._ready = True

    def _kill(self) -> None:
        with self._lock:
            self._kill_locked()

    def _send(self, message: dict[str, Any]) -> None:
        if self._bridge is None or self._bridge.stdin is None:
            raise _Lost("the bridge is gone")
        try:
            self._bridge.stdin.write(json.dumps(message).encode() + b"\n")
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise _Lost("the bridge is gone") from exc

    def _receive(self, deadline: float) -> dict[str, Any]:
        if self._bridge is None or self._bridge.stdout is None:
            raise _Lost("the bridge is gone")
        fd = self._bridge.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Hung("no answer in time")
            try:
                poller = select.poll()  # not select.select: a busy service may hold fds above 1024
                poller.register(fd, select.POLLIN)
                chunk = os.read(fd, 65536) if poller.poll(left * 1000) else None
            except (OSError, ValueError) as exc:  # closed under us by close()
                raise _Lost("the bridge's output was closed") from exc
            if chunk is None:
                continue
            if not chunk:
                raise _Lost("the bridge closed its output")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError as exc:
            raise _Lost("the bridge said something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise _Lost("the bridge said something that is not an object")
        return answer

    # -- one job

    def convert(self, data: bytes, suffix: str, target: str, timeout: float) -> bytes:
        """Convert one file; a LibreOffice that died is restarted and the job tried once more."""
        src, dst = self.jobs / f"in{suffix}", self.jobs / f"out.{target}"
        try:
            try:
                return self._attempt(data, src, dst, suffix, target, timeout)
            except _Lost:
                self._restart_after("lost", 1)
            try:
                return self._attempt(data, src, dst, suffix, target, timeout)
            except _Lost as exc:
                self._restart_after("lost", 2)
                raise OfficeError("LibreOffice stopped while converting the file, twice", transient=True) from exc
        except OSError as exc:
            raise OfficeUnavailable(f"cannot use the work directory: {exc.strerror}") from exc
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)

    def _attempt(self, data: bytes, src: Path, dst: Path, suffix: str, target: str, timeout: float) -> bytes:
        self._ensure_ready()
        src.write_bytes(data)
        dst.unlink(missing_ok=True)
        answer = self._ask(src, dst, suffix, target, timeout)
        out = self._result(answer, dst)
        self.jobs_done += 1
        if self.jobs_done >= RECYCLE_AFTER:
            self._restart_after("recycle", 1)
        return out

    def _ask(self, src: Path, dst: Path, suffix: str, target: str, timeout: float) -> dict[str, Any]:
        self._send({"src": str(src), "dst": str(dst), "import": IMPORT_FILTERS[suffix],
                    "export": EXPORT_FILTERS[target], "options": EXPORT_OPTIONS[target]})
        try:
            answer = self._receive(time.monotonic() + timeout)
        except _Hung as exc:
            self._restart_after("timeout", 1)
            raise OfficeError(f"LibreOffice did not finish converting within {timeout:g} s; "
                              "it was stopped and restarted", transient=True) from exc
        if answer.get("lost"):
            raise _Lost(str(answer.get("reason")))
        return answer

    def _result(self, answer: dict[str, Any], dst: Path) -> bytes:
        if not answer.get("ok"):
            raise OfficeError(str(answer.get("reason") or "LibreOffice could not convert the file"))
        try:
            out = dst.read_bytes()
        except FileNotFoundError:
            out = b""
        if not out:
            raise OfficeError("LibreOffice reported success but wrote nothing")
        return out

    def _restart_after(self, why: str, attempt: int) -> None:
        """Kill this worker's group and have a fresh LibreOffice warming up for the next job."""
        log.log(logging.INFO if why == "recycle" else logging.WARNING, "office worker restarted", extra=safe_fields(
            event="office.worker_restart", status=why, attempt=attempt, pid=self._soffice.pid if self._soffice else None))
        self._kill()
        try:
            self.spawn()
        except OfficeUnavailable:
            pass  # closed, or cannot start: the next job says so


# --------------------------------------------------------------------------- the pool


class Converter:
    """A pool of long-lived LibreOffice workers.  Use as a context manager, or call ``close``.

    ``workers`` LibreOffice processes run side by side, each busy on one file at a time;
    ``timeout`` bounds one conversion (start-up aside); ``home`` is this converter's own
    directory, with a profile and job files per worker: a fresh private directory in
    ``work_dir`` (default: the system's temporary directory), removed by ``close``.
    Thread-safe: calls from several threads share the workers.
    """

    def __init__(self, workers: int = 2, timeout: float = 60.0, work_dir: Path | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"office workers: must be at least 1, got {workers}")
        if timeout <= 0:
            raise ConfigError(f"office timeout: must be more than 0 seconds, got {timeout:g}")
        soffice = _find_soffice()
        if soffice is None:
            raise OfficeUnavailable("LibreOffice (soffice) is not installed: run scripts/setup.sh")
        python = _find_uno_python()
        if python is None:
            raise OfficeUnavailable("LibreOffice's Python bridge is missing: run scripts/setup.sh "
                                    "(it installs the Debian package python3-uno)")
        self._timeout = timeout
        try:
            if work_dir is not None:
                work_dir.mkdir(parents=True, exist_ok=True)
            self.home = Path(tempfile.mkdtemp(prefix="carepanel-office-", dir=work_dir))
            bridge = self.home / "bridge.py"
            bridge.write_text(_BRIDGE, encoding="utf-8")
        except OSError as exc:
            raise OfficeUnavailable(f"cannot create the work directory: {exc.strerror}") from exc
        self._workers = [_Worker(i, self.home / f"worker-{i}", soffice, python, bridge) for i in range(workers)]
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._closed = False
        self._finalizer = weakref.finalize(self, _shut_down, self._workers, self.home)
        try:
            for w in self._workers:
                w.spawn()
                self._idle.put(w)
        except OfficeUnavailable:
            self.close()
            raise

    def __enter__(self) -> Converter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- public

    def to_pdf(self, data: bytes, suffix: str) -> bytes:
        """A PDF of one ``.docx``/``.doc``/``.odt``/``.rtf`` file; :class:`OfficeError` says why not."""
        return self._convert(data, suffix, "pdf")

    def to_pdfa(self, data: bytes, suffix: str) -> bytes:
        """A PDF/A-2b (tagged) of one file: for records that are kept for decades."""
        return self._convert(data, suffix, "pdfa")

    def convert(self, data: bytes, suffix: str, target: str) -> bytes:
        """Any supported conversion (``target`` one of pdf, pdfa, docx, doc, odt)."""
        if target not in EXPORT_FILTERS:
            raise OfficeError(f"cannot convert to {target}")
        return self._convert(data, suffix, target)

    def to_docx(self, data: bytes, suffix: str) -> bytes:
        """The file as ``.docx`` (for reading ``.doc``/``.odt`` forms with python-docx)."""
        return self._convert(data, suffix, "docx")

    def to_pdf_many(self, items: Sequence[tuple[bytes, str]]) -> list[bytes | ConversionFailure]:
        """PDFs of many files, converted in parallel, in the order given.

        A file that fails gives a :class:`ConversionFailure` in its place; only
        :class:`OfficeUnavailable` (LibreOffice unusable) stops the batch.
        """
        with ThreadPoolExecutor(max_workers=len(self._workers), thread_name_prefix="office") as pool:
            return list(pool.map(self._pdf_or_failure, items))

    def close(self) -> None:
        """Stop every worker and remove the work directory.  Safe to call twice."""
        self._closed = True
        self._finalizer()

    # -- inside

    def _pdf_or_failure(self, item: tuple[bytes, str]) -> bytes | ConversionFailure:
        try:
            return self.to_pdf(*item)
        except OfficeError as exc:
            return ConversionFailure(exc.detail, exc)

    def _convert(self, data: bytes, suffix: str, target: str) -> bytes:
        kind = _normal_suffix(suffix)
        if not data:
            raise OfficeError("the file is empty")
        sha256 = hashlib.sha256(data).hexdigest()  # of the file as it was sent, for the log
        data = without_comments(data, kind)  # LibreOffice 7.4 dies loading comments over UNO
        worker = self._checkout()
        started = time.monotonic()
        try:
            out = worker.convert(data, kind, target, self._timeout)
        except (OfficeError, OfficeUnavailable) as exc:
            log.warning("office conversion failed", extra=safe_fields(
                event="office.failed", attachment_sha256=sha256, format=kind,
                error_code=exc.code, seconds=round(time.monotonic() - started, 3)))
            raise
        finally:
            self._idle.put(worker)
        log.debug("office conversion done", extra=safe_fields(
            event="office.converted", format=f"{kind}->{target}", size=len(data),
            seconds=round(time.monotonic() - started, 3)))
        return out

    def _checkout(self) -> _Worker:
        while not self._closed:
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue
        raise OfficeUnavailable("the converter is closed")


def _shut_down(workers: list[_Worker], home: Path) -> None:
    for w in workers:
        w.quit()
    for w in workers:
        w.reap()
    shutil.rmtree(home, ignore_errors=True)


# --------------------------------------------------------------------------- the baseline


def naive_to_pdf(data: bytes, suffix: str, *, timeout: float = 120.0) -> bytes:
    """One ``soffice --convert-to pdf`` process per file, on a fresh profile (benchmark baseline)."""
    kind = _normal_suffix(suffix)
    with tempfile.TemporaryDirectory(prefix="carepanel-naive-") as tmp:
        profile = Path(tmp) / "profile"
        _seed_profile(profile)
        return _soffice_convert(data, kind, Path(tmp), profile, timeout)


def _soffice_convert(data: bytes, kind: str, tmp: Path, profile: Path, timeout: float) -> bytes:
    soffice = _find_soffice()
    if soffice is None:
        raise OfficeUnavailable("LibreOffice (soffice) is not installed: run scripts/setup.sh")
    src, outdir = tmp / f"in{kind}", tmp / "out"
    outdir.mkdir(exist_ok=True)
    src.write_bytes(data)
    cmd = [soffice, *_soffice_args(profile), f"--infilter={IMPORT_FILTERS[kind]}",
           "--convert-to", "pdf", "--outdir", str(outdir), str(src)]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, process_group=0)
    except OSError as exc:
        raise OfficeUnavailable(f"cannot start LibreOffice: {exc.strerror}") from exc
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc.pid)
        proc.wait()
        raise OfficeError(f"LibreOffice did not finish converting within {timeout:g} s") from exc
    finally:
        for sock in _ipc_sockets(profile, None):
            sock.unlink(missing_ok=True)
    out = outdir / "in.pdf"
    if not out.is_file() or out.stat().st_size == 0:
        raise OfficeError(f"LibreOffice could not convert the file (exit status {proc.returncode})")
    return out.read_bytes()


class LazyConverter:
    """A converter started on first use: the service reads a .doc a month, and need not keep
    LibreOffice running for it.  Thread-safe; ``close`` stops it if it was started."""

    def __init__(self, workers: int = 1, timeout: float = 60.0) -> None:
        self._workers, self._timeout = workers, timeout
        self._conv: Converter | None = None
        self._lock = threading.Lock()

    def get(self) -> Converter:
        with self._lock:
            if self._conv is None:
                self._conv = Converter(workers=self._workers, timeout=self._timeout)
            return self._conv

    def to_docx(self, data: bytes, suffix: str) -> bytes:
        return self.get().to_docx(data, suffix)

    def close(self) -> None:
        with self._lock:
            if self._conv is not None:
                self._conv.close()
                self._conv = None
