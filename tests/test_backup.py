"""Backup and restore as the contract says: verified, onto an empty machine, every hash checked."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import load_config
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service
from carepanel.store import Store
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers


def cli(folder: Path, *args: str, data_dir: Path | None = None):
    extra = ["--data-dir", str(data_dir)] if data_dir else []
    return CliRunner().invoke(main, ["--config", str(folder / "config.toml"), *extra, *args], catch_exceptions=False)


def email(n: int) -> bytes:
    child = replace(GOOD.children[0], child_id=f"LCS40000{n}")
    return compose_email(SW, SW_ADDR, f"CRP {n}", "x", NOW - timedelta(hours=n),
                         [("CRP request form.docx", north_somerset_form(replace(GOOD, children=(child,))))] + papers(),
                         f"<bk-{n}@example.gov.uk>")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "live"
    config_for(folder)
    with open_service(load_config(folder / "config.toml"), clock=lambda: NOW) as svc:
        for n in range(4):
            svc.ingest_bytes(email(n), source="test")
    return folder


def test_restore_onto_an_empty_machine_gives_back_the_same_submissions(project: Path, tmp_path: Path) -> None:
    before = cli(project, "submissions", "--json").stdout
    result = cli(project, "backup", str(tmp_path / "b.tar"), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["files"] > 4
    fresh = tmp_path / "new-machine" / "data"
    restored = cli(project, "restore", str(tmp_path / "b.tar"), data_dir=fresh)
    assert restored.exit_code == 0, restored.output
    assert cli(project, "submissions", "--json", data_dir=fresh).stdout == before
    originals = list((fresh / "archive").rglob("*"))
    for path in (p for p in originals if p.is_file()):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name.split(".")[0]
    assert len([p for p in originals if p.is_file()]) == len([p for p in (project / "data" / "archive").rglob("*") if p.is_file()])


def test_restore_refuses_a_data_directory_in_use(project: Path, tmp_path: Path) -> None:
    cli(project, "backup", str(tmp_path / "b.tar"))
    result = cli(project, "restore", str(tmp_path / "b.tar"))
    assert result.exit_code == 1 and "not empty" in result.stderr


def _rewrite(src: Path, dst: Path, change) -> None:
    with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read()
            member, data = change(member, data)
            member.size = len(data)
            tout.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("change, message", [
    (lambda m, d: (m, d[:-1] + bytes([d[-1] ^ 1])) if m.name.startswith("archive/") else (m, d), "does not match"),
    (lambda m, d: (tarfile.TarInfo("../../evil.sh"), b"#!/bin/sh") if m.name == "carepanel.db" else (m, d), "unexpected entry"),
])
def test_a_damaged_or_hostile_backup_is_refused_before_anything_is_written(project: Path, tmp_path: Path, change, message: str) -> None:
    cli(project, "backup", "--plain", str(tmp_path / "b.tar"))  # plain, to reach inside the tar
    _rewrite(tmp_path / "b.tar", tmp_path / "bad.tar", change)
    fresh = tmp_path / "other" / "data"
    result = cli(project, "restore", str(tmp_path / "bad.tar"), data_dir=fresh)
    assert result.exit_code == 1 and message in result.stderr
    assert not (fresh / "carepanel.db").exists()
    assert not (tmp_path / "evil.sh").exists()


def test_backup_while_mail_is_being_ingested_is_consistent(project: Path, tmp_path: Path) -> None:
    cfg = load_config(project / "config.toml")
    stop = threading.Event()

    def ingest() -> None:
        with open_service(cfg, clock=lambda: NOW) as svc:
            n = 10
            while not stop.is_set() and n < 40:
                svc.ingest_bytes(email(n), source="test")
                n += 1

    worker = threading.Thread(target=ingest)
    worker.start()
    try:
        for k in range(3):
            assert cli(project, "backup", str(tmp_path / f"live-{k}.tar")).exit_code == 0
    finally:
        stop.set()
        worker.join()
    fresh = tmp_path / "r" / "data"
    assert cli(project, "restore", str(tmp_path / "live-2.tar"), data_dir=fresh).exit_code == 0
    assert json.loads(cli(project, "submissions", "--json", data_dir=fresh).stdout)
    archived = {p.name.split(".")[0] for p in (fresh / "archive").rglob("*") if p.is_file()}
    store = Store(fresh / "carepanel.db")
    shas = [r[0] for r in store.conn.execute("SELECT message_sha256 FROM submissions").fetchall()]
    store.close()
    assert shas and set(shas) <= archived  # every submission in the copy has its original in the copy
