"""The staff directory from the Exchange address book: ExpandDL and ResolveNames replayed as
Microsoft documents them, through the service (``refresh_exchange_directory`` as the run loop
calls it), the copy kept in the data directory, the CSV winning, and Exchange being down."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from ews_replay import EwsReplay
from test_exchange import exchange_project, mailbox
from test_intake_e2e import NOW

from carepanel.cli import main
from carepanel.config import load_config
from carepanel.errors import ConfigError
from carepanel.service import open_service, refresh_exchange_directory

GROUPS = """
exchange_groups = { social_worker = "crp-social-workers@example.gov.uk", team_manager = "crp-team-managers@example.gov.uk" }
exchange_refresh_hours = 24
"""
ADDRESS_BOOK = [
    {"operation": "ExpandDL", "contains": ["crp-social-workers@example.gov.uk"], "answers": [{"file": "expanddl-social-workers.xml"}]},
    {"operation": "ExpandDL", "contains": ["crp-sw-north@example.gov.uk"], "answers": [{"file": "expanddl-sw-north.xml"}]},
    {"operation": "ExpandDL", "contains": ["crp-team-managers@example.gov.uk"], "answers": [{"file": "expanddl-team-managers.xml"}]},
    {"operation": "ResolveNames", "contains": ["<m:UnresolvedEntry>smtp:alex.worker@example.gov.uk<"],
     "answers": [{"file": "resolvenames-alex.xml"}]},
    {"operation": "ResolveNames", "contains": ["<m:UnresolvedEntry>smtp:taylor.manager@example.gov.uk<"],
     "answers": [{"file": "resolvenames-taylor.xml"}]},
    {"operation": "ResolveNames", "contains": ["<m:UnresolvedEntry>smtp:sam.worker@example.gov.uk<"],
     "answers": [{"file": "resolvenames-sam.xml"}]},
    {"operation": "ResolveNames", "answers": [{"file": "resolvenames-none.xml"}]},  # Robin: not in the address book
]


@pytest.fixture
def replay():
    r = EwsReplay()
    r.rules = ADDRESS_BOOK + r.rules
    yield r
    r.close()


def project(tmp_path: Path, endpoint: str) -> Path:
    config = exchange_project(tmp_path / "p", endpoint)
    config.write_text(config.read_text().replace('csv = "staff.csv"\n', 'csv = "staff.csv"\n' + GROUPS))
    (tmp_path / "p" / "staff.csv").write_text("name,email,role,team\nSam Worker,sam.worker@example.gov.uk,social_worker,\n")
    return config


def people(directory) -> set[tuple[str, str, str, str | None]]:  # type: ignore[no-untyped-def]
    return {(m.name, m.email, m.role, m.team) for m in directory.members}


EXPECTED_CSV_ONLY = ("Sam Worker", "sam.worker@example.gov.uk", "social_worker", None)
EXPECTED = {
    ("Sam Worker", "sam.worker@example.gov.uk", "social_worker", None),  # the CSV's row, not the address book's
    ("Alex Worker", "alex.worker@example.gov.uk", "social_worker", "Children in Need East"),
    ("Robin Fieldworker", "robin.fieldworker@example.gov.uk", "social_worker", None),  # from the list inside the list
    ("Taylor Manager", "taylor.manager@example.gov.uk", "team_manager", "Children in Need East"),
}


def test_the_groups_are_read_merged_under_the_csv_and_kept_until_due(tmp_path: Path, replay: EwsReplay) -> None:
    cfg = load_config(project(tmp_path, replay.endpoint))
    box = mailbox(replay)
    with open_service(cfg, clock=lambda: NOW) as svc:
        assert people(svc.processor.directory) == {EXPECTED_CSV_ONLY}
        refresh_exchange_directory(cfg, svc, box)
        assert people(svc.processor.directory) == EXPECTED
        assert people(svc.processor.ctx.directory) == EXPECTED  # what intake judges sign-off against
        assert svc.processor.directory.is_manager("taylor.manager@example.gov.uk", "team_manager")
        assert not svc.processor.directory.is_manager("sam.worker@example.gov.uk", "team_manager")  # the CSV says not
        asked = replay.ops().count("ExpandDL")
        refresh_exchange_directory(cfg, svc, box)  # not due yet
        assert replay.ops().count("ExpandDL") == asked == 3  # the two lists and the list inside one
    with open_service(cfg, clock=lambda: NOW) as svc:  # a restart starts from the copy, without asking Exchange
        assert people(svc.processor.directory) == EXPECTED
    assert replay.ops().count("ExpandDL") == 3
    box.close()


def test_exchange_down_keeps_the_last_good_copy_and_status_says_so(tmp_path: Path, replay: EwsReplay) -> None:
    config = project(tmp_path, replay.endpoint)
    cfg = load_config(config)
    box = mailbox(replay)
    with open_service(cfg, clock=lambda: NOW) as svc:
        refresh_exchange_directory(cfg, svc, box)
    box.close()
    ok = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert "address book: 4 people from Exchange, read 2026-" in ok.output, ok.output
    # A day later the team-managers list has gone (or the server is down): nothing half-read replaces the copy.
    replay.rules = [{"operation": "ExpandDL", "contains": ["crp-team-managers@example.gov.uk"],
                     "answers": [{"file": "expanddl-not-found.xml"}]}] + replay.rules
    later = NOW + timedelta(hours=25)
    box = mailbox(replay)
    before = replay.ops().count("ExpandDL")
    with open_service(cfg, clock=lambda: later) as svc:
        refresh_exchange_directory(cfg, svc, box)
        assert replay.ops().count("ExpandDL") > before  # it was due, and tried
        assert people(svc.processor.directory) == EXPECTED
    box.close()
    down = mailbox_at(replay, "http://127.0.0.1:9/EWS/Exchange.asmx")
    with open_service(cfg, clock=lambda: later + timedelta(hours=1)) as svc:
        refresh_exchange_directory(cfg, svc, down)
        assert people(svc.processor.directory) == EXPECTED
    down.close()
    status = CliRunner().invoke(main, ["--config", str(config), "status", "--json"])
    book = json.loads(status.output)["address_book"]
    assert book["people"] == 4 and "cannot be reached" in book["last_error"]
    human = CliRunner().invoke(main, ["--config", str(config), "status"]).output
    assert "address book: NOT read at" in human and "using the last good copy" in human


def mailbox_at(replay: EwsReplay, endpoint: str):  # type: ignore[no-untyped-def]
    from carepanel.mailbox.exchange import (
        ExchangeMailbox,
        ExchangeSettings,
        password_credentials,
    )

    return ExchangeMailbox(ExchangeSettings("panel@example.gov.uk", endpoint, auth="basic", max_retries=0),
                           password_credentials("COUNCIL\\svc-carepanel", "not-a-real-password"), sleep=lambda s: None)


def test_a_service_started_with_exchange_down_and_no_copy_uses_the_csv(tmp_path: Path) -> None:
    cfg = load_config(project(tmp_path, "http://127.0.0.1:9/EWS/Exchange.asmx"))
    down = mailbox_at(None, "http://127.0.0.1:9/EWS/Exchange.asmx")  # type: ignore[arg-type]
    with open_service(cfg, clock=lambda: NOW) as svc:
        refresh_exchange_directory(cfg, svc, down)
        assert people(svc.processor.directory) == {EXPECTED_CSV_ONLY}
    down.close()
    assert "never read from Exchange" in CliRunner().invoke(main, ["--config", str(cfg.path), "status"]).output


def test_the_config_names_a_bad_group(tmp_path: Path) -> None:
    config = project(tmp_path, "https://mail.example.gov.uk/EWS/Exchange.asmx")
    text = config.read_text()
    config.write_text(text.replace("team_manager = ", "boss = "))
    with pytest.raises(ConfigError, match="exchange_groups: role 'boss' is not one of"):
        load_config(config)
    config.write_text(text.replace('backend = "exchange"\nservice_endpoint', 'backend = "folder"\nservice_endpoint', 1))
    with pytest.raises(ConfigError):  # the address book needs the EWS connection
        load_config(config)


def test_the_directory_module_stays_free_of_exchangelib() -> None:
    code = "import sys, carepanel.directory; sys.exit('exchangelib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_mailbox_check_counts_each_list_and_names_one_it_cannot_read(tmp_path: Path, replay: EwsReplay,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREPANEL_TEST_EWS_PASSWORD", "not-a-real-password")
    config = project(tmp_path, replay.endpoint)
    ok = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert ok.exit_code == 0, ok.output
    assert "social_worker list crp-social-workers@example.gov.uk: 3 members" in ok.output
    assert "team_manager list crp-team-managers@example.gov.uk: 2 members" in ok.output
    replay.rules = [{"operation": "ExpandDL", "contains": ["crp-team-managers@example.gov.uk"],
                     "answers": [{"file": "expanddl-not-found.xml"}]}] + replay.rules
    gone = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert "team_manager list crp-team-managers@example.gov.uk NOT readable: " in gone.output
    assert "ErrorNameResolutionNoResults" in gone.output
