from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from carepanel.config import build_config, load_config
from carepanel.profiles import PROFILE_NAMES, load_profile
from carepanel.errors import ConfigError


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_builtin_profile_loads(name: str) -> None:
    p = load_profile(name)
    assert p.name == name
    assert p.signoff and p.decisions.outcomes
    assert {"children.name", "children.dob", "request", "social_worker.name",
            "team_manager.name"} <= set(p.required_fields)
    # Rules v2: a field is required only where the form has a place (bexley's has no child ID)
    assert ("children.child_id" in p.required_fields) is (name != "bexley")


def test_profile_rules_match_the_contract_table() -> None:
    ns, bx, cpr, sg, sw = (load_profile(n) for n in PROFILE_NAMES)
    assert (ns.panel.weekday, ns.panel.starts, ns.cutoff.weekday, ns.cutoff.time) == (2, time(13, 30), 4, time(12))
    assert (bx.cutoff.rule, bx.cutoff.days, bx.cutoff.time) == ("working_days_before", 3, time(17))
    assert [r.role for r in bx.signoff] == ["team_manager", "service_manager"]
    assert (cpr.panel.slot_minutes, cpr.panel.complex_slot_minutes, cpr.papers_out.weekday) == (15, 20, 1)
    assert (sg.panel.frequency, sg.panel.anchor_date, sg.papers_out.time) == ("fortnightly", date(2026, 1, 6), time(15))
    assert sw.threshold.amount == 500 and sw.decisions.labels["approve"] == "Agreed"
    assert ns.threshold.disabled_amount == 2000 and ns.required_documents == ("assessment", "care_plan", "genogram")
    assert set(bx.decisions.outcomes) == {"approve", "alternative_approved", "defer", "decline", "return_to_panel"}


def test_config_overrides_a_profile_section(tmp_path: Path) -> None:
    cfg = build_config({"profile": "bexley", "cutoff": {"time": "12:00"}, "panel": {"cancelled": [date(2026, 12, 24)]}},
                       base=tmp_path)
    assert cfg.profile.cutoff.time == time(12) and cfg.profile.cutoff.days == 3
    assert cfg.profile.panel.cancelled == (date(2026, 12, 24),)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"profil": "bexley"}, "unknown key: profil"),
        ({"profile": "kent"}, "profile: 'kent' is not a built-in profile"),
        ({"cutoff": {"time": "25:00"}}, "cutoff.time: '25:00' is not a time of day"),
        ({"panel": {"weekday": "wednesdy"}}, "panel.weekday: 'wednesdy' is not one of"),
        ({"mailbox": {"backend": "imap"}}, "mailbox.host: required for backend"),
        ({"mailbox": {"colour": "red"}}, "unknown key: mailbox.colour"),
        ({"limits": {"max_pages": "many"}}, "limits.max_pages: expected a whole number"),
        ({"panel": {"cancelled": ["not a date"]}}, "panel.cancelled[0]: 'not a date' is not a date"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_config(raw, base=tmp_path)
    assert message in str(err.value)


def test_missing_directory_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[directory]\ncsv = "nobody.csv"\n')
    with pytest.raises(ConfigError, match="directory.csv: no such file"):
        load_config(tmp_path / "config.toml", check_files=True)


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("profile = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "config.toml")


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('data_dir = "var"\n[mailbox]\npath = "mail/in"\n')
    cfg = load_config(tmp_path / "config.toml")
    assert cfg.data_dir == tmp_path / "var"
    assert cfg.mailbox.path == tmp_path / "mail" / "in"
    assert cfg.mailbox.settings.processed_path == tmp_path / "var" / "processed"
