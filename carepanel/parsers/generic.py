"""The generic reader: a layout that is no council's known form, read through synonyms.

The vocabulary is data (``synonyms.toml``): "LCS number", "Child ID" and "ICS ID" all fill
the child's ID.  A document is taken as a request form only when it names a request or a
child, and says at least one more thing a request form says (a child, a request, a summary,
a social worker or a manager); otherwise it is ``NotARequestForm``.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from importlib import resources

from ..profiles import FormSpec
from ..errors import NotARequestForm
from .forms import Reading, read_form
from .layout import Layout

EVIDENCE = ("request", "summary", "social_worker.name", "team_manager.name", "service_manager.name")


@cache
def generic_spec() -> FormSpec:
    raw = tomllib.loads(resources.files(__package__).joinpath("synonyms.toml").read_text(encoding="utf-8"))
    return FormSpec(
        template=None,
        markers=(),
        labels={str(k): str(v) for k, v in raw["labels"].items()},
        options={"children": raw.get("children", []), "panel_date_in": ["request"],
                 "aliases": {"summary.current_situation": ["summary"]}},
    )


def read_generic(layout: Layout, today: date) -> Reading:
    reading = read_form(layout, None, generic_spec(), today)
    has_child = bool(reading.children.children)
    has_request = reading.fields.text("request") is not None
    evidence = int(has_child) + sum(reading.fields.text(k) is not None for k in EVIDENCE)
    if not (has_child or has_request) or evidence < 2:
        raise NotARequestForm("the document does not read as a panel request form")
    return reading
