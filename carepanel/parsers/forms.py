"""From a ``Layout`` to a ``Request``, through a council's form description (``FormSpec``).

    recognise   which council's form this is, by its ``markers`` (or none: the generic reader)
    read_fields the answers to the form's ``labels`` (fields.py)
    children    the children tables of ``options.children`` (children.py)
    to_request  the request: people, costs, summary, panel date, request types, ``missing``

The layout comes from the recognised form; the required fields come from the profile
being judged, so a Bexley form sent to North Somerset is read as Bexley's and judged by
North Somerset's rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ..profiles import FormSpec, Profile
from ..models import Costs, Request, Signatory, SourceFile, Worker
from .children import Children, build_children, read_children
from .fields import Fields, read_fields
from .labels import make_labels, normalise
from .layout import Layout
from .request_types import classify
from .values import clean, is_blank, parse_costs, parse_date, parse_money, parse_yes_no

MARKER_SHARE = 0.75  # a form is recognised when this share of its markers is found
SUMMARY_PARTS = ("current_situation", "going_well", "worried_about", "what_needs_to_change",
                 "other_information", "expected_outcome")
YES_NO_FIELDS = ("family_network_meeting", "safety_plan")
PANEL_DATE_AT_START = re.compile(r"^\W*(?:for\s+|to\s+)?(?:the\s+)?(?:panel|crp|rcp)\b[^\n]{0,60}", re.I)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
SIGNED_PLACEHOLDER = re.compile(r"^\W*(?:signature|sign(?:ed)?\s+here|unsigned|not\s+signed|awaiting|pending|to\s+follow|tbc|n/?a)\W*$", re.I)


@dataclass(frozen=True)
class Reading:
    """What was read from the document, before it is judged against a profile."""

    form: str | None
    fields: Fields
    children: Children
    aliases: Mapping[str, Sequence[str]]
    panel_date_in: tuple[str, ...]


def recognise(layout: Layout, specs: Sequence[tuple[str | None, FormSpec]]) -> tuple[str | None, FormSpec] | None:
    """The spec whose markers are found in the text, the best share first; ``None`` if none is."""
    text = normalise(layout.text())
    best: tuple[float, int] | None = None
    chosen = None
    for i, (name, spec) in enumerate(specs):
        if not spec.markers:
            continue
        share = sum(normalise(m) in text for m in spec.markers) / len(spec.markers)
        if share >= MARKER_SHARE and (best is None or (share, -i) > best):
            best, chosen = (share, -i), (name, spec)
    return chosen


def read_form(layout: Layout, name: str | None, spec: FormSpec, today: date) -> Reading:
    options = spec.options
    labels = make_labels(spec.labels)
    fields = read_fields(layout, labels, tuple(str(g) for g in options.get("guidance", ())))
    ends = tuple(lb.pattern for lb in labels if lb.context is None) if options.get("learned") else ()
    children = read_children(layout, list(options.get("children", ())), today, ends)
    if not children.children:
        single = {k.split(".", 1)[1]: fields.text(k) for k in fields.by_key if k.startswith("child.")}
        if single.get("name"):
            children = build_children([single], today)
    return Reading(
        form=name,
        fields=fields,
        children=children,
        aliases={str(k): tuple(v) for k, v in dict(options.get("aliases", {})).items()},
        panel_date_in=tuple(options.get("panel_date_in", ())),
    )


def to_request(reading: Reading, source: SourceFile, profile: Profile, today: date) -> Request:
    f = reading.fields
    request_text = f.text("request")
    costs = read_costs(f, request_text)
    panel_date, panel_warning = read_panel_date(reading, today)
    classified = classify(request_text, has_costs=bool(costs.weekly or costs.total))
    request = Request(
        source=source,
        form=reading.form,
        children=reading.children.children,
        request=request_text,
        request_types=classified.types,
        request_type_words=classified.words,
        summary=read_summary(f),
        costs=costs,
        social_worker=read_worker(f, "social_worker"),
        team_manager=read_signatory(f, "team_manager", today),
        service_manager=read_signatory(f, _senior_role(f), today),
        fields=tuple(f.by_label.items()),
        panel_date_asked=panel_date,
        duration=f.text("duration"),
        warnings=reading.children.warnings + panel_warning,
    )
    missing = tuple(key for key in profile.required_fields if is_missing(key, request, reading))
    return replace(request, missing=missing)


# --------------------------------------------------------------------------- pieces


def read_summary(f: Fields) -> str | None:
    """The whole summary: any text typed before the prompts, then each answered prompt."""
    parts = []
    lead = f.text("summary")
    if lead:
        parts.append(lead)
    for part in SUMMARY_PARTS:
        found = f.by_key.get(f"summary.{part}")
        if found and found.text:
            parts.append(f"{found.label}\n{found.text}" if found.label else found.text)
    return "\n\n".join(parts) or None


def _senior_role(f: Fields) -> str:
    """``service_manager`` holds the service manager or the head of service, whichever the form has."""
    def answered(role: str) -> bool:
        return any(f.text(f"{role}.{k}") or f.picture(f"{role}.{k}") for k in ("name", "signature"))
    return "head_of_service" if answered("head_of_service") and not answered("service_manager") else "service_manager"


def read_costs(f: Fields, request_text: str | None) -> Costs:
    """The costs question's answer; where the form has no such question, the request's words."""
    if not any(k in f.by_key for k in ("costs", "costs.weekly", "costs.total")):
        return parse_costs(request_text)
    costs = parse_costs(f.text("costs"))
    weekly = parse_money(f.text("costs.weekly"))
    total = parse_money(f.text("costs.total"))
    return Costs(weekly if weekly is not None else costs.weekly, total if total is not None else costs.total)


def read_worker(f: Fields, role: str) -> Worker:
    name, team = f.text(f"{role}.name"), f.text(f"{role}.team")
    email = f.text(f"{role}.email")
    found = EMAIL.search(" ".join(t for t in (email, name, team) if t))
    if found and name:
        name = clean(name.replace(found.group(0), "").strip(" ,;()<>")) or None
    return Worker(_one_line(name), _one_line(team), found.group(0).lower() if found else None)


def read_signatory(f: Fields, role: str, today: date) -> Signatory:
    """Signed when the signature place holds a picture or typed words (not just a date)."""
    name = _one_line(f.text(f"{role}.name"))
    typed = f.text(f"{role}.signature")
    words = clean(re.sub(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}", "", typed or "")) if typed else None
    signed_text = bool(words) and not is_blank(words) and not SIGNED_PLACEHOLDER.match(words or "")
    signed = f.picture(f"{role}.signature") or signed_text
    signed_on = parse_date(f.text(f"{role}.date"), today) or (parse_date(typed, today) if typed else None)
    if name is None and signed_text and words and len(words) <= 60:
        name = _one_line(words)
    return Signatory(name, signed, signed_on)


def _one_line(text: str | None) -> str | None:
    return clean(" ".join(text.split())) if text else None


def read_panel_date(reading: Reading, today: date) -> tuple[date | None, tuple[str, ...]]:
    written = reading.fields.text("panel_date")
    if written:
        found = parse_date(written, today)
        if found is not None:
            return found, ()
        if not is_blank(written):  # "TBC" is no date, but nothing to warn about
            return None, ("the date presented to panel could not be read as a date",)
    for key in reading.panel_date_in:
        m = PANEL_DATE_AT_START.match(reading.fields.text(key) or "")
        if m:
            found = parse_date(m.group(0), today)
            if found is not None:
                return found, ()
    return None, ()


# --------------------------------------------------------------------------- missing


def is_missing(key: str, request: Request, reading: Reading) -> bool:
    """Whether a required field ``key`` (``profiles/*.toml`` ``[fields]``) is left empty."""
    if key.startswith("children."):
        attr = key.split(".", 1)[1]
        return not request.children or any(_blank_value(getattr(c, attr, None)) for c in request.children)
    if key == "costs":
        return request.costs.weekly is None and request.costs.total is None
    if key in YES_NO_FIELDS:
        return parse_yes_no(reading.fields.text(key)) is None
    return _blank_value(_value(key, request, reading))


def _value(key: str, request: Request, reading: Reading) -> Any:
    direct: dict[str, Any] = {
        "request": request.request,
        "summary": request.summary,
        "social_worker.name": request.social_worker.name,
        "social_worker.team": request.social_worker.team,
        "social_worker.email": request.social_worker.email,
        "team_manager.name": request.team_manager.name,
        "service_manager.name": request.service_manager.name,
    }
    if key in direct:
        return direct[key]
    value = reading.fields.text(key)
    if value is None and key not in reading.fields.by_key:
        # The document has no place for this (another council's form, or a prompt deleted):
        # the answers the form description accepts in its stead.
        for alias in reading.aliases.get(key, ()):
            value = value or (request.summary if alias == "summary" else reading.fields.text(alias))
    return value


def _blank_value(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and is_blank(value)


def specs_with_names(forms: Sequence[FormSpec], profile: Profile) -> list[tuple[str | None, FormSpec]]:
    """Each spec with its profile's name; the judged profile's own form first."""
    named = [(str(s.options.get("profile")) if s.options.get("profile") else None, s) for s in forms]
    named = [(n if n else (profile.name if s == profile.form else None), s) for n, s in named]
    if not any(s == profile.form for _, s in named):
        named.insert(0, (profile.name, profile.form))
    named.sort(key=lambda ns: ns[0] != profile.name)
    return named

