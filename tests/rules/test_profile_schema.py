"""The profile format: validated by the pydantic model with messages naming the key and the
values allowed; its JSON Schema is published beside the profiles and kept current."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from carepanel.config import build_config
from carepanel.errors import ConfigError
from carepanel.profiles import PROFILE_NAMES, json_schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import profile_schema  # noqa: E402


def test_the_published_json_schema_is_current() -> None:
    current = (ROOT / "carepanel" / "profiles" / "profile.schema.json").read_text(encoding="utf-8")
    assert current == profile_schema.text(), "stale: run .venv/bin/python scripts/profile_schema.py"


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_builtin_profile_is_valid_against_the_published_schema(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = tomllib.loads((ROOT / "carepanel" / "profiles" / f"{name}.toml").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # TOML times and dates as the strings they were written as
    jsonschema.validate(data, json_schema())


@pytest.mark.parametrize(("raw", "message"), [
    ({"signoff": {"requires": [{"role": "boss", "evidence": ["form_signature"]}]}},
     "signoff.requires[0].role: 'boss' is not one of assistant_team_manager, team_manager, service_manager, "
     "head_of_service, assistant_director, director"),
    ({"threshold": {"comparison": "more"}}, "threshold.comparison: 'more' is not one of exceeds, at_least"),
    ({"cutoff": {"late": "maybe"}}, "cutoff.late: 'maybe' is not one of chair_may_accept, refuse"),
    ({"scope": {"excluded": [{"what": "x", "types": ["holidays"]}]}}, "scope.excluded[0].types[0]: 'holidays' is not one of s20,"),
    ({"scope": {"excluded": [{"what": "x", "unles_types": ["s20"]}]}}, "unknown key: scope.excluded[0].unles_types"),
    ({"advice": [{"what": "x"}]}, "advice[0].message: required key is missing"),
    ({"papers_out": {"min_hours_after_cutoff": -1}}, "papers_out.min_hours_after_cutoff:"),
    ({"signoff": {"requires": [{"role": "director", "evidence": ["form_signature"], "when_words": ["(unclosed"]}]}},
     "signoff.requires[0].when_words: '(unclosed' is not a regular expression"),
])
def test_a_bad_rule_names_the_key_and_the_values_allowed(tmp_path: Path, raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_config({"profile": "swindon", **raw}, base=tmp_path)
    assert message in str(err.value)
