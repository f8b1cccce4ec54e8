"""The form-level rules: completeness, documents, scope and threshold.

Pure functions of (request, attachments, profile) -> flags.  Each says in plain English
what is wrong, because the detail is what the social worker reads in the reply.
"""

from __future__ import annotations

import re
from datetime import date

from ..profiles import Advice, Exclusion, Profile
from ..parsers.request_types import mentions_any
from ..models import AttachmentInfo, Flag, Request

FIELD_NAMES = {
    "children.name": "the child's name",
    "children.dob": "the child's date of birth",
    "children.child_id": "the child's ID (LCS/ICS/EHM number)",
    "request": "what is being requested of the panel",
    "summary": "the summary of the reason for the request",
    "summary.current_situation": "the current situation",
    "summary.going_well": "what is going well",
    "summary.worried_about": "what we are worried about",
    "summary.what_needs_to_change": "what needs to change",
    "summary.other_information": "any other relevant information",
    "summary.expected_outcome": "what you expect to achieve",
    "social_worker.name": "the social worker's name",
    "social_worker.team": "the social worker's team",
    "team_manager.name": "the team manager's name",
    "service_manager.name": "the service manager's name",
    "costs": "the projected costs (weekly and total)",
    "family_network_meeting": "whether a family network meeting has taken place",
    "safety_plan": "whether a safety plan is in place",
}

DOCUMENT_NAMES = {
    "assessment": "the latest assessment",
    "care_plan": "the care plan",
    "genogram": "a genogram",
    "review_record": "the last review record",
}

# Request types that are the panel's statutory business whatever they cost: the threshold
# only governs requests that are purely about spending.
STATUTORY_TYPES = frozenset({
    "s20", "pre_proceedings", "care_proceedings", "secure_accommodation", "emergency_protection",
    "placement", "placement_change", "external_placement", "independent_assessment", "nrpf",
})


def field_name(key: str) -> str:
    return FIELD_NAMES.get(key, key.replace("_", " ").replace(".", ": "))


def missing_fields(request: Request) -> list[Flag]:
    if not request.missing:
        return []
    names = "; ".join(field_name(k) for k in request.missing)
    return [Flag("missing_fields", f"The form leaves these required answers empty: {names}.")]


def missing_documents(profile: Profile, attachments: tuple[AttachmentInfo, ...]) -> list[Flag]:
    present = {a.role for a in attachments if a.readable}
    absent = [d for d in profile.required_documents if d not in present]
    if not absent:
        return []
    names = ", ".join(DOCUMENT_NAMES.get(d, d) for d in absent)
    return [Flag("missing_documents", f"This panel needs these documents with the form, and they were not attached: {names}.")]


def out_of_scope(profile: Profile, request: Request) -> list[Flag]:
    flags = []
    seen: set[str] = set()
    for rule in profile.excluded:
        words = _excluded(rule, request)
        if words is None or rule.what in seen:
            continue
        seen.add(rule.what)
        refer = rule.refer_to_disabled if rule.refer_to_disabled and is_disabled(request) else rule.refer_to
        route = f" It goes to the {refer} instead." if refer else " Please use the appropriate route."
        why = f" (read from the words “{words}”)" if words else ""
        flags.append(Flag("out_of_scope", f"This panel does not consider {rule.what}{why}.{route}"))
    return flags


def keyword_patterns(keywords: tuple[str, ...]) -> tuple[str, ...]:
    """A profile's keywords as whole-word patterns ("SEN" is not in "present")."""
    return tuple(r"(?<!\w)" + re.escape(k) + r"(?!\w)" for k in keywords)


def request_text(request: Request) -> str:
    return " ".join(filter(None, [request.request, request.duration]))


def _excluded(rule: Exclusion, request: Request) -> str | None:
    """The words that bring the request under ``rule`` ("" for a type with no words kept), or
    None when the rule does not exclude it."""
    types = set(request.request_types)
    words = dict(request.request_type_words)
    matched: str | None = None
    by_type = sorted(types & set(rule.types))
    if by_type:
        matched = words.get(by_type[0], "")
    elif rule.keywords:
        if types & STATUTORY_TYPES:
            return None  # a statutory request that mentions, say, transport is still the panel's
        matched = mentions_any(request.request or "", keyword_patterns(rule.keywords))
    if matched is None:
        return None
    if rule.disabled_only and not is_disabled(request):
        return None
    if rule.below_total is not None:
        total = annual_cost(request, per="request")
        if total is None or total >= rule.below_total:
            return None
    if rule.shorter_than_weeks is not None:
        weeks = duration_weeks(request_text(request))
        if weeks is None or weeks >= rule.shorter_than_weeks:
            return None
    if _lifted(rule, request, types):
        return None
    return matched


def _lifted(rule: Exclusion, request: Request, types: set[str]) -> bool:
    """Every ``unless_*`` condition the rule gives holds (none given: never lifted)."""
    conditions: list[bool] = []
    if rule.unless_types:
        conditions.append(bool(types & set(rule.unless_types)))
    if rule.unless_total_over is not None:
        total = annual_cost(request, per="request")
        conditions.append(total is not None and total > rule.unless_total_over)
    if rule.unless_weeks_over is not None:
        weeks = duration_weeks(request_text(request))
        conditions.append(weeks is not None and weeks > rule.unless_weeks_over)
    if rule.unless_package:
        conditions.append(part_of_package(request))
    return bool(conditions) and all(conditions)


