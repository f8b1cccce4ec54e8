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

from ..models import REQUEST_TYPES


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


# A mention is negated when a negating word opens its clause at most four words before it:
# "there are no care proceedings", "not subject to a child protection plan", "no disability".
NEGATION = re.compile(r"\b(?:no|not|never|without|nor|neither|none)\b(?:\s+[\w'’-]+){0,4}?\s*$", re.I)
# ... and a mention joined to a negated one by "or"/"nor": "not subject to a child protection
# plan or care proceedings", "no respite nor short breaks".
NEGATED_LIST = re.compile(r"\b(?:no|not|never|without|nor|neither)\b(?:\s+[\w'’-]+){0,6}?\s+(?:or|nor)\s+(?:[\w'’-]+\s+){0,2}$",
                          re.I)
CLAUSE_END = re.compile(r"[.;:!?\n()]|\bbut\b|\bhowever\b", re.I)


def negated(text: str, start: int) -> bool:
    """Whether the words just before ``start`` (in the same clause) negate what follows."""
    before = text[max(0, start - 80):start]
    ends = list(CLAUSE_END.finditer(before))
    if ends:
        before = before[ends[-1].end():]
    return bool(NEGATION.search(before) or NEGATED_LIST.search(before))


def first_mention(text: str, pattern: re.Pattern[str] | str) -> str | None:
    """The first unnegated match of ``pattern`` in ``text``, as written; None when there is none."""
    compiled = _compile(pattern) if isinstance(pattern, str) else pattern
    for m in compiled.finditer(text or ""):
        if not negated(text, m.start()):
            return _whole_words(text, m)
    return None


def _whole_words(text: str, m: re.Match[str]) -> str:
    """The match widened to whole words ("autis" -> "autism"), as it is shown to people."""
    end = m.end()
    while end < len(text) and (text[end].isalnum() or text[end] in "-'’"):
        end += 1
    return text[m.start():end]


def mentions_any(text: str | None, patterns: tuple[str, ...]) -> str | None:
    """The words of the first unnegated mention of any of ``patterns`` (plain words or regular
    expressions), for a rule to say what made it apply."""
    for p in patterns:
        found = first_mention(text or "", p)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Classified:
    """The request's types, and for each the words that made it (shown to administrators)."""

    types: tuple[str, ...]
    words: tuple[tuple[str, str], ...]


def classify_request(text: str | None, *, has_costs: bool = False) -> tuple[str, ...]:
    """The request's types in the contract's order; ``("other",)`` when nothing matches.

    ``has_costs``: the form states an amount, which makes a request with no statutory type
    an ``expenditure`` one even if its words do not say so.
    """
    return classify(text, has_costs=has_costs).types


def classify(text: str | None, *, has_costs: bool = False) -> Classified:
    """As ``classify_request``, keeping the words that decided each type.  A negated mention
    ("there are no care proceedings") is blanked out like a consumed one and decides nothing."""
    text = (text or "")[:20000]
    found: dict[str, str] = {}
    for rule in rules():
        hit, text = _apply(rule, text)
        if hit and not set(found).intersection(rule.unless):
            found[rule.name] = hit
    if has_costs and "expenditure" not in found and not set(found).intersection(_expenditure_unless()):
        found["expenditure"] = "a cost stated on the form"
    types = tuple(t for t in REQUEST_TYPES if t in found) or ("other",)
    return Classified(types, tuple((t, found[t]) for t in types if t in found))


def _blank(text: str, m: re.Match[str]) -> str:
    return text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def _apply(rule: Rule, text: str) -> tuple[str | None, str]:
    """The words that made ``rule`` apply (None when it does not), and the text left for the
    rules below: negated mentions are always blanked, consumed ones when they count."""
    if rule.all:
        words = []
        for group in rule.all:
            hit = next((w for w in (first_mention(text, p) for p in group) if w), None)
            if hit is None:
                return None, text
            words.append(hit)
        return " … ".join(words), text
    hit: str | None = None
    for pattern in rule.any:
        for m in list(pattern.finditer(text)):
            if negated(text, m.start()):
                if rule.consume:
                    text = _blank(text, m)
                continue
            hit = hit or _whole_words(text, m)
            if rule.consume:
                text = _blank(text, m)
    return hit, text
@cache
def _expenditure_unless() -> frozenset[str]:
    return frozenset(next((r.unless for r in rules() if r.name == "expenditure"), ()))
