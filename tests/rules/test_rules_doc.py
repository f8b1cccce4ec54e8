"""docs/rules.md is generated (scripts/rules_doc.py, or `carepanel rules --markdown`) and checked
in; this fails when it is stale, and when a rule of a profile has no conformance test."""

from __future__ import annotations

from pathlib import Path

from carepanel import rules
from carepanel.config import PROFILE_NAMES, load_profile

ROOT = Path(__file__).resolve().parents[2]


def test_docs_rules_md_is_current() -> None:
    expected = rules.markdown(rules.tests_index(ROOT / "tests" / "rules"))
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == expected, "docs/rules.md is stale: run .venv/bin/python scripts/rules_doc.py"


def test_every_intake_rule_of_every_profile_has_a_conformance_test() -> None:
    index = rules.tests_index(ROOT / "tests" / "rules")
    untested = [(name, r.id) for name in PROFILE_NAMES for r in rules.profile_rules(load_profile(name))
                if (name, r.id) not in index]
    assert untested == []
