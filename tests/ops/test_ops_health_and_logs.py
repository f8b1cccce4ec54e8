"""Logs with no personal data, and the status / health figures an on-call person reads."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from carepanel import datadir
from carepanel.jobs import health
from carepanel.cli import main
from carepanel.clock import fixed_clock
from carepanel.config import load_config
from carepanel.demo.samples import CASES
from carepanel.service import open_service

sys.path.insert(0, str(Path(__file__).parent))
from opsdata import corpus, date_forms, request_email, write_project


def cli(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_no_childs_name_or_date_of_birth_reaches_the_logs(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    forms = corpus(24)
    for n, (_, name, form) in enumerate(forms):
        eml = tmp_path / f"m{n}.eml"
        eml.write_bytes(request_email(n, name, form))
        code, out = cli(config, "ingest", str(eml), "--json")
        assert code == 0, out
    subs = json.loads(cli(config, "submissions", "--json")[1])
    read = {c["name"] for s in subs for c in (s["request"] or {}).get("children", [])}
    assert read >= {c.name for c, _, _ in forms}  # every child's name was read, so it was there to leak
    cli(config, "health", "--json")
    cli(config, "status", "--json")
    cli(config, "export-child", forms[0][0].child_id, "--out", str(tmp_path / "x.zip"))

    logs = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "data" / "logs").rglob("*") if p.is_file())
    assert logs.count("submission_stored") == 24  # the logs were written, and are about these messages
    people = [c for c, _, _ in forms] + [c for case in CASES.values() for c in case.children]
    for child in people:
        for text in (child.name, child.name.split()[-1], child.child_id):
            if text:
                assert text not in logs, text
        for written in date_forms(child.dob):
            assert written not in logs, written
    for case in CASES.values():
        for member in case.family:
            assert member.name not in logs


def test_status_counts_queue_and_next_papers_out(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    cfg = load_config(config)
    (_, name, form), = corpus(1)
    with open_service(cfg) as service:
        service.ingest_bytes(request_email(0, name, form), source="test")
    # the acknowledgement went out at once; queue is empty, the inbox is not there yet (no service ran)
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    data = health.status(cfg, fixed_clock(now))
    assert data["queue"]["depth"] == 0
    assert data["mailbox"]["reachable"] is False and not data["healthy"]
    assert data["next_papers_out"]["papers_out"] > now.isoformat()
    assert data["last_message_at"] is not None and data["submissions"]

    (tmp_path / "data" / "inbox").mkdir()
    code, _ = health.healthz(cfg, fixed_clock(now))
    assert code == 200
    # an outbox that cannot be written: the email stays queued, and an hour later is overdue
    (tmp_path / "data" / "outbox").mkdir(exist_ok=True)
    (tmp_path / "data" / "outbox").chmod(0o500)
    try:
        with open_service(cfg) as service:
            service.ingest_bytes(request_email(1, name, form), source="test")
    finally:
        (tmp_path / "data" / "outbox").chmod(0o700)

    if os.geteuid() != 0:  # root writes anyway; the failing-outbox fault test covers it
        data = health.status(cfg, fixed_clock(datetime(2026, 12, 31, tzinfo=UTC)))
        assert data["queue"]["outgoing_pending"] == 1 and data["overdue"]["outgoing"] == 1
    code, out = cli(config, "health")
    assert "queue depth" in out and "next papers out" in out


def test_a_stale_heartbeat_from_a_live_service_is_a_problem(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    cfg = load_config(config)
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    then = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    lock = datadir.acquire(cfg.data_dir)  # this process is "the service": it holds the lock, as run does
    try:
        health.note_sweep(cfg, mailbox_ok=True, clock=fixed_clock(then))
        now = health.status(cfg, fixed_clock(then))
        assert now["healthy"] and now["service"]["running"] and now["service"]["pid"] == os.getpid()
        late = health.status(cfg, fixed_clock(datetime(2026, 11, 18, 12, 10, tzinfo=UTC)))
        assert not late["healthy"] and late["service"]["stale"]
        code, out = cli(config, "health", "--json")
        assert code == 2 and json.loads(out)["healthy"] is False
    finally:
        lock.release()


def test_a_heartbeat_whose_pid_lives_on_in_another_process_is_not_a_running_service(tmp_path: Path) -> None:
    """The service died; its pid now belongs to some other process (here: this one).  Only the
    lock on the data directory says a service runs, so health neither claims one nor calls it stale."""
    config = write_project(tmp_path)
    cfg = load_config(config)
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    then = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    health.note_sweep(cfg, mailbox_ok=True, clock=fixed_clock(then))  # heartbeat with a live pid, no lock
    data = health.status(cfg, fixed_clock(datetime(2026, 11, 18, 12, 10, tzinfo=UTC)))
    assert data["service"]["running"] is False and data["service"]["pid"] is None
    assert not data["service"]["stale"] and data["service"]["last_sweep_at"] == then.isoformat()
    assert "running (pid" not in health.status_text(data)
