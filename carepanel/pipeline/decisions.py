"""The rules of a panel decision: what a record must hold, what follows from it, and when it is due.

Pure functions over frozen values; ``carepanel/decisions.py`` does the writing and signing.
The profile supplies the outcomes the panel may give, the deadlines, and the case system whose
naming the upload folder follows; none of that is written here as a council's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..config import Profile
from ..errors import PanelError
from . import calendar

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
    decided_by: str | None = None  # for an emergency decision, who made it
    extra: dict[str, Any] = field(default_factory=dict)

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
            "decided_by": self.decided_by,
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
            decided_by=d.get("decided_by"),
        )


def validate(profile: Profile, record: DecisionRecord) -> None:
    """Refuse a record the chair could not sign: an outcome this panel does not give, or one
    that needs a date it lacks."""
    rules = profile.decisions
    if record.outcome not in rules.outcomes:
        offered = ", ".join(rules.outcomes)
        raise PanelError(f"outcome {record.outcome!r} is not one this panel gives ({offered})")
    if not record.rationale.strip():
        raise PanelError("the rationale is required: the record must say why")
    if record.outcome == "return_to_panel" and not (record.return_date or record.return_frequency or record.review_date):
        raise PanelError("return to panel needs a date or a frequency")
    for cost in (record.weekly_cost, record.total_cost):
        if cost is not None and cost < 0:
            raise PanelError("costs cannot be negative")


def annual_total(record: DecisionRecord) -> float | None:
    if record.total_cost is not None:
        return record.total_cost
    if record.weekly_cost is not None:
        return round(record.weekly_cost * (record.period_weeks or 52), 2)
    return None


def follow_ups(profile: Profile, record: DecisionRecord, decided_on: date, request_types: tuple[str, ...] = ()
               ) -> list[tuple[date, str, str]]:
    """The later panels this decision brings the child back to: (sitting, kind, reason).

    Each date is the first sitting on or after the date asked for, so a review never falls on a
    day the panel does not sit.  Pre-proceedings cases come back within the profile's window
    (North Somerset: 8 to 10 weeks), at the first sitting inside it.
    """
    wanted: list[tuple[date, str, str]] = []
    if record.review_date:
        wanted.append((record.review_date, "review", f"Review set by the panel on {decided_on:%d/%m/%Y}"))
    if record.outcome == "defer" and record.defer_to:
        wanted.append((record.defer_to, "review", f"Deferred by the panel on {decided_on:%d/%m/%Y}"))
    if record.outcome == "return_to_panel" and record.return_date:
        wanted.append((record.return_date, "review", f"Return to panel set on {decided_on:%d/%m/%Y}"))
    weeks = profile.decisions.pre_proceedings_review_weeks
    if weeks and "pre_proceedings" in request_types and record.outcome in ("approve", "alternative_approved"):
        start = decided_on + timedelta(weeks=min(weeks))
        wanted.append((start, "pre_proceedings_review",
                       f"Pre-proceedings review at {min(weeks)}–{max(weeks)} weeks (PLO agreed {decided_on:%d/%m/%Y})"))
    out = []
    for day, kind, reason in wanted:
        sitting = first_sitting_on_or_after(profile, day)
        if sitting is not None:
            out.append((sitting, kind, reason))
    return out


def first_sitting_on_or_after(profile: Profile, day: date) -> date | None:
    found = calendar.sittings(profile, day, day + timedelta(days=70))
    return found[0] if found else None


def upload_deadline(profile: Profile, panel_date: date, signed_at: datetime) -> datetime:
    """When the signed record must be on the child's file: N hours after sign-off, or (Swindon)
    the named weekday after panel, whichever the profile sets; the earlier if both."""
    rules = profile.decisions
    deadline = signed_at + timedelta(hours=rules.upload_within_hours)
    if rules.upload_by_weekday_after is not None:
        days = (rules.upload_by_weekday_after - panel_date.weekday()) % 7 or 7
        by = datetime.combine(panel_date + timedelta(days=days), datetime.max.time().replace(microsecond=0),
                              tzinfo=signed_at.tzinfo)
        deadline = min(deadline, by) if by > signed_at else deadline
    return deadline


def draft_deadline(profile: Profile, panel_ends: datetime) -> datetime | None:
    hours = profile.decisions.draft_within_hours
    return panel_ends + timedelta(hours=hours) if hours else None


def upload_name(case_system: str, child_id: str | None, day: date) -> str:
    """The signed PDF's name as the case system's upload expects it; unsafe characters removed."""
    pattern = UPLOAD_NAMES.get(case_system, UPLOAD_NAMES["LCS"])
    safe_id = re.sub(r"[^A-Za-z0-9-]", "", child_id or "") or "NOID"
    return pattern.format(child_id=safe_id, day=day)


def case_note(profile: Profile, record: DecisionRecord, panel_date: date, chair: str, child_ref: str) -> str:
    """The text an administrator pastes into the child's case notes beside the upload."""
    label = profile.decisions.labels.get(record.outcome, record.outcome)
    lines = [f"{profile.title} {panel_date:%d/%m/%Y}: {label}.", f"Child: {child_ref}.", f"Reason: {record.rationale}"]
    if record.resource:
        cost = f" (£{record.weekly_cost:,.2f} a week)" if record.weekly_cost is not None else ""
        lines.append(f"Approved: {record.resource}{cost}.")
    if record.review_date:
        lines.append(f"Review: {record.review_date:%d/%m/%Y}.")
    for a in record.actions:
        lines.append(f"Action {a.number}: {a.text} ({a.owner}{', by ' + a.due.strftime('%d/%m/%Y') if a.due else ''}).")
    lines.append(f"Decision sheet signed by {chair}; the signed PDF is uploaded to the forms section.")
    return "\n".join(lines) + "\n"
