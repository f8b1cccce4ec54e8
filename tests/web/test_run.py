"""`carepanel run` as the contract says: the web app on --host/--port beside the mailbox watcher,
sign-in at /login, every other page redirected there, a clean stop on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import socket
from pathlib import Path

import pytest

from test_intake_e2e import config_for

pytestmark = pytest.mark.slow


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_the_web_app_and_stops_cleanly(tmp_path: Path) -> None:
    config_for(tmp_path)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(tmp_path / "config.toml"), "run",
                             "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as resp:
                    assert resp.status == 200 and b"Sign in" in resp.read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(f"http://127.0.0.1:{port}/queue", timeout=5)
        assert caught.value.code == 303 and caught.value.headers["location"] == "/login"
        (tmp_path / "data" / "inbox").mkdir(parents=True, exist_ok=True)  # the watcher runs beside it
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"web app on http://127.0.0.1" in out and b"stopped" in out
