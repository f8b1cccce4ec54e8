"""The newcomer's first command shows the whole week: intake, the pack, decisions, uploads."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import load_config
from carepanel.store import Store

pytestmark = pytest.mark.slow


def test_demo_processes_its_sample_week_and_can_be_run_again(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    for _ in range(2):  # a second run starts afresh, it does not pile up
        result = CliRunner().invoke(main, ["demo", "--dir", str(folder)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    cfg = load_config(folder / "config.toml")
    store = Store(cfg.db_path)
    statuses = Counter(s.status for s in store.submissions())
    flags = {f.code for s in store.submissions() for f in s.flags}
    signed = store.decisions(status="signed")
    store.close()
    assert statuses == {"accepted": 2, "flagged": 3, "superseded": 1}
    assert flags == {"late", "no_manager_signoff", "missing_fields", "missing_documents", "no_request_form"}
    assert len(signed) == 2 and all((cfg.data_path(d.upload_dir) / "manifest.csv").exists() for d in signed)
    assert len(list(cfg.packs_dir.rglob("*.pdf"))) == 1
    assert "pack:" in result.output and "signed; upload folder" in result.output
    # Sealed out of the box with the demo's self-signed certificate: valid for whoever trusts it.
    from carepanel.outputs import seal

    cert = seal.certificate_of(folder / "data" / "demo-seal.p12")
    assert all(seal.check(cfg.data_path(d.pdf_path).read_bytes(), [cert]).ok for d in signed)


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "not a carepanel demo folder" in result.stderr
    assert (tmp_path / "precious.txt").exists()
