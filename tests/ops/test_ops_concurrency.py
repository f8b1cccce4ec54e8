"""Everyday use, all at once: the service with its web app, a browser polling /healthz and the
dashboard, an administrator running CLI commands that open the database from other processes,
300 messages arriving, and the service killed with SIGKILL again and again.  At the end every
message is exactly one submission, acknowledged exactly once, and ``verify`` is ok.

On the code before issue 13 this lost submissions: a web request's ``os.close(os.open(db))``
dropped the service's SQLite locks, and the next CLI command to close the database deleted the
WAL the service was still writing to."""

from __future__ import annotations

import email
import http.client
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from carepanel.config import load_config
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.store import Store
from carepanel.web.auth import hash_password
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for

pytestmark = pytest.mark.slow
MESSAGES = 300
KILLS = 10
ADMIN, PASSWORD = "pat.admin@example.gov.uk", "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, port: int) -> subprocess.Popen[bytes]:
    with open(folder / "service-stderr.txt", "ab") as err:
        return subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(folder / "config.toml"), "run",
                                 "--host", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def up(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the service answers on its port, so that each kill lands in the middle of work."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                resp.read()
            return
        except urllib.error.HTTPError:
            return  # 503 is an answer too
        except (urllib.error.URLError, http.client.HTTPException, OSError):
            time.sleep(0.2)


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "carepanel.cli", "--config", str(folder / "config.toml"), *args],
                          capture_output=True, text=True, timeout=120)


class Browser(threading.Thread):
    """Polls /healthz and, signed in, the dashboard, across the service's restarts."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.stop, self.pages = f"http://127.0.0.1:{port}", stop, 0
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as resp:
            return resp.read().decode("utf-8", "replace")

    def sign_in(self) -> None:
        token = re.search(r'name="csrf" value="([^"]+)"', self.get("/login"))
        assert token
        data = urllib.parse.urlencode({"email": ADMIN, "password": PASSWORD, "csrf": token.group(1)}).encode()
        self.opener.open(self.base + "/login", data=data, timeout=10).read()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                try:
                    self.get("/healthz")
                except urllib.error.HTTPError as exc:  # 503 while something is overdue: still a page
                    exc.read()
                if "Sign in" in self.get("/"):
                    self.sign_in()
                self.pages += 2
            except (urllib.error.URLError, http.client.HTTPException, OSError, AssertionError):
                time.sleep(0.2)  # the service is down between a kill and its restart


class Administrator(threading.Thread):
    """Runs the CLI commands that open the store, one after another, from other processes."""

    def __init__(self, folder: Path, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.folder, self.stop, self.runs, self.errors = folder, stop, 0, []  # type: ignore[var-annotated]
        self.commands = [["submissions", "--json"], ["health", "--json"], ["agenda", "show", "--panel-date", "2026-12-02"],
                         ["backup", str(folder / "backup.tar")], ["verify", "--json"]]

    def run(self) -> None:
        while not self.stop.is_set():
            for args in self.commands:
                proc = cli(self.folder, *args)
                self.runs += 1
                if "Traceback" in proc.stderr + proc.stdout:
                    self.errors.append((args, proc.stderr[-500:]))


def test_web_cli_and_sigkill_together_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    config_for(tmp_path)
    text = (tmp_path / "config.toml").read_text().replace("poll_seconds = 2", "poll_seconds = 0.2\nsettle_seconds = 0.05")
    (tmp_path / "config.toml").write_text(text + "[pack]\nsend_automatically = false\n")
    cfg = load_config(tmp_path / "config.toml")
    with Store(cfg.db_path) as store:
        store.upsert_user(ADMIN, "Pat Admin", "administrator", hash_password(PASSWORD), actor="test")
    inbox = cfg.mailbox.path
    inbox.mkdir(parents=True, exist_ok=True)
    messages: dict[str, bytes] = {}
    for n in range(MESSAGES):
        child = replace(GOOD.children[0], name=f"Child Number{n}", child_id=f"LCS8{n:05d}")
        messages[f"<busy-{n}@example.gov.uk>"] = compose_email(
            SW, SW_ADDR, f"CRP request {n}", "Attached.", NOW - timedelta(hours=1),
            [("CRP request form.docx", north_somerset_form(replace(GOOD, children=(child,))))],
            f"<busy-{n}@example.gov.uk>")

    port = free_port()
    stop = threading.Event()
    browser, admin = Browser(port, stop), Administrator(tmp_path, stop)
    browser.start()
    admin.start()
    rng = random.Random(20261206)
    queue = list(messages.items())
    kills = 0
    deadline = time.monotonic() + 1500
    try:
        while (queue or kills < KILLS) and time.monotonic() < deadline:
            proc = start(tmp_path, port)
            up(port, proc)
            for _ in range(rng.randint(10, 40)):  # mail keeps arriving while it runs
                if queue:
                    n, (mid, raw) = len(messages) - len(queue), queue.pop(0)
                    (inbox / f".{n:03d}.tmp").write_bytes(raw)
                    os.replace(inbox / f".{n:03d}.tmp", inbox / f"{n:03d}.eml")
            time.sleep(rng.uniform(2.0, 5.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        proc = start(tmp_path, port)  # then once more to the end, stopped politely
        while any(inbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.3)
        time.sleep(2.0)  # let it send what the last sweep queued
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        stop.set()
    browser.join(timeout=30)
    admin.join(timeout=180)
    stderr = (tmp_path / "service-stderr.txt").read_text()
    assert proc.returncode == 0, stderr[-3000:]
    assert kills >= KILLS
    assert browser.pages > 20 and admin.runs >= 10, (browser.pages, admin.runs)
    assert admin.errors == []
    assert not any(inbox.glob("*.eml"))

    with Store(cfg.db_path) as store:
        subs = store.submissions()
        assert store.failed_messages() == []
    stored = sorted(s.message_id for s in subs)
    missing = sorted(set(messages) - set(stored))
    assert not missing, f"{len(missing)} acknowledged-or-not messages missing from the database"
    assert stored == sorted(messages), "each message exactly one submission"

    answered = [str(email.message_from_bytes(p.read_bytes(), policy=policy.default)["In-Reply-To"])
                for p in cfg.outbox.path.glob("*.eml")]
    answered = [a for a in answered if a in messages]
    assert sorted(answered) == sorted(messages), "each sender answered exactly once"

    result = cli(tmp_path, "verify", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"ok": True, "problems": [], "counts": json.loads(result.stdout)["counts"]}
