"""What kind of request a form makes, in the contract's vocabulary, from its words.

The rules are data (``request_types.toml``): a council that words things differently edits
the table, not this code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..pipeline.models import REQUEST_TYPES


@dataclass(frozen=True)
class Rule:
    name: str
    any: tuple[re.Pattern[str], ...] = ()
    all: tuple[tuple[re.Pattern[str], ...], ...] = ()
    consume: bool = False
    unless: tuple[str, ...] = ()


@cache
def rules() -> tuple[Rule, ...]:
    raw = tomllib.loads(resources.files(__package__).joinpath("request_types.toml").read_text(encoding="utf-8"))
    out = []
    for item in raw["type"]:
        if item["name"] not in REQUEST_TYPES:
            raise ValueError(f"request_types.toml: unknown type {item['name']!r}")
        out.append(Rule(
            name=item["name"],
            any=tuple(_compile(p) for p in item.get("any", ())),
            all=tuple(tuple(_compile(p) for p in group) for group in item.get("all", ())),
            consume=bool(item.get("consume", False)),
            unless=tuple(item.get("unless", ())),
        ))
    return tuple(out)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def classify_request(text: str | None, *, has_costs: bool = False) -> tuple[str, ...]:
    """The request's types in the contract's order; ``("other",)`` when nothing matches.

    ``has_costs``: the form states an amount, which makes a request with no statutory type
    an ``expenditure`` one even if its words do not say so.
    """
    text = (text or "")[:20000]
    found: set[str] = set()
    for rule in rules():
        hit, text = _apply(rule, text)
        if hit and not found.intersection(rule.unless):
            found.add(rule.name)
    if has_costs and not found.intersection(_expenditure_unless()):
        found.add("expenditure")
    return tuple(t for t in REQUEST_TYPES if t in found) or ("other",)


def _apply(rule: Rule, text: str) -> tuple[bool, str]:
    if rule.all:
        return all(any(p.search(text) for p in group) for group in rule.all), text
    hit = False
    for pattern in rule.any:
        if pattern.search(text):
            hit = True
            if rule.consume:
                text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return hit, text


@cache
def _expenditure_unless() -> frozenset[str]:
    return frozenset(next((r.unless for r in rules() if r.name == "expenditure"), ()))
