"""Adding a council is dropping its TOML beside the others: profiles are found, not listed.
And one model checks the whole profile, [decisions] and [emergency] included, so a mistake
there names its key and the published schema catches it in an editor too."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import click
import pytest

from carepanel.cli import main
from carepanel.errors import ConfigError
from carepanel.profiles import PROFILE_NAMES, builtin_directory, json_schema, load_profile, profile_names

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / ".." / "shared" / "contract" / "README.md"


def council_folder(tmp_path: Path, *names: str) -> Path:
    """A profiles folder holding swindon's rules under each of ``names`` (and a file that is not
    a profile)."""
    text = builtin_directory().joinpath("swindon.toml").read_text(encoding="utf-8")
    for name in names:
        (tmp_path / f"{name}.toml").write_text(text.replace('name = "swindon"', f'name = "{name}"', 1), encoding="utf-8")
    (tmp_path / "profile.schema.json").write_text("{}", encoding="utf-8")
    return tmp_path


def test_a_toml_dropped_into_the_profiles_folder_is_a_profile(tmp_path: Path) -> None:
    folder = council_folder(tmp_path, "wiltshire", "north-somerset", "bath")
    assert profile_names(folder) == ("north-somerset", "bath", "wiltshire")
    wiltshire = load_profile("wiltshire", directory=folder)
    assert wiltshire.name == "wiltshire" and wiltshire.threshold.amount == load_profile("swindon").threshold.amount


def test_a_name_with_no_toml_is_refused_naming_those_there_are(tmp_path: Path) -> None:
    folder = council_folder(tmp_path, "wiltshire")
    with pytest.raises(ConfigError, match=r"profile: 'kent' is not a built-in profile \(wiltshire\)"):
        load_profile("kent", directory=folder)


def test_the_builtin_profiles_are_found_in_the_contracts_order() -> None:
    """The default first, then by name: the order the contract lists them in, and the order in
    which equally matching built-in forms are tried."""
    listed = re.search(r"Built-in profile names.*?:\n(.*?)\n\n", CONTRACT.read_text(encoding="utf-8"), re.S)
    assert listed, "the contract's list of built-in profile names"
    contract = tuple(re.findall(r"`([a-z-]+)`", listed.group(1)))
    assert tuple(n for n in PROFILE_NAMES if n in contract) == contract  # a council added later may sit between
    assert PROFILE_NAMES[0] == contract[0] == "north-somerset" and PROFILE_NAMES == profile_names()


def test_the_command_lines_profile_choice_is_the_profiles_found() -> None:
    option = next(p for p in main.params if p.name == "profile")
    assert isinstance(option.type, click.Choice) and tuple(option.type.choices) == profile_names()


@pytest.mark.parametrize(("override", "message"), [
    ({"decisions": {"pre_proceedings_review_weeks": ["soon"]}},
     "decisions.pre_proceedings_review_weeks[0]: expected a whole number, got 'soon'"),
    ({"decisions": {"labels": {"approve": 3}}}, "decisions.labels.approve: expected a string, got 3"),
    ({"decisions": {"upload_within_hours": "two days"}}, "decisions.upload_within_hours: expected a whole number, got 'two days'"),
    ({"decisions": {"labels": {"return_to_panel": "Back to panel"}}},
     "decisions.labels: 'return_to_panel' is not one of this profile's outcomes"),
    ({"emergency": {"window": [{"max_days": 10, "keywords": ["respite", 7]}]}}, "emergency.window[0].keywords[1]: expected a string, got 7"),
    ({"emergency": {"authority": [{"roles": ["director"], "source": ["the policy"]}]}}, "emergency.authority[0].source: expected a string, got ['the policy']"),
])
def test_a_mistake_in_decisions_or_emergency_names_its_key(override: dict, message: str) -> None:
    """The first two were let through before one model checked these tables (a review week
    given as a word was kept as it was; a label given as a number was turned into text)."""
    with pytest.raises(ConfigError) as err:
        load_profile("north-somerset", override)
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize(("section", "bad"), [
    ("decisions", {"notify": ["the_press"]}),
    ("decisions", {"deadlines": [{"event": "filed", "from": "panel", "hours": 4}]}),
    ("decisions", {"signing_keyfile": "seal.p12"}),
    ("emergency", {"authority": [{"roles": ["director"], "when": "sometimes"}]}),
    ("emergency", {"window": [{"max_days": -1}]}),
])
def test_the_published_schema_checks_decisions_and_emergency_too(section: str, bad: dict) -> None:
    """What an editor checks against profile.schema.json: a wrong [decisions] or [emergency] key
    is marked there, before the service ever reads it."""
    jsonschema = pytest.importorskip("jsonschema")
    data = tomllib.loads(builtin_directory().joinpath("north-somerset.toml").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))
    jsonschema.validate(data, json_schema())
    data[section] = {**data[section], **bad}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())
