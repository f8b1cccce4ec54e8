"""Backup and restore, as the contract says: a fresh machine rebuilt from one file, every hash checked."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import load_config
from carepanel.service import open_service

sys.path.insert(0, str(Path(__file__).parent))
from opsdata import corpus, request_email, write_project


def cli(config: Path, *args: str, data_dir: Path | None = None) -> tuple[int, str]:
    pre = ["--config", str(config)] + (["--data-dir", str(data_dir)] if data_dir else [])
    result = CliRunner().invoke(main, [*pre, *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def forms() -> list:
    return corpus(6)


def ingest_all(config: Path, forms: list, start: int = 0) -> None:
    with open_service(load_config(config)) as service:
        for n, (_, name, form) in enumerate(forms, start):
            service.ingest_bytes(request_email(n, name, form, extra=b"%PDF-1.4\n" + bytes([n]) * 300), source="test")


def archived(root: Path) -> dict[str, str]:
    """Every archived file: relative path -> sha256 of its bytes."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_restore_onto_a_fresh_machine_gives_the_same_submissions_and_every_original(tmp_path: Path, forms: list) -> None:
    config = write_project(tmp_path / "old")
    ingest_all(config, forms)
    before = cli(config, "submissions", "--json")[1]
    assert len(json.loads(before)) == 6
    code, out = cli(config, "backup", str(tmp_path / "b.tar"), "--json")
    assert code == 0, out
    assert json.loads(out)["files"] >= 13  # the database and the originals

    fresh = write_project(tmp_path / "new")  # another machine: its own config, nothing in its data dir
    key = tmp_path / "old" / "backup-identity.txt"  # the council's backup key, brought from safe keeping
    code, out = cli(fresh, "restore", "--identity", str(key), str(tmp_path / "b.tar"), "--json")
    assert code == 0, out
    assert cli(fresh, "submissions", "--json")[1] == before

    old_files = archived(tmp_path / "old" / "data" / "archive")
    new_files = archived(tmp_path / "new" / "data" / "archive")
    assert new_files == old_files and len(new_files) >= 12  # 6 emails, 6 forms, 6 PDFs less any shared
    for rel, sha in new_files.items():
        assert Path(rel).stem == sha  # each original still hashes to its own name
    for sub in json.loads(before):
        for att in sub["attachments"]:
            assert any(Path(r).stem == att["sha256"] for r in new_files)


def test_restore_refuses_a_data_dir_that_is_not_empty(tmp_path: Path, forms: list) -> None:
    config = write_project(tmp_path / "old")
    ingest_all(config, forms[:1])
    assert cli(config, "backup", str(tmp_path / "b.tar"))[0] == 0
    code, out = cli(config, "restore", str(tmp_path / "b.tar"), "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "backup_error" and "not empty" in error["detail"]


def tamper(tar_path: Path, member_prefix: str) -> None:
    with tarfile.open(tar_path) as tar:
        member = next(m for m in tar if m.name.startswith(member_prefix) and m.size > 100)
        offset = member.offset_data + member.size // 2
    with open(tar_path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("member", ["archive/", "carepanel.db"])
def test_a_tampered_backup_is_refused_and_leaves_the_data_dir_empty(tmp_path: Path, forms: list, member: str) -> None:
    config = write_project(tmp_path / "old")
    ingest_all(config, forms[:2])
    assert cli(config, "backup", "--plain", str(tmp_path / "b.tar"))[0] == 0  # plain, to reach inside the tar
    tamper(tmp_path / "b.tar", member)
    fresh = write_project(tmp_path / "new")
    code, out = cli(fresh, "restore", str(tmp_path / "b.tar"), "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "backup_error" and "hash" in error["detail"]
    data = tmp_path / "new" / "data"
    assert not data.exists() or {p.name for p in data.iterdir()} <= {"logs"}  # nothing restored


def test_backup_while_the_service_is_writing_is_consistent(tmp_path: Path, forms: list) -> None:
    """Backups taken mid-ingest restore to a store whose every message is in the archive."""
    config = write_project(tmp_path / "old")
    writer = threading.Thread(target=ingest_all, args=(config, forms * 2))
    writer.start()
    backups: list[Path] = []
    deadline = time.monotonic() + 120
    while (writer.is_alive() or not backups) and time.monotonic() < deadline:
        path = tmp_path / f"b{len(backups)}.tar"
        if (tmp_path / "old" / "data" / "carepanel.db").exists() and cli(config, "backup", str(path))[0] == 0:
            backups.append(path)
    writer.join()
    assert backups
    for n, path in enumerate(backups):
        fresh = write_project(tmp_path / f"new{n}")
        code, out = cli(fresh, "restore", "--identity", str(tmp_path / "old" / "backup-identity.txt"), str(path), "--json")
        assert code == 0, out
        subs = json.loads(cli(fresh, "submissions", "--json")[1])
        files = archived(tmp_path / f"new{n}" / "data" / "archive")
        stems = {Path(r).stem for r in files}
        for sub in subs:
            assert all(a["sha256"] in stems for a in sub["attachments"])


def test_data_and_backups_are_readable_by_the_service_account_only(tmp_path: Path, forms: list) -> None:
    config = write_project(tmp_path / "p")
    ingest_all(config, forms[:1])
    assert cli(config, "backup", str(tmp_path / "b.tar"))[0] == 0
    data = tmp_path / "p" / "data"
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data / "carepanel.db").st_mode) == 0o600
    for p in (data / "archive").rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    for name in ("carepanel.db-wal", "carepanel.db-shm"):
        if (data / name).exists():
            assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "b.tar").st_mode) == 0o600
