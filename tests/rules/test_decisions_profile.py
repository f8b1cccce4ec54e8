"""The [decisions] and [emergency] tables as a council edits them: every rule carries its policy
words, and a mistake names the key and what it may be."""

from __future__ import annotations

import pytest

from carepanel.profiles import PROFILE_NAMES, load_profile
from carepanel.errors import ConfigError


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_decision_and_emergency_rule_carries_its_policy_words(name: str) -> None:
    p = load_profile(name)
    assert p.decisions.sources.get("outcomes") and p.decisions.sources.get("notify")
    assert p.decisions.deadlines and all(d.source for d in p.decisions.deadlines)
    assert p.emergency.source and p.emergency.authorities and all(a.source for a in p.emergency.authorities)
    assert all(w.source for w in p.emergency.windows)


@pytest.mark.parametrize("override, message", [
    ({"decisions": {"deadlines": [{"event": "uploaded", "from": "panel"}]}}, "decisions.deadlines[0]: give hours or weekday"),
    ({"decisions": {"deadlines": [{"event": "filed", "from": "panel", "hours": 4}]}},
     "decisions.deadlines[0].event: 'filed' is not one of drafted, signed, uploaded"),
    ({"decisions": {"combinations": [["approve", "return_to_panel"]]}}, "decisions.combinations[0]: a list of two or more"),
    ({"decisions": {"notify": ["the_press"]}}, "decisions.notify[0]: 'the_press' is not one of"),
    ({"emergency": {"authority": [{"roles": ["deputy_director"]}]}}, "emergency.authority[0].roles[0]: 'deputy_director' is not one of"),
    ({"emergency": {"authority": [{"roles": ["director"], "when": "sometimes"}]}},
     "emergency.authority[0].when: 'sometimes' is not one of always, high_cost, not_high_cost"),
    ({"emergency": {"window": [{"max_days": 10, "days": 3}]}}, "unknown key: emergency.window[0].days"),
])
def test_a_mistake_in_the_decision_rules_names_the_key(override: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_profile("north-somerset", override)
