"""Drives the real service process (``carepanel run --no-web``) for the fault and load runs."""

from __future__ import annotations

import collections
import email
import email.policy
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcess:
    """One ``carepanel run --no-web`` child process, started and stopped by the test."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "carepanel.cli", "--config", str(self.config), "run", "--no-web"],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.config.parent)
        self.starts += 1

    def wait_started(self, timeout: float = 60) -> None:
        """Until this process has swept the inbox once (its pid in the heartbeat)."""
        beat = self.config.parent / "data" / "run" / "heartbeat.json"

        def swept() -> bool:
            try:
                return self.proc is not None and json.loads(beat.read_text())["pid"] == self.proc.pid
            except (OSError, ValueError, KeyError):
                return False

        wait_for(swept, timeout, "the service's first sweep", self)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def rss_kb(self) -> int:
        """Resident memory of the service now (Linux /proc), in KiB."""
        if self.proc is None:
            return 0
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return 0
        return 0

    def peak_rss_kb(self) -> int:
        if self.proc is None:
            return 0
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            return 0
        return 0


def drop(inbox: Path, name: str, data: bytes) -> None:
    """Deliver like a mail server: write a hidden temp name, then rename into place."""
    inbox.mkdir(parents=True, exist_ok=True)
    tmp = inbox / f".{name}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, inbox / name)


def counts(db: Path) -> dict[str, int]:
    """Ledger and outbox figures, read without disturbing the service (0 where no database yet)."""
    if not db.exists():
        return collections.defaultdict(int)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        out: dict[str, int] = collections.defaultdict(int)
        try:
            for status, n in conn.execute("SELECT status, count(*) FROM messages GROUP BY status"):
                out[f"messages_{status}"] = n
            for status, n in conn.execute("SELECT status, count(*) FROM outgoing GROUP BY status"):
                out[f"outgoing_{status}"] = n
            out["submissions"] = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        except sqlite3.OperationalError:
            pass  # schema not there yet
        return out
    finally:
        conn.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str, service: ServiceProcess | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        if service is not None and not service.alive():
            raise AssertionError(f"the service died while waiting for {what}; see {service.log}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def inbox_files(inbox: Path) -> list[Path]:
    return [p for p in inbox.glob("*.eml")] if inbox.is_dir() else []


def archive_problems(archive: Path, originals: dict[str, bytes]) -> list[str]:
    """Every original must be in the archive under its sha256, and still hash to it."""
    problems = []
    for name, data in originals.items():
        sha = hashlib.sha256(data).hexdigest()
        path = archive / sha[:2] / sha[2:4] / f"{sha}.eml"
        if not path.is_file():
            problems.append(f"{name}: not archived")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            problems.append(f"{name}: archived copy altered")
    return problems


def replies(outbox: Path) -> collections.Counter[str]:
    """How many emails in the outbox answer each original Message-ID."""
    seen: collections.Counter[str] = collections.Counter()
    for path in outbox.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        seen[str(msg.get("In-Reply-To", "")).strip()] += 1
    return seen
