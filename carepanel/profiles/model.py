"""A council's panel rules as frozen values: what the rules in ``pipeline/`` read.

These are built from a profile TOML (``carepanel/profiles/NAME.toml``, checked by the model in
``schema.py``) by ``build.py``, once, at start-up; nothing here reads a file.  The choices
(weekdays, roles, outcomes, ...) are the program's own tuples, shared with the schema so the
format and the rules cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

DEFAULT_PROFILE = "north-somerset"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVIDENCE_KINDS = ("form_signature", "sender_is_manager", "forwarded_approval")
MANAGER_ROLES = ("team_manager", "service_manager")
# The contract's roles, v2 (profiles.md "People and roles").
DIRECTORY_ROLES = (
    "social_worker",
    "personal_advisor",
    "assistant_team_manager",
    "team_manager",
    "service_manager",
    "head_of_service",
    "assistant_director",
    "director",
    "chair",
    "vice_chair",
    "panel_member",
    "administrator",
    "finance",
    "iro",
    "read_only",
)
# Managers from junior to senior: by default a more senior manager satisfies a junior one's
# sign-off.  An assistant team manager is below a team manager but satisfies a team manager's
# sign-off only where a profile says so (``also``), so it is not in this ladder.
SENIORITY = ("team_manager", "service_manager", "head_of_service", "assistant_director", "director")
SIGNOFF_ROLES = ("assistant_team_manager", *SENIORITY)
ALL_OUTCOMES = ("approve", "decline", "defer", "alternative_approved", "return_to_panel")
PROFILE_SECTIONS = ("panel", "cutoff", "papers_out", "signoff", "threshold", "scope", "advice", "documents", "fields",
                    "decisions", "emergency", "form")
LATE_POLICIES = ("chair_may_accept", "refuse")
COMPARISONS = ("exceeds", "at_least")
CASE_SYSTEMS = ("LCS", "EHM", "ICS", "Mosaic", "Eclipse")


@dataclass(frozen=True)
class Deadline:
    """When something is due relative to a sitting: a cut-off or papers-out time.

    ``weekday_before``: the latest given weekday at least ``min_days_before`` days before the
    panel.  ``working_days_before``: count back ``days`` working days, not counting the panel
    day.  Either way the time of day is ``time``.
    """

    rule: str
    time: time
    weekday: int | None = None
    min_days_before: int = 1
    days: int | None = None
    # [cutoff] only: chair_may_accept (an administrator may accept a late request naming the
    # chair or vice chair who agreed) | refuse (held for the next panel, never accepted late).
    late: str = "chair_may_accept"
    # [papers_out] only: papers moved back off a non-working day never go before the cut-off;
    # where they would, they go this many hours after it.
    min_hours_after_cutoff: float = 2.0
    source: str = ""  # the policy's own words
    note: str = ""  # our reading, where the policy or the contract is silent


@dataclass(frozen=True)
class PanelRules:
    weekday: int
    starts: time
    ends: time
    frequency: str  # weekly | fortnightly
    anchor_date: date | None
    cancelled: tuple[date, ...]
    slot_minutes: int
    complex_slot_minutes: int
    # A case counts as complex (and gets complex_slot_minutes) when an administrator marks it,
    # or when it asks for one of these or names at least complex_children children.
    complex_types: tuple[str, ...] = ("care_proceedings", "secure_accommodation", "external_placement")
    complex_children: int = 3
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class SignoffRequirement:
    """One manager whose agreement the request needs.

    ``role`` is satisfied by that role, every more senior manager, and the roles in ``also``.
    ``when`` (request types), ``when_words`` (phrases in the request) and ``when_miles_over``
    (a distance from home the request states) narrow it to some requests: it applies when any
    of them holds, or always when none is given.  ``blocking = false`` makes a missing
    sign-off a warning on the submission rather than a ``no_manager_signoff`` flag.
    """

    role: str
    evidence: tuple[str, ...]
    also: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    when_words: tuple[str, ...] = ()
    when_miles_over: float | None = None
    blocking: bool = True
    source: str = ""
    note: str = ""

    @property
    def conditional(self) -> bool:
        return bool(self.when or self.when_words or self.when_miles_over is not None)


@dataclass(frozen=True)
class Threshold:
    """Spending the panel considers: ``exceeds`` (more than) or ``at_least`` the amount, per
    year (the weekly cost over the weeks asked for within a year) or for the request's total."""

    amount: float
    per: str  # year | request
    disabled_amount: float | None = None
    comparison: str = "at_least"  # exceeds | at_least
    source: str = ""
    note: str = ""

    def applies(self, cost: float, limit: float) -> bool:
        """Whether ``cost`` is enough to come to panel."""
        return cost > limit if self.comparison == "exceeds" else cost >= limit


