"""The rules of a panel decision: what a record must hold, what follows from it, and when it is due.

Pure functions over frozen values; ``carepanel/jobs/decisions.py`` does the writing and signing.
The profile supplies the outcomes the panel may give, the deadlines, and the case system whose
naming the upload folder follows; none of that is written here as a council's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from ..clock import LONDON
from ..profiles import DecisionDeadline, EmergencyAuthority, Profile
from ..errors import PanelError
from . import calendar
from ..models import StaffMember

# File names as each case system's document upload expects them (from the councils' own
# guidance on naming uploads: ID first, so the system files it, then date and document type).
UPLOAD_NAMES = {
    "LCS": "{child_id}_{day:%Y%m%d}_Panel Decision.pdf",
    "EHM": "{child_id}_{day:%Y%m%d}_Panel Decision.pdf",
    "ICS": "{child_id} {day:%d-%m-%Y} Panel Decision Sheet.pdf",
    "Mosaic": "{child_id}-{day:%Y-%m-%d}-PANEL-DECISION.pdf",
    "Eclipse": "{child_id}_PanelDecision_{day:%Y-%m-%d}.pdf",
}


@dataclass(frozen=True)
class Action:
    number: int
    text: str
    owner: str
    due: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text, "owner": self.owner,
                "due": self.due.isoformat() if self.due else None}


@dataclass(frozen=True)
class DecisionRecord:
    """What the panel decided on one case, as the chair will sign it."""

    outcome: str
    rationale: str
    decisions: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    resource: str | None = None
    weekly_cost: float | None = None
    total_cost: float | None = None
    period_weeks: int | None = None
    review_date: date | None = None
    defer_to: date | None = None
    return_date: date | None = None
    return_frequency: str | None = None
    members: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    dissent: tuple[str, ...] = ()
    unmet_need: str | None = None
    emergency: bool = False
    decided_by: str | None = None  # for an emergency decision, who made it (names joined with " and ")
    # Further outcomes recorded with ``outcome`` where the profile allows (bexley: approved and
    # return to panel); ``outcome`` stays the first, the one the decision is filed under.
    more_outcomes: tuple[str, ...] = ()
    decided_on: date | None = None  # for an emergency decision, the day it was made
    high_cost: bool = False  # for an emergency decision: said to be a high-cost placement
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> tuple[str, ...]:
        return (self.outcome, *self.more_outcomes)

    def to_json(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "outcome": self.outcome, "rationale": self.rationale, "decisions": list(self.decisions),
            "actions": [a.to_json() for a in self.actions], "resource": self.resource,
            "weekly_cost": self.weekly_cost, "total_cost": self.total_cost, "period_weeks": self.period_weeks,
            "review_date": iso(self.review_date), "defer_to": iso(self.defer_to), "return_date": iso(self.return_date),
            "return_frequency": self.return_frequency, "members": list(self.members), "conflicts": list(self.conflicts),
            "dissent": list(self.dissent), "unmet_need": self.unmet_need, "emergency": self.emergency,
            "decided_by": self.decided_by, "outcomes": list(self.outcomes), "decided_on": iso(self.decided_on),
            "high_cost": self.high_cost,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DecisionRecord:
        def day(v: str | None) -> date | None:
            return date.fromisoformat(v) if v else None

        return cls(
            outcome=d["outcome"], rationale=d["rationale"], decisions=tuple(d.get("decisions") or ()),
            actions=tuple(Action(a["number"], a["text"], a["owner"], day(a.get("due"))) for a in d.get("actions") or ()),
            resource=d.get("resource"), weekly_cost=d.get("weekly_cost"), total_cost=d.get("total_cost"),
            period_weeks=d.get("period_weeks"), review_date=day(d.get("review_date")), defer_to=day(d.get("defer_to")),
            return_date=day(d.get("return_date")), return_frequency=d.get("return_frequency"),
            members=tuple(d.get("members") or ()), conflicts=tuple(d.get("conflicts") or ()),
            dissent=tuple(d.get("dissent") or ()), unmet_need=d.get("unmet_need"), emergency=bool(d.get("emergency")),
            decided_by=d.get("decided_by"), more_outcomes=tuple((d.get("outcomes") or [d["outcome"]])[1:]),
            decided_on=day(d.get("decided_on")), high_cost=bool(d.get("high_cost")),
        )


def validate(profile: Profile, record: DecisionRecord) -> None:
    """Refuse a record the chair could not sign: an outcome this panel does not give, outcomes
    it does not give together, or one that needs a date it lacks."""
    rules = profile.decisions
    offered = ", ".join(rules.outcomes)
    for outcome in record.outcomes:
        if outcome not in rules.outcomes:
            raise PanelError(f"outcome {outcome!r} is not one this panel gives ({offered})")
    if len(set(record.outcomes)) != len(record.outcomes):
        raise PanelError("an outcome is given twice")
    if len(record.outcomes) > 1 and frozenset(record.outcomes) not in rules.combinations:
        allowed = "; ".join(" and ".join(sorted(c)) for c in rules.combinations) or "none: one outcome only"
        raise PanelError(f"{' and '.join(record.outcomes)} cannot be recorded together on this panel "
                         f"(outcomes it gives together: {allowed})")
    if not record.rationale.strip():
        raise PanelError("the rationale is required: the record must say why")
    if "defer" in record.outcomes and not record.defer_to:
        raise PanelError("a deferral names the panel it goes to: give --defer-to YYYY-MM-DD")
    if "return_to_panel" in record.outcomes and not (record.return_date or record.return_frequency or record.review_date):
        raise PanelError("return to panel needs a date or a frequency")
    if record.return_frequency:
        frequency(record.return_frequency)
    for cost in (record.weekly_cost, record.total_cost):
        if cost is not None and cost < 0:
            raise PanelError("costs cannot be negative")


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1}
_UNITS = {"day": "days", "week": "weeks", "fortnight": "fortnights", "month": "months", "year": "years"}
_ADVERBS = {"weekly": relativedelta(weeks=1), "fortnightly": relativedelta(weeks=2), "monthly": relativedelta(months=1),
            "quarterly": relativedelta(months=3), "six-monthly": relativedelta(months=6), "annually": relativedelta(years=1),
            "yearly": relativedelta(years=1)}


def frequency(text: str) -> relativedelta:
    """A return-to-panel frequency as an interval: "every 3 months", "every six weeks",
    "quarterly".  Hand-written: the phrases are few and a recurrence library (RRULE) reads
    none of them; anything else is refused with the forms it takes."""
    words = " ".join(text.lower().replace("-", " - ").split()).replace(" - ", "-")
    if words in _ADVERBS:
        return _ADVERBS[words]
    m = re.fullmatch(r"(?:every|each)\s+(?:(\d+|[a-z]+)\s+)?(day|week|fortnight|month|year)s?", words)
    if m:
        count = m.group(1)
        n = 1 if count is None else int(count) if count.isdigit() else _NUMBERS.get(count, 0)
        if 1 <= n <= 60:
            unit = _UNITS[m.group(2)]
            if unit == "fortnights":
                return relativedelta(weeks=2 * n)
            return relativedelta(**{unit: n})
    raise PanelError(f"return frequency {text!r}: write it like 'every 3 months', 'every six weeks' or 'quarterly'")


def approved_spending(profile: Profile, record: DecisionRecord) -> bool:
    """Costs on this record are approved spending: any of its outcomes approves (approved,
    alternative resource approved, approved with a return to panel) and a cost is named."""
    approves = any(o in profile.decisions.approving for o in record.outcomes)
    return approves and (record.weekly_cost is not None or record.total_cost is not None)


def annual_total(record: DecisionRecord) -> float | None:
    if record.total_cost is not None:
        return record.total_cost
    if record.weekly_cost is not None:
        return round(record.weekly_cost * (record.period_weeks or 52), 2)
    return None


def follow_ups(profile: Profile, record: DecisionRecord, decided_on: date, request_types: tuple[str, ...] = ()
               ) -> list[tuple[date, str, str]]:
    """The later panels this decision brings the child back to: (sitting, kind, reason).

    A date asked for books the first sitting on or after it, so a review never falls on a day
    the panel does not sit; a frequency ("every 3 months") books the first sitting after the
    interval.  Pre-proceedings cases come back within the profile's window (North Somerset:
    8 to 10 weeks), at the first sitting inside it.
    """
    wanted: list[tuple[date, str, str]] = []
    if record.review_date:
        wanted.append((record.review_date, "review", f"Review set by the panel on {decided_on:%d/%m/%Y}"))
    if "defer" in record.outcomes and record.defer_to:
        wanted.append((record.defer_to, "review", f"Deferred by the panel on {decided_on:%d/%m/%Y}"))
    if "return_to_panel" in record.outcomes and record.return_date:
        wanted.append((record.return_date, "review", f"Return to panel set on {decided_on:%d/%m/%Y}"))
    if "return_to_panel" in record.outcomes and record.return_frequency and not record.return_date:
        after = decided_on + frequency(record.return_frequency)
        wanted.append((after, "review", f"Return to panel {record.return_frequency}, set on {decided_on:%d/%m/%Y}"))
    weeks = profile.decisions.pre_proceedings_review_weeks
    if weeks and "pre_proceedings" in request_types and any(o in profile.decisions.approving for o in record.outcomes):
        start = decided_on + timedelta(weeks=min(weeks))
        wanted.append((start, "pre_proceedings_review",
                       f"Pre-proceedings review at {min(weeks)}–{max(weeks)} weeks (PLO agreed {decided_on:%d/%m/%Y})"))
    out = []
    for day, kind, reason in wanted:
        sitting = first_sitting_on_or_after(profile, day)
        if sitting is not None:
            out.append((sitting, kind, reason))
    return out


def next_review(follow: list[tuple[date, str, str]]) -> date | None:
    """The date the decision sheet gives as the next panel review: the earliest booked."""
    return min((day for day, _, _ in follow), default=None)


def first_sitting_on_or_after(profile: Profile, day: date) -> date | None:
    found = calendar.sittings(profile, day, day + timedelta(days=120))
    return found[0] if found else None


def due(deadline: DecisionDeadline, base: datetime) -> datetime:
    """When ``deadline`` falls, counted from ``base``: hours after it, or the end of the first
    named weekday after its day (Swindon: "no later than the Wednesday following panel")."""
    if deadline.hours is not None:
        return base + timedelta(hours=deadline.hours)
    day = base.astimezone(LONDON).date()
    days = ((deadline.weekday or 0) - day.weekday()) % 7 or 7
    return datetime.combine(day + timedelta(days=days), time(23, 59), tzinfo=LONDON)


def deadlines(profile: Profile, panel_date: date, *, drafted_at: datetime | None,
              signed_at: datetime | None) -> dict[str, datetime]:
    """What is due when, for one decision: event (drafted, signed, uploaded) -> deadline, each
    counted from what the policy says (the end of the sitting, the draft, the signature).  A
    deadline counted from something that has not happened yet is not due yet, so is left out."""
    bases = {"panel": calendar.panel(profile, panel_date).ends_at, "drafted": drafted_at, "signed": signed_at}
    out: dict[str, datetime] = {}
    for d in profile.decisions.deadlines:
        base = bases[d.base]
        if base is None:
            continue
        at = due(d, base)
        out[d.event] = min(out[d.event], at) if d.event in out else at
    return out


def upload_deadline(profile: Profile, panel_date: date, signed_at: datetime) -> datetime | None:
    """When the signed record must be on the child's file, by the profile's deadlines."""
    return deadlines(profile, panel_date, drafted_at=None, signed_at=signed_at).get("uploaded")


def draft_deadline(profile: Profile, panel_ends: datetime) -> datetime | None:
    hours = profile.decisions.draft_within_hours
    return panel_ends + timedelta(hours=hours) if hours else None


def sitting_started(profile: Profile, panel_date: date, now: datetime) -> bool:
    """A decision is recorded or signed only once its sitting has begun (``not_yet_sat``)."""
    return now >= calendar.panel(profile, panel_date).starts_at


# --------------------------------------------------------------------------- roles

# Until the directory holds several roles a person (``role`` column, ``;`` between them), a
# member's roles are read from that one string; where it already holds a tuple ``roles``, that.
SENIORITY = ("team_manager", "service_manager", "head_of_service", "assistant_director", "director")


def roles_of(member: StaffMember) -> frozenset[str]:
    many = getattr(member, "roles", None)
    if many:
        return frozenset(many)
    return frozenset(r.strip() for r in member.role.split(";") if r.strip())


def has_role(member: StaffMember | None, *roles: str) -> bool:
    return member is not None and bool(roles_of(member) & set(roles))


def _satisfies(held: frozenset[str], role: str) -> bool:
    """A more senior manager satisfies a junior requirement (contract v2, "People and roles")."""
    if role in held:
        return True
    if role in SENIORITY:
        return any(h in SENIORITY and SENIORITY.index(h) > SENIORITY.index(role) for h in held)
    return False


def is_high_cost(profile: Profile, record: DecisionRecord) -> bool:
    rules = profile.emergency
    if record.high_cost:
        return True
    if rules.high_cost_weekly is not None and record.weekly_cost is not None and record.weekly_cost >= rules.high_cost_weekly:
        return True
    total = annual_total(record)
    return rules.high_cost_total is not None and total is not None and total >= rules.high_cost_total


def _mentions(text: str, keywords: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(k)}\b", text) for k in keywords)


def _authority_applies(a: EmergencyAuthority, high_cost: bool, text: str) -> bool:
    if a.keywords and not _mentions(text, a.keywords):
        return False
    return a.when == "always" or (a.when == "high_cost") == high_cost


def _covers(a: EmergencyAuthority, people: list[frozenset[str]]) -> bool:
    """Each role of the authority held by a different person (two roles, two people)."""

    def assign(i: int, used: frozenset[int]) -> bool:
        if i == len(a.roles):
            return True
        return any(n not in used and _satisfies(held, a.roles[i]) and assign(i + 1, used | {n})
                   for n, held in enumerate(people))

    return assign(0, frozenset())


def check_emergency(profile: Profile, record: DecisionRecord, deciders: list[tuple[str, StaffMember | None]],
                    about: str, today: date) -> None:
    """Refuse an emergency decision the profile does not let these people make, or one recorded
    later than its retrospective window allows (code ``not_authorised``, with the reason)."""
    rules = profile.emergency
    if not deciders:
        raise PanelError("name who made the decision (--decided-by)", code="not_authorised")
    decided_on = record.decided_on or today
    if decided_on > today:
        raise PanelError(f"the decision date {decided_on:%d/%m/%Y} is in the future", code="not_authorised")
    text = about.lower()
    for window in rules.windows:
        if window.keywords and not _mentions(text, window.keywords):
            continue
        age = (today - decided_on).days
        if age > window.max_days:
            raise PanelError(f"made on {decided_on:%d/%m/%Y}, {age} days ago: this panel takes such a decision no more "
                             f"than {window.max_days} days in retrospect (\"{window.source}\")", code="not_authorised")
    if not rules.authorities:
        return
    high = is_high_cost(profile, record)
    applicable = [a for a in rules.authorities if _authority_applies(a, high, text)]
    allowed = {r for a in applicable for r in a.roles}
    people = []
    for name, member in deciders:
        held = roles_of(member) if member is not None else frozenset()
        if member is None:
            raise PanelError(f"{name} is not in the staff directory, so cannot authorise a decision outside panel",
                             code="not_authorised")
        if not any(_satisfies(held, r) for r in allowed):
            raise PanelError(f"{name} ({', '.join(sorted(held))}) may not authorise a decision outside panel here: "
                             f"{_who(applicable)} (\"{rules.source}\")", code="not_authorised")
        people.append(held)
    if not any(_covers(a, people) for a in applicable):
        raise PanelError(f"a decision outside panel{' for a high-cost placement' if high else ''} needs {_who(applicable)}; "
                         f"given {' and '.join(n for n, _ in deciders)} (\"{rules.source}\")", code="not_authorised")


def _who(authorities: list[EmergencyAuthority]) -> str:
    return " or ".join(" and ".join("a " + r.replace("_", " ") for r in a.roles) for a in authorities) or "no one"


def upload_name(case_system: str, child_id: str | None, day: date) -> str:
    """The signed PDF's name as the case system's upload expects it; unsafe characters removed."""
    pattern = UPLOAD_NAMES.get(case_system, UPLOAD_NAMES["LCS"])
    safe_id = re.sub(r"[^A-Za-z0-9-]", "", child_id or "") or "NOID"
    return pattern.format(child_id=safe_id, day=day)


def outcome_label(profile: Profile, record: DecisionRecord) -> str:
    labels = profile.decisions.labels
    return " and ".join(labels.get(o, o) for o in record.outcomes)


def case_note(profile: Profile, record: DecisionRecord, panel_date: date, chair: str, child_ref: str,
              review: date | None = None) -> str:
    """The text an administrator pastes into the child's case notes beside the upload."""
    lines = [f"{profile.title} {panel_date:%d/%m/%Y}: {outcome_label(profile, record)}.", f"Child: {child_ref}.",
             f"Reason: {record.rationale}"]
    if record.resource:
        cost = f" (£{record.weekly_cost:,.2f} a week)" if record.weekly_cost is not None else ""
        lines.append(f"Approved: {record.resource}{cost}.")
    review = review or record.review_date
    if review:
        lines.append(f"Next panel review: {review:%d/%m/%Y}.")
    for a in record.actions:
        lines.append(f"Action {a.number}: {a.text} ({a.owner}{', by ' + a.due.strftime('%d/%m/%Y') if a.due else ''}).")
    lines.append(f"Decision sheet signed by {chair}; the signed PDF is uploaded to the forms section.")
    return "\n".join(lines) + "\n"
