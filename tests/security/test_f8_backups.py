"""Finding 8: backups are not encrypted.

``backup`` encrypts with age to ``[backup] recipients``; ``restore --identity FILE`` decrypts;
a plain tar only with an explicit ``--plain``, and then with a warning.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.jobs.backup import new_identity
from carepanel.cli import main
from carepanel.config import load_config
from carepanel.service import open_service
from test_backup import email
from test_intake_e2e import NOW, config_for


def cli(config: Path, *args: str, data_dir: Path | None = None):
    extra = ["--data-dir", str(data_dir)] if data_dir else []
    return CliRunner().invoke(main, ["--config", str(config), *extra, *args])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "live"
    config_for(folder)
    with open_service(load_config(folder / "config.toml"), clock=lambda: NOW) as svc:
        svc.ingest_bytes(email(1), source="test")
    return folder / "config.toml"


def test_f8_a_backup_is_age_encrypted_and_holds_nothing_readable(project: Path, tmp_path: Path) -> None:
    result = cli(project, "backup", str(tmp_path / "b.age"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encrypted"] is True
    data = (tmp_path / "b.age").read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    for readable in (b"carepanel.db", b"SQLite format 3", b"manifest.json", b"LCS40000", b"example.gov.uk"):
        assert readable not in data


def test_f8_restore_with_the_identity_gives_back_the_same_submissions(project: Path, tmp_path: Path) -> None:
    before = cli(project, "submissions", "--json").stdout
    assert cli(project, "backup", str(tmp_path / "b.age")).exit_code == 0
    other = tmp_path / "other-machine"
    config_for(other)  # its own config and key
    key = project.parent / "backup-identity.txt"
    restored = cli(other / "config.toml", "restore", "--identity", str(key), str(tmp_path / "b.age"))
    assert restored.exit_code == 0, restored.output
    assert cli(other / "config.toml", "submissions", "--json").stdout == before


def test_f8_restore_with_the_wrong_identity_is_refused_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    assert cli(project, "backup", str(tmp_path / "b.age")).exit_code == 0
    wrong = tmp_path / "wrong.txt"
    new_identity(wrong)
    fresh = tmp_path / "fresh" / "data"
    result = cli(project, "restore", "--identity", str(wrong), str(tmp_path / "b.age"), data_dir=fresh)
    assert result.exit_code == 1 and "cannot be decrypted" in result.stderr
    assert not fresh.exists() or {p.name for p in fresh.iterdir()} <= {"logs"}


def test_f8_an_altered_encrypted_backup_is_refused(project: Path, tmp_path: Path) -> None:
    assert cli(project, "backup", str(tmp_path / "b.age")).exit_code == 0
    data = bytearray((tmp_path / "b.age").read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "b.age").write_bytes(bytes(data))
    result = cli(project, "restore", str(tmp_path / "b.age"), data_dir=tmp_path / "fresh" / "data")
    assert result.exit_code == 1 and "altered" in result.stderr


def test_f8_without_recipients_backup_refuses_unless_plain_is_asked_for(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    config_for(folder)
    text = (folder / "config.toml").read_text()
    (folder / "config.toml").write_text(text[:text.index("[backup]")])
    with open_service(load_config(folder / "config.toml"), clock=lambda: NOW) as svc:
        svc.ingest_bytes(email(1), source="test")
    refused = cli(folder / "config.toml", "backup", str(tmp_path / "b.tar"))
    assert refused.exit_code == 1 and "--plain" in refused.stderr and not (tmp_path / "b.tar").exists()
    plain = cli(folder / "config.toml", "backup", "--plain", str(tmp_path / "b.tar"))
    assert plain.exit_code == 0 and "NOT encrypted" in plain.stderr
    assert (tmp_path / "b.tar").read_bytes()[257:262] == b"ustar"  # a tar, as asked


def test_f8_an_encrypted_backup_without_an_identity_says_what_is_needed(project: Path, tmp_path: Path) -> None:
    assert cli(project, "backup", str(tmp_path / "b.age")).exit_code == 0
    text = project.read_text()
    project.write_text(text.replace('identity_file = "backup-identity.txt"\n', ""))
    result = cli(project, "restore", str(tmp_path / "b.age"), data_dir=tmp_path / "fresh" / "data")
    assert result.exit_code == 1 and "--identity" in result.stderr
