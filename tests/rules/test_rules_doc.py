"""docs/rules.md is generated (scripts/rules_doc.py, or `carepanel rules --markdown`) and checked
in; this fails when it is stale, and when a rule of a profile has no conformance test."""

from __future__ import annotations

from pathlib import Path

import pytest

from carepanel import rules
from carepanel.profiles import PROFILE_NAMES, load_profile

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


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_decision_and_emergency_rule_has_policy_words_and_a_test_that_proves_it(name: str) -> None:
    index = rules.tests_index(ROOT / "tests" / "rules")
    found = [r for r in rules.profile_rules(load_profile(name)) if r.section in (rules.DECISIONS, rules.EMERGENCY)]
    ids = {r.id for r in found}
    assert {"decisions.outcomes", "decisions.notify", "decisions.signing", "decisions.sitting",
            "emergency.record"} <= ids and any(i.startswith("decisions.deadline.") for i in ids)
    assert any(i.startswith("emergency.authority.") for i in ids)
    assert [r.id for r in found if not r.source.strip()] == [], "a decision rule without the policy's words"
    assert [r.id for r in found if (name, r.id) not in index] == [], "a decision rule no test proves"


def test_docs_rules_md_has_the_decision_and_emergency_sections_with_their_tests() -> None:
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    bexley = doc[doc.index("## bexley"):doc.index("## care-planning-resources")]
    decisions = bexley[bexley.index("### Decisions"):bexley.index("### Emergency decisions outside panel")]
    row = next(line for line in decisions.splitlines() if line.startswith("| `decisions.combinations`"))
    assert "reviewed again by the panel, with a date and/or frequency specified" in row
    assert "test_decisions_bexley.py::test_bexley_1_20_approved_and_return_to_panel_every_three_months" in row
    swindon = doc[doc.index("## swindon"):]
    emergency = swindon[swindon.index("### Emergency decisions outside panel"):]
    row = next(line for line in emergency.splitlines() if line.startswith("| `emergency.authority.2`"))
    assert "test_swindon_9_a_high_cost_placement_needs_the_director" in row and "high cost placements" in row