_PACKAGE = r"\b(?:package|as\s+part\s+of|alongside|together\s+with|in\s+addition\s+to)\b"
# Kinds of service, to tell a request for more than one service (a package) from one for one.
SERVICES = {
    "child-minding": r"child[\s-]?mind(?:ing|er)", "day care": r"day\s*care|nursery|pre-?school",
    "support worker": r"support\s+worker|family\s+support", "respite": r"respite|short\s+breaks?",
    "transport": r"transport|taxi|bus\s+pass", "home support": r"home\s+support|home\s+help",
    "mentoring": r"mentor", "therapy": r"therap|counsell", "tuition": r"tuition|tutor",
    "activities": r"after[\s-]school\s+club|activit|holiday\s+club", "parenting": r"parenting",
}


def part_of_package(request: Request) -> bool:
    """A wider package of support: the request says so ("as part of a family support
    package"), or asks for more than one kind of service ("child-minding and a support worker")."""
    text = request.request or ""
    if mentions_any(text, (_PACKAGE,)):
        return True
    return sum(1 for p in SERVICES.values() if mentions_any(text, (p,))) > 1


def annual_cost(request: Request, per: str) -> float | None:
    """The sum the threshold is measured against: a year's cost, or the request's total.

    Per year (Rules v2): the weekly cost times the weeks asked for within a year (52 when no
    weeks are given), or the total where only a total is given.  Per request: the total, or a
    weekly figure over the weeks asked for (Bexley asks for totals "to a maximum of one year").
    """
    weekly, total = request.costs.weekly, request.costs.total
    weeks = duration_weeks(request_text(request))
    if per == "year":
        if weekly is not None:
            return weekly * min(weeks if weeks is not None else 52, 52)
        return total
    if total is not None:
        return total
    return weekly * min(weeks if weeks is not None else 52, 52) if weekly is not None else None


NO_DISABILITY = re.compile(r"^\W*(?:none|no|nil|n/?a|not\s+applicable|-)\W*$", re.I)
DISABILITY_WORDS = (r"disab", r"autis", r"\bASD\b", r"cerebral\s+palsy", r"learning\s+difficult",
                    r"complex\s+(?:health\s+)?needs", r"\bSEND\b", r"downs?\W+syndrome", r"sensory\s+impair")


def is_disabled(request: Request) -> bool:
    """A disabled child (north-somerset's £2,000, the disabled-children exclusions): the form
    says so in a disability answer or column, or the request describes a disability, not
    negated ("no disability" is not one)."""
    if "respite_disability" in request.request_types:
        return True
    if any(c.disability and not NO_DISABILITY.match(c.disability) for c in request.children):
        return True
    answer = request.field("Disability") or request.field("Does the child have a disability?")
    if answer and not NO_DISABILITY.match(answer) and not re.match(r"^\W*no\b", answer, re.I):
        return True
    return mentions_any(" ".join(filter(None, [request.request, request.summary])), DISABILITY_WORDS) is not None


def below_threshold(profile: Profile, request: Request) -> list[Flag]:
    """Applies whenever the request states a cost, whatever its type (Rules v2: no request type
    skips it by name; a request with no cost at all is not judged against it)."""
    th = profile.threshold
    if th.amount <= 0:
        return []
    cost = annual_cost(request, th.per)
    if cost is None:
        return []
    limit = th.disabled_amount if (th.disabled_amount and is_disabled(request)) else th.amount
    if th.applies(cost, limit):
        return []
    basis = "a year" if th.per == "year" else "for the request"
    needs = "more than" if th.comparison == "exceeds" else "at least"
    return [Flag("below_threshold",
                 f"The cost asked for (£{cost:,.2f} {basis}) is not {needs} this panel's threshold of £{limit:,.0f}; "
                 "it can be agreed by your manager without panel.")]


def advice(profile: Profile, request: Request | None, attachments: tuple[AttachmentInfo, ...],
           panel_date: date | None) -> list[str]:
    """Warnings from the profile's ``[[advice]]``: routes the policy recommends, points the chair
    should see.  They never hold a request back."""
    if request is None:
        return []
    return [a.message for a in profile.advice if _advises(a, request, attachments, panel_date)]


def _advises(a: Advice, request: Request, attachments: tuple[AttachmentInfo, ...], panel_date: date | None) -> bool:
    if a.types or a.keywords:
        by_type = bool(set(a.types) & set(request.request_types))
        by_words = bool(a.keywords) and mentions_any(
            " ".join(filter(None, [request.request, request.summary])), keyword_patterns(a.keywords)) is not None
        if not (by_type or by_words):
            return False
    if a.age_at_least is not None:
        if panel_date is None:
            return False
        on = panel_date
        if not any(_age_on(c.dob, c.age, on) is not None and _age_on(c.dob, c.age, on) >= a.age_at_least  # type: ignore[operator]
                   for c in request.children):
            return False
    if a.extra_papers and not any(x.role != "request_form" for x in attachments):
        return False
    return True


def _age_on(dob: date | None, age: int | None, on: date) -> int | None:
    if dob is None:
        return age
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12}
_DURATION = re.compile(r"\b(\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")\s*(day|week|wk|month|year)s?\b", re.IGNORECASE)


def duration_weeks(text: str) -> float | None:
    """The longest duration the text states, in weeks ("six months" = 26)."""
    found = []
    for m in _DURATION.finditer(text or ""):
        raw = m.group(1).lower()
        n = float(_NUMBER_WORDS.get(raw, 0) or raw) if raw in _NUMBER_WORDS or raw[0].isdigit() else 0.0
        unit = m.group(2).lower()
        found.append(n * {"day": 1 / 7, "week": 1, "wk": 1, "month": 52 / 12, "year": 52}[unit])
    return max(found) if found else None
