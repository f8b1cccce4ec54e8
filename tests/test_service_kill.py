"""The real service process, killed with SIGKILL while it ingests, then started again:
nothing is lost, nothing is processed twice, every sender is answered exactly once."""

from __future__ import annotations

import email
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from carepanel.config import load_config
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.store import Store
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers

pytestmark = pytest.mark.slow
MESSAGES = 40


def start(folder: Path) -> subprocess.Popen[bytes]:
    with open(folder / "service-stderr.txt", "ab") as err:
        return subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(folder / "config.toml"), "run", "--no-web"],
                                stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_sigkill_while_ingesting_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    text = (tmp_path / "config.toml").read_text().replace("poll_seconds = 2", "poll_seconds = 0.2\nsettle_seconds = 0.05")
    text += "[pack]\nsend_automatically = false\n"  # the real clock must not send a pack mid-test
    (tmp_path / "config.toml").write_text(text)
    cfg = load_config(tmp_path / "config.toml")
    inbox = cfg.mailbox.path
    inbox.mkdir(parents=True, exist_ok=True)
    sent: dict[str, str] = {}
    for n in range(MESSAGES):
        child = replace(GOOD.children[0], name=f"Child Number{n}", child_id=f"LCS9{n:05d}")
        raw = compose_email(SW, SW_ADDR, f"CRP request {n}", "Attached.", NOW - timedelta(hours=1),
                            [("CRP request form.docx", north_somerset_form(replace(GOOD, children=(child,))))] + papers(),
                            f"<kill-{n}@example.gov.uk>")
        (inbox / f"{n:03d}.eml").write_bytes(raw)
        sent[f"<kill-{n}@example.gov.uk>"] = hashlib.sha256(raw).hexdigest()

    rng = random.Random(20261123)
    kills = 0
    left: list[int] = []
    deadline = time.monotonic() + 240
    while any(inbox.glob("*.eml")) and time.monotonic() < deadline:
        proc = start(tmp_path)
        time.sleep(rng.uniform(0.3, 2.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        left.append(len(list(inbox.glob("*.eml"))))
    # Then once more to the end, stopped politely.
    proc = start(tmp_path)
    while any(inbox.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # let it send what the last sweep queued
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode == 0, (tmp_path / "service-stderr.txt").read_text()[-2000:]
    assert kills >= 3
    assert any(0 < n < MESSAGES for n in left), f"no kill landed mid-way: {left}"

    store = Store(cfg.db_path)
    subs = store.submissions()
    assert sorted(s.message_id for s in subs) == sorted(sent)
    archive = cfg.archive_dir
    for message_id, sha in sent.items():
        stored = [p for p in archive.rglob(sha + "*") if p.is_file()]
        assert stored, f"original of {message_id} not archived"
        assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == sha
    assert not any(inbox.glob("*.eml"))
    assert store.failed_messages() == []

    answered = []
    for path in cfg.outbox.path.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        answered.append(str(msg["In-Reply-To"]))
    assert sorted(answered) == sorted(sent), "each sender answered exactly once"
    for sub in subs:
        assert [o.status for o in store.outgoing_for(sub.id)] == ["sent"]
    store.close()
