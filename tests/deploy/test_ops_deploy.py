"""Deployment: the systemd unit is valid and hardened; an old database migrates on open."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from carepanel.errors import StoreError
from carepanel.store import MIGRATIONS, SCHEMA_VERSION, Store, _statements

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "carepanel.service"


def unit_for_this_machine(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at a program that exists here (verify checks it)."""
    text = UNIT.read_text(encoding="utf-8").replace("/opt/carepanel/.venv/bin/carepanel", sys.executable + " -m carepanel.cli")
    path = tmp_path / "carepanel.service"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (not a systemd host)")
def test_systemd_analyze_verify_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    unit = unit_for_this_machine(tmp_path)
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    complaints = [line for line in result.stderr.splitlines() if unit.name in line]
    assert result.returncode == 0 and complaints == [], result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (not a systemd host)")
def test_the_unit_is_rated_well_hardened_by_systemd(tmp_path: Path) -> None:
    unit = unit_for_this_machine(tmp_path)
    # --threshold is the overall exposure x10: 20 means "2.0 or better" on systemd's 0 (safe) .. 10 scale
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=20", str(unit)],
                            capture_output=True, text=True, timeout=60, check=False)
    if "offline" in result.stderr and "Unknown option" in result.stderr:
        pytest.skip("this systemd cannot rate a unit offline")
    assert result.returncode == 0, result.stdout[-400:]
    assert "Overall exposure level" in result.stdout  # systemd's scale: 0 safe .. 10 exposed; "OK" below 2.1


def test_the_unit_keeps_its_hardening_settings() -> None:
    text = UNIT.read_text(encoding="utf-8")
    for setting in ("User=carepanel", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/carepanel",
                    "PrivateTmp=yes", "ProtectHome=yes", "UMask=0077"):
        assert re.search(rf"^{re.escape(setting)}$", text, re.MULTILINE), setting
    assert re.search(r"^CapabilityBoundingSet=$", text, re.MULTILINE)


def test_a_database_from_the_first_release_migrates_on_open_and_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "carepanel.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO messages (sha256, message_id, source, size, status, first_seen_at) "
                 "VALUES ('a', '<m@x>', 'folder', 1, 'processed', '2026-01-01T00:00:00+00:00')")
    # The submission object as the first release stored it (no "warnings" yet).
    doc = {"schema": "carepanel/submission@1", "id": "sub-1", "message_id": "<m@x>", "received_at": "2026-01-01T00:00:00+00:00",
           "sender": "s@x", "subject": "CRP", "status": "accepted", "panel_date": None, "cutoff": None, "flags": [],
           "signoff": {"source": "form_signature", "by": "Tom"}, "request": None, "attachments": []}
    conn.execute("INSERT INTO submissions (id, message_sha256, message_id, received_at, sender, status, doc, created_at, "
                 "updated_at) VALUES ('sub-1', 'a', '<m@x>', '2026-01-01T00:00:00+00:00', 's@x', 'accepted', ?, 'now', 'now')",
                 (json.dumps(doc),))
    conn.close()
    store = Store(db)
    try:
        assert store.schema_version == SCHEMA_VERSION > 1
        assert [s.id for s in store.submissions()] == ["sub-1"]
        assert store.submissions()[0].to_json() == {**doc, "warnings": []}
        store.add_hold("id:LCS1", "test", "tester")  # a table a later release added
        assert store.holds()[0].key == "id:LCS1"
    finally:
        store.close()


def test_a_database_from_a_newer_release_is_refused_not_damaged(tmp_path: Path) -> None:
    db = tmp_path / "carepanel.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(db)
