"""The contract's examples, run as a script would run them: real forms, real emails, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from carepanel.demo import CONFIG, PANEL, STAFF, compose_email
from carepanel.demo.samples import north_somerset_form, sample_form
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, papers

REQUEST_KEYS = {"schema", "source", "form", "children", "request", "request_types", "summary", "costs",
                "social_worker", "team_manager", "service_manager", "fields", "missing", "warnings"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG.format(profile="north-somerset", panel=PANEL))
    (tmp_path / "staff.csv").write_text(STAFF)
    return tmp_path


def run(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The installed command in its own process, as a scheduler would call it."""
    proc = subprocess.run([sys.executable, "-m", "carepanel.cli", *args], cwd=project, capture_output=True,
                          text=True, env=env, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_parse_prints_the_request_object(project: Path) -> None:
    name, data = sample_form("ns-siblings-plo")
    (project / name).write_bytes(data)
    code, out, err = run(project, "parse", name, "--json")
    assert code == 0, err
    req = json.loads(out)
    assert set(req) == REQUEST_KEYS and req["schema"] == "carepanel/request@1"
    assert req["form"] == "north-somerset" and req["source"]["format"] == "docx"
    assert [c["name"] for c in req["children"]] == ["Alfie Sample", "Daisy Sample"]  # parents are not children
    assert req["children"][0]["dob"] == "2016-09-02" and req["children"][0]["child_id"] == "LCS900201"
    assert "pre_proceedings" in req["request_types"]
    assert req["team_manager"]["signed"] is True and req["team_manager"]["signed_on"] == "2026-11-17"
    assert '""' not in out  # an empty field is null, never ""


def test_parse_of_a_bexley_referral_reads_costs_as_numbers(project: Path) -> None:
    name, data = sample_form("bexley-residential")
    (project / name).write_bytes(data)
    code, out, _ = run(project, "parse", name, "--json")
    req = json.loads(out)
    assert (code, req["form"], req["costs"]) == (0, "bexley", {"weekly": 4200.0, "total": 218400.0})
    assert req["service_manager"]["signed"] is True


def test_parse_of_a_file_that_is_not_a_form(project: Path) -> None:
    (project / "notes.txt").write_text("just some notes")
    code, out, err = run(project, "parse", "notes.txt", "--json")
    assert code == 1 and "Traceback" not in err
    assert json.loads(out)["error"]["code"] in {"no_request_form", "unreadable_attachment"}


def test_submissions_filters_by_status_and_panel_date(project: Path) -> None:
    ok = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [("CRP request form.docx", north_somerset_form(GOOD))] + papers(),
                       "<c-1@example.gov.uk>")
    unsigned = replace(GOOD, children=(replace(GOOD.children[0], child_id="LCS900777"),),
                       team_manager=replace(GOOD.team_manager, signed=None))
    bad = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [("CRP request form.docx", north_somerset_form(unsigned))] + papers(),
                        "<c-2@example.gov.uk>")
    (project / "ok.eml").write_bytes(ok)
    (project / "bad.eml").write_bytes(bad)
    for f in ("ok.eml", "bad.eml"):
        assert run(project, "ingest", f, "--received-at", "2026-11-23T10:00:00+00:00", "--json")[0] == 0
    everything = json.loads(run(project, "submissions", "--json")[1])
    flagged = json.loads(run(project, "submissions", "--status", "flagged", "--json")[1])
    on_date = json.loads(run(project, "submissions", "--panel-date", "2026-12-02", "--json")[1])
    elsewhere = json.loads(run(project, "submissions", "--panel-date", "2026-12-09", "--json")[1])
    assert len(everything) == 2 and len(on_date) == 2 and elsewhere == []
    assert [s["message_id"] for s in flagged] == ["<c-2@example.gov.uk>"]
    assert flagged[0]["signoff"]["source"] is None


def test_global_options_data_dir_profile_and_environment_config(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    eml = project / "m.eml"
    eml.write_bytes(compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [], "<g-1@example.gov.uk>"))
    code, out, _ = run(project, "--data-dir", str(other), "--profile", "bexley", "ingest", "m.eml",
                       "--received-at", "2026-11-23T10:00:00+00:00", "--json")
    sub = json.loads(out)
    assert code == 0 and (other / "carepanel.db").exists()
    assert date.fromisoformat(sub["panel_date"]).weekday() == 3  # Bexley sits on Thursdays
    # $CAREPANEL_CONFIG is used when there is no ./config.toml
    env = {**os.environ, "CAREPANEL_CONFIG": str(project / "config.toml")}
    code, out, _ = run(tmp_path / "elsewhere", "--data-dir", str(other), "submissions", "--json", env=env)
    assert code == 0 and [s["message_id"] for s in json.loads(out)] == ["<g-1@example.gov.uk>"]

