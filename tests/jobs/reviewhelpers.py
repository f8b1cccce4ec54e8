"""A project with a flagged, a late and an accepted submission, and `carepanel review` to run on it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import Config
from carepanel.service import open_service
from carepanel.store import AuditEntry, Outgoing, Store, StoredSubmission
from test_intake_e2e import GOOD, NOW, email
from web.webhelpers import seeded_project

ADMIN = "pat.admin@example.gov.uk"


def review_project(folder: Path) -> tuple[Config, dict[str, str]]:
    """``seeded_project``'s two submissions, and one that asks for a panel whose cut-off has passed."""
    cfg, ids = seeded_project(folder)
    late = replace(GOOD, panel_date=date(2026, 11, 25),
                   children=(replace(GOOD.children[0], name="Mia Example", child_id="LCS900222"),))
    with open_service(cfg, clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(email(late, key="late"), source="test").submission
    assert sub is not None and sub.flag_codes == ("late",), sub
    return cfg, {**ids, "late": sub.id}


def review(folder: Path, *args: str) -> tuple[int, Any, str]:
    """``carepanel review ARGS --json``: the exit code, the printed JSON, and stderr."""
    result = CliRunner().invoke(main, ["--config", str(folder / "config.toml"), "review", *args, "--json"])
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def stored(cfg: Config, sub_id: str) -> tuple[StoredSubmission, list[AuditEntry], list[Outgoing]]:
    """The submission, its audit entries (not page views) and the mail queued for it."""
    store = Store(cfg.db_path)
    try:
        sub = store.submission(sub_id)
        assert sub is not None
        audit = [a for a in store.audit_log(sub_id) if a.action != "viewed"]
        mail = [m for m in store.due_outgoing(NOW + timedelta(days=365)) if m.submission_id == sub_id and m.kind == "admin"]
        return sub, audit, mail
    finally:
        store.close()