@dataclass(frozen=True)
class Exclusion:
    """A kind of request the panel does not consider.

    It matches on ``types`` or (unnegated) ``keywords``, narrowed by ``disabled_only`` and
    ``below_total``; it is lifted when every ``unless_*`` condition given holds (swindon's
    child-minding: longer than three months *and* part of a wider package).  ``refer_to`` is
    the panel that does consider it (``refer_to_disabled`` for a disabled child only).
    """

    what: str
    types: tuple[str, ...] = ()
    unless_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    below_total: float | None = None
    shorter_than_weeks: int | None = None
    disabled_only: bool = False
    unless_total_over: float | None = None
    unless_weeks_over: float | None = None
    unless_package: bool = False
    refer_to: str | None = None
    refer_to_disabled: str | None = None
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Advice:
    """A warning, never a flag: a route the policy recommends or a point the chair should see.

    It applies when any of ``types`` or unnegated ``keywords`` matches (or always when neither
    is given), narrowed by ``age_at_least`` (a child that old on the panel date) and
    ``extra_papers`` (papers sent beside the form)."""

    what: str
    message: str
    types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    age_at_least: int | None = None
    extra_papers: bool = False
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class RuleNote:
    """The policy's words for a whole section (documents, fields)."""

    source: str = ""
    note: str = ""


DECISION_EVENTS = ("drafted", "signed", "uploaded")  # what a decision deadline asks to have happened
DECISION_BASES = ("panel", "drafted", "signed")  # what it is counted from
NOTIFY_ROLES = ("social_worker", "team_manager", "service_manager", "head_of_service", "assistant_director",
                "director", "finance", "iro", "chair", "vice_chair", "administrator")
# The decision rules whose policy words (``KEY_source``) and our reading (``KEY_note``) a
# profile's [decisions] table carries; ``carepanel rules`` prints each beside its rule.
DECISION_SOURCE_KEYS = ("outcomes", "combinations", "defer", "return_to_panel", "approving", "notify",
                        "pre_proceedings_review_weeks", "signing", "sitting")
EMERGENCY_WHEN = ("always", "high_cost", "not_high_cost")


@dataclass(frozen=True)
class DecisionDeadline:
    """``event`` is due ``hours`` after ``base`` (the end of the sitting, the first draft, the
    chair's signature), or by the end of the first ``weekday`` after the base's day."""

    event: str
    base: str
    hours: int | None = None
    weekday: int | None = None
    source: str = ""
    note: str = ""  # our reading, where the policy's words need one


@dataclass(frozen=True)
class DecisionRules:
    outcomes: tuple[str, ...]
    labels: Mapping[str, str]
    case_system: str
    record_due: str
    upload_within_hours: int
    notify: tuple[str, ...]
    pre_proceedings_review_weeks: tuple[int, ...] = ()
    draft_within_hours: int | None = None
    upload_by_weekday_after: int | None = None
    template: str | None = None  # a council's own decision sheet (.docx with docxtpl fields)
    # Outcomes that may be recorded together (bexley: approved and return to panel); each a set.
    combinations: tuple[frozenset[str], ...] = ()
    # Outcomes under which the costs named are approved spending (for the finance log).
    approving: tuple[str, ...] = ("approve", "alternative_approved")
    deadlines: tuple[DecisionDeadline, ...] = ()
    # The policy words each rule comes from, by rule name (outcomes, combinations, notify, ...).
    sources: Mapping[str, str] = field(default_factory=dict)
    # Our reading beside those words, by the same rule names (the TOML's ``*_note`` keys).
    notes: Mapping[str, str] = field(default_factory=dict)
    # The council's seal on signed decisions (outputs/seal.py): a PKCS#12 file (key and
    # certificate; or a PEM key with ``signing_cert`` beside it), its password in the environment
    # variable named by ``signing_password_env``, and an optional RFC 3161 timestamp server.
    signing_key: str | None = None
    signing_cert: str | None = None
    signing_password_env: str | None = None
    timestamp_url: str | None = None


@dataclass(frozen=True)
class EmergencyAuthority:
    """One way an emergency decision outside panel is authorised: a person for each of
    ``roles`` (all of them), applying ``when`` the placement is high cost, not, or always."""

    roles: tuple[str, ...]
    when: str = "always"  # always | high_cost | not_high_cost
    source: str = ""
    keywords: tuple[str, ...] = ()  # applies only to a decision whose words name one of these
    note: str = ""


@dataclass(frozen=True)
class RetrospectiveWindow:
    """A decision outside panel about what ``keywords`` name (all, when none) may be recorded
    at most ``max_days`` after it was made."""

    max_days: int
    keywords: tuple[str, ...] = ()
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class EmergencyRules:
    authorities: tuple[EmergencyAuthority, ...] = ()
    windows: tuple[RetrospectiveWindow, ...] = ()
    # A placement at or above these is high cost where the council sets a figure; else the
    # person recording says so (emergency-decision --high-cost).
    high_cost_weekly: float | None = None
    high_cost_total: float | None = None
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class FormSpec:
    """How to recognise a council's own form and map its labels to request fields.

    ``labels`` maps a label's text as printed on the form to a request field key; the
    readers in ``parsers/`` use it, so a new council's form needs data here, not code.
    """

    template: str | None = None
    markers: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    council: str
    panel: PanelRules
    cutoff: Deadline
    papers_out: Deadline
    signoff: tuple[SignoffRequirement, ...]
    threshold: Threshold
    excluded: tuple[Exclusion, ...]
    required_documents: tuple[str, ...]
    required_fields: tuple[str, ...]
    decisions: DecisionRules
    form: FormSpec
    emergency: EmergencyRules = field(default_factory=EmergencyRules)
    advice: tuple[Advice, ...] = ()
    documents_source: RuleNote = RuleNote()
    fields_source: RuleNote = RuleNote()
    scope_source: RuleNote = RuleNote()

