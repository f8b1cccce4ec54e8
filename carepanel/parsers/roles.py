"""What an attachment is for (``models.ATTACHMENT_ROLES``), from its name and its words.

The keyword table is data (``roles.toml``).  The file name is tried first, for every role
in the table's order, then the first few thousand characters of the text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..models import ATTACHMENT_ROLES

TEXT_SAMPLE = 6000


@dataclass(frozen=True)
class RoleRule:
    name: str
    filename: tuple[re.Pattern[str], ...]
    text: tuple[re.Pattern[str], ...]


@cache
def role_rules() -> tuple[RoleRule, ...]:
    raw = tomllib.loads(resources.files(__package__).joinpath("roles.toml").read_text(encoding="utf-8"))
    out = []
    for item in raw["role"]:
        if item["name"] not in ATTACHMENT_ROLES:
            raise ValueError(f"roles.toml: unknown role {item['name']!r}")
        out.append(RoleRule(
            item["name"],
            tuple(re.compile(p, re.I) for p in item.get("filename", ())),
            tuple(re.compile(p, re.I) for p in item.get("text", ())),
        ))
    return tuple(out)


def role_of(filename: str, text: str | None) -> str:
    stem = re.sub(r"[_\-.+]+", " ", filename.rsplit(".", 1)[0] if "." in filename else filename)
    for rule in role_rules():
        if any(p.search(stem) for p in rule.filename):
            return rule.name
    sample = (text or "")[:TEXT_SAMPLE]
    for rule in role_rules():
        if any(p.search(sample) for p in rule.text):
            return rule.name
    return "other"
