"""Records governance: retention, legal holds, subject access export."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import load_config
from carepanel.errors import ConfigError
from carepanel.service import open_service
from carepanel.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from opsdata import corpus, request_email, write_project


def cli(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, list]:
    config = write_project(tmp_path, "[retention]\nyears_after_birth = 20\nyears_after_receipt = 5\n")
    forms = corpus(3)
    with open_service(load_config(config)) as service:
        for n, (_, name, form) in enumerate(forms):
            service.ingest_bytes(request_email(n, name, form), source="test")
    return config, forms


def test_nothing_is_due_today_and_nothing_is_deleted_without_purge(project: tuple[Path, list]) -> None:
    config, _ = project
    data = json.loads(cli(config, "retention", "--json")[1])
    assert data["due"] == [] and data["policy"] == {"years_after_birth": 20, "years_after_receipt": 5}
    far = json.loads(cli(config, "retention", "--as-of", "2060-01-01", "--json")[1])
    assert len(far["due"]) == 3 and far["purged"] == []
    assert len(json.loads(cli(config, "submissions", "--json")[1])) == 3


def test_purge_removes_rows_and_originals_except_for_a_child_on_hold(project: tuple[Path, list]) -> None:
    config, forms = project
    held_child = forms[0][0]
    assert cli(config, "hold", "add", held_child.child_id, "--reason", "inquiry ref 14")[0] == 0
    assert json.loads(cli(config, "hold", "list", "--json")[1])[0]["key"] == f"id:{held_child.child_id}"
    archive = config.parent / "data" / "archive"
    before = {p.name for p in archive.rglob("*.*")}

    out = json.loads(cli(config, "retention", "--purge", "--as-of", "2060-01-01", "--actor", "IG lead", "--json")[1])
    assert len(out["purged"]) == 2
    assert [d["held"] for d in out["due"]].count(True) == 1
    left = json.loads(cli(config, "submissions", "--json")[1])
    assert [s["request"]["children"][0]["child_id"] for s in left] == [held_child.child_id]
    after = {p.name for p in archive.rglob("*.*")}
    kept = {f"{left[0]['attachments'][0]['sha256']}.bin"}
    assert kept <= after and len(after) < len(before)

    store = Store(config.parent / "data" / "carepanel.db")
    try:
        purges = [a for a in store.audit_log() if a.action == "submission_purged"]
    finally:
        store.close()
    assert len(purges) == 2 and all(p.actor == "IG lead" for p in purges)
    for p in purges:  # ids and hashes only: nothing that was purged survives in its audit entry
        text = json.dumps(p.to_json())
        assert all(c.name.split()[0] not in text for c, _, _ in forms)
        assert set(json.loads(p.data)) == {"message_sha256", "attachment_sha256"}

    assert cli(config, "hold", "remove", held_child.child_id, "--reason", "inquiry closed")[0] == 0
    out = json.loads(cli(config, "retention", "--purge", "--as-of", "2060-01-01", "--json")[1])
    assert len(out["purged"]) == 1
    assert json.loads(cli(config, "submissions", "--json")[1]) == []
    assert list(archive.rglob("*.eml")) == [] and list(archive.rglob("*.bin")) == []


def test_export_child_holds_submission_original_attachment_and_audit(project: tuple[Path, list], tmp_path: Path) -> None:
    config, forms = project
    child, name, form = forms[1]
    code, out = cli(config, "export-child", child.child_id, "--out", str(tmp_path / "sar.zip"), "--json")
    assert code == 0, out
    with zipfile.ZipFile(tmp_path / "sar.zip") as zf:
        names = zf.namelist()
        subs = json.loads(zf.read("submissions.json"))
        assert [s["request"]["children"][0]["name"] for s in subs] == [child.name]
        assert any(n.startswith("messages/") and n.endswith(".eml") for n in names)
        assert zf.read(next(n for n in names if n.endswith(name))) == form
        actions = {a["action"] for a in json.loads(zf.read("audit.json"))}
        assert "submission_created" in actions
    code, out = cli(config, "export-child", "LCS000000", "--out", str(tmp_path / "none.zip"), "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "governance_error"


def test_retention_periods_are_checked(tmp_path: Path) -> None:
    config = write_project(tmp_path, "[retention]\nyears_after_birth = 0\n")
    with pytest.raises(ConfigError, match="retention.years_after_birth"):
        load_config(config)
    config = write_project(tmp_path, "[retention]\nyears = 5\n")
    with pytest.raises(ConfigError, match="retention.years"):
        load_config(config)


def test_the_access_log_shows_who_viewed_and_exported_a_childs_records(project: tuple[Path, list], tmp_path: Path) -> None:
    config, forms = project
    child = forms[2][0]
    subs = json.loads(cli(config, "submissions", "--json")[1])
    mine = next(s["id"] for s in subs if s["request"]["children"][0]["child_id"] == child.child_id)
    other = next(s["id"] for s in subs if s["id"] != mine)
    store = Store(config.parent / "data" / "carepanel.db")
    try:
        store.record_view("dana.lloyd@example.gov.uk", "submission", mine, "submission")
        store.record_view("tm.jones@example.gov.uk", "submission", other, "submission")
    finally:
        store.close()
    assert cli(config, "export-child", child.child_id, "--out", str(tmp_path / "c.zip"), "--actor", "IG lead")[0] == 0
    rows = json.loads(cli(config, "access-log", "--child", child.child_id, "--json")[1])
    assert [(r["actor"], r["action"]) for r in rows] == [("dana.lloyd@example.gov.uk", "viewed"),
                                                          ("IG lead", "child_exported")]
    assert len(json.loads(cli(config, "access-log", "--json")[1])) == 3
