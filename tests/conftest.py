"""Fixtures shared by every test folder: configs on a temporary data dir, fictional staff."""

from __future__ import annotations

from pathlib import Path

import pytest

from carepanel.config import Config, build_config
from carepanel.directory import Directory, parse_directory

from staffdata import STAFF_CSV

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"



@pytest.fixture
def directory() -> Directory:
    return parse_directory(STAFF_CSV)


@pytest.fixture
def make_config(tmp_path: Path):
    """A config on tmp_path for any profile, with optional overrides."""

    def make(profile: str = "north-somerset", **raw: object) -> Config:
        (tmp_path / "staff.csv").write_text(STAFF_CSV, encoding="utf-8")
        data = {"profile": profile, "data_dir": "data", "directory": {"csv": "staff.csv"},
                "mailbox": {"backend": "folder", "path": "data/inbox", "poll_seconds": 0.2, "settle_seconds": 0.05}}
        data.update(raw)
        return build_config(data, base=tmp_path)

    return make
