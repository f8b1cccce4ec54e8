"""The form-level rules: completeness, documents, scope and threshold.

Pure functions of (request, attachments, profile) -> flags.  Each says in plain English
what is wrong, because the detail is what the social worker reads in the reply.
"""

from __future__ import annotations

import re

from ..config import Exclusion, Profile
from .models import AttachmentInfo, Flag, Request

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
    return [
        Flag("out_of_scope", f"This panel does not consider {rule.what}; please use the appropriate route.")
        for rule in profile.excluded
        if _excluded(rule, request)
    ]


def _excluded(rule: Exclusion, request: Request) -> bool:
    types = set(request.request_types)
    if rule.unless_types and types & set(rule.unless_types):
        return False
    if rule.types and types & set(rule.types):
        return True
    if not rule.keywords:
        return False
    text = (request.request or "").lower()
    if not any(k in text for k in rule.keywords):
        return False
    if types & STATUTORY_TYPES:
        return False
    if rule.below_total is not None:
        total = annual_cost(request, per="request")
        return total is not None and total < rule.below_total
    if rule.shorter_than_weeks is not None:
        weeks = duration_weeks(" ".join(filter(None, [request.duration, request.request])))
        return weeks is not None and weeks < rule.shorter_than_weeks
    return True


def annual_cost(request: Request, per: str) -> float | None:
    """The sum the threshold is measured against: a year's cost, or the request's total.

    Bexley asks for totals "to a maximum of one year", so a weekly figure stands for 52
    weeks when no total is given.
    """
    weekly, total = request.costs.weekly, request.costs.total
    if per == "year":
        if weekly is not None:
            return weekly * 52
        return total
    if total is not None:
        return total
    return weekly * 52 if weekly is not None else None


def is_disabled(request: Request) -> bool:
    if "respite_disability" in request.request_types:
        return True
    return any(c.disability and c.disability.strip().lower() not in {"no", "none", "n/a", "na", "-"}
               for c in request.children)


def below_threshold(profile: Profile, request: Request) -> list[Flag]:
    th = profile.threshold
    if th.amount <= 0 or set(request.request_types) & STATUTORY_TYPES:
        return []
    if "expenditure" not in request.request_types:
        return []
    cost = annual_cost(request, th.per)
    if cost is None:
        return []
    limit = th.disabled_amount if (th.disabled_amount and is_disabled(request)) else th.amount
    if cost >= limit:
        return []
    basis = "a year" if th.per == "year" else "for the request"
    return [Flag("below_threshold",
                 f"The cost asked for (£{cost:,.2f} {basis}) is under this panel's threshold of £{limit:,.0f}; "
                 "it can be agreed by your manager without panel.")]


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(day|week|wk|month|year)s?", re.IGNORECASE)


def duration_weeks(text: str) -> float | None:
    m = _DURATION.search(text or "")
    if not m:
        return None
    n = float(m.group(1))
    unit = m.group(2).lower()
    return n * {"day": 1 / 7, "week": 1, "wk": 1, "month": 52 / 12, "year": 52}[unit]
