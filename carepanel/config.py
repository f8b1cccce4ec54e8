"""Configuration and panel profiles, read once at the edge into frozen, validated values.

A profile is a council's rules as data (``carepanel/profiles/NAME.toml``).  ``config.toml``
names one and may override any of its sections with a table of the same name, so a council
that moves its cut-off edits its config rather than the program.  Every key is checked here:
an unknown key or a bad value fails at start-up with a message naming the key, never deep
inside a rule.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError

PROFILE_NAMES = ("north-somerset", "bexley", "care-planning-resources", "south-gloucestershire", "swindon")
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


# --------------------------------------------------------------------------- profile values


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


# --------------------------------------------------------------------------- service config


@dataclass(frozen=True)
class Secret:
    """A value that never shows itself in ``repr`` or logs."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "**********"


@dataclass(frozen=True)
class FolderConfig:
    """``backend = "folder"``: a folder of .eml files that mail rules, scripts or people fill."""

    path: Path | None
    processed_path: Path | None
    failed_path: Path | None
    settle_seconds: float = 1.0  # where no close-after-write event comes: unchanged this long


@dataclass(frozen=True)
class ImapConfig:
    """``backend = "imap"``: a council's own IMAP server (folder levels written with '/')."""

    host: str | None
    username: str | None
    port: int | None = None
    tls: str = "ssl"
    password_env: str | None = None
    password_file: Path | None = None  # alternative to password_env: a file only the service can read
    folder: str = "INBOX"
    processed_folder: str = "carepanel/processed"
    failed_folder: str = "carepanel/failed"
    on_processed: str = "move"  # move | flag
    idle: bool = True
    ca_file: Path | None = None  # trust a council's private CA for the server's certificate


@dataclass(frozen=True)
class GraphConfig:
    """``backend = "graph"``: the panel mailbox in Exchange Online, through an Entra app registration."""

    address: str | None
    tenant_id: str | None
    client_id: str | None
    client_secret_env: str | None
    password_file: Path | None = None  # the client secret in a file, instead of client_secret_env
    folder: str = "INBOX"
    processed_folder: str = "carepanel/processed"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    # change notifications to this public HTTPS URL (the web app's /graph/notifications)
    notification_url: str | None = None
    notification_secret_env: str | None = None  # the clientState secret
    notification_poll_seconds: float = 900.0  # delta polling still runs, this often, when notifications are on


@dataclass(frozen=True)
class ExchangeConfig:
    """``backend = "exchange"``: an on-premises Exchange Server, through EWS."""

    address: str | None
    service_endpoint: str | None  # the EWS URL; or `server`, giving https://{server}/EWS/Exchange.asmx
    auth: str = "ntlm"  # ntlm | basic | oauth (then tenant_id, client_id, client_secret_env)
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "carepanel/processed"
    exchange_version: str = "Exchange2016"  # fixed, so nothing is probed or autodiscovered
    ca_file: Path | None = None
    # streaming (EWS streaming notifications wake the sync; it falls back to polling by itself) | poll
    notifications: str = "streaming"


BackendConfig = FolderConfig | ImapConfig | GraphConfig | ExchangeConfig
# Each backend's settings, by name (the same classes as mailbox/registry.py's, kept here so that
# reading a configuration does not load the mailbox package).
MAILBOX_SETTINGS: dict[str, type[BackendConfig]] = {
    "folder": FolderConfig, "imap": ImapConfig, "graph": GraphConfig, "exchange": ExchangeConfig}


@dataclass(frozen=True)
class MailboxConfig:
    """``[mailbox]``: which backend, how often to look, and that backend's own settings."""

    backend: str
    poll_seconds: float
    settings: BackendConfig
    # The council's own mail domains: only senders in them are acknowledged (no backscatter to
    # forged outside addresses).  Empty: the domains of the staff directory's addresses.
    internal_domains: tuple[str, ...] = ()

    @property
    def path(self) -> Path | None:
        """The inbox folder, for the folder backend (``None`` for a server mailbox)."""
        return self.settings.path if isinstance(self.settings, FolderConfig) else None

    @property
    def notification_url(self) -> str | None:
        """The Graph webhook's public URL, where the council exposes one (else ``None``)."""
        return self.settings.notification_url if isinstance(self.settings, GraphConfig) else None

    @property
    def notification_secret_env(self) -> str | None:
        return self.settings.notification_secret_env if isinstance(self.settings, GraphConfig) else None


@dataclass(frozen=True)
class OutboxConfig:
    backend: str
    path: Path | None
    from_address: str
    host: str | None = None
    port: int | None = None
    tls: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None


@dataclass(frozen=True)
class NoticeConfig:
    copy_team_manager: bool
    templates_dir: Path | None


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int
    max_attachment_bytes: int
    max_pages: int
    max_decompressed_bytes: int
    parse_timeout_seconds: float
    reader_memory_mb: int = 1536  # the address-space cap of the process that reads attachments


@dataclass(frozen=True)
class RetryPolicy:
    first_delay_seconds: float
    max_delay_seconds: float


@dataclass(frozen=True)
class PackConfig:
    """How packs are built and sent.  ``marking`` is the council's protective marking, printed
    on every page; a pack over ``max_email_mb`` goes as a link to the web app (``link``) or in
    parts that each fit (``split``)."""

    marking: str
    max_email_mb: float
    too_large: str  # link | split
    web_url: str
    office_workers: int
    office_timeout_seconds: float
    # At papers-out, a pack whose papers LibreOffice hung or died on is built again every few
    # minutes for this long before it goes with those papers listed as missing.
    retry_incomplete_minutes: float = 60.0
    # False: the administrator sends each pack by hand (`pack send`, or the web app) after
    # checking it; the service only says, in `carepanel status`, when papers are overdue.
    send_automatically: bool = True


@dataclass(frozen=True)
class OidcConfig:
    """OpenID Connect sign-in (Microsoft Entra ID): the tenant's issuer URL, the app's client id,
    and the name of the environment variable holding its secret (never the secret itself)."""

    issuer: str
    client_id: str
    client_secret_env: str
    role_claim: str = "roles"


@dataclass(frozen=True)
class WebConfig:
    url: str  # how people reach it, for links in emails
    secret_key_env: str  # environment variable with the session key; else a key file in the data dir
    secure_cookies: bool
    max_login_failures: int
    oidc: OidcConfig | None
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    idle_timeout_minutes: float = 30.0  # a session unused this long is ended
    session_hours: float = 8.0  # and every session ends this long after sign-in


@dataclass(frozen=True)
class RetentionPolicy:
    """How long a child's records are kept; the council sets the periods (``[retention]``).

    None of the panels' policies states a period, so the defaults follow the longest
    statutory one that can apply: a looked-after child's case record is kept until the
    75th anniversary of the child's birth (Care Planning, Placement and Case Review (England)
    Regulations 2010, reg. 50).  Keeping too long is the recoverable mistake; purging early
    is not.
    """

    years_after_birth: int = 75
    years_after_receipt: int = 75  # where no child's date of birth is known


@dataclass(frozen=True)
class Config:
    path: Path | None
    base_dir: Path
    data_dir: Path
    profile: Profile
    directory_csv: Path | None
    mailbox: MailboxConfig
    outbox: OutboxConfig
    notices: NoticeConfig
    limits: Limits
    retry: RetryPolicy
    pack: PackConfig
    web: WebConfig
    retention: RetentionPolicy = field(default_factory=lambda: RetentionPolicy())
    # [directory] exchange_groups: role -> distribution list, read from Exchange (exchange_directory.py)
    directory_exchange_groups: tuple[tuple[str, str], ...] = ()  # in the order given: the first list naming someone wins
    directory_refresh_hours: float = 24.0
    # "refuse" (default) or "warn": a data_dir on an SMB/NFS share, where SQLite's locks fail (datadir.py)
    network_data_dir: str = "refuse"
    # [signoff] unproven_sender: what "sent from the manager's address" is worth when the mail
    # system does not prove the sender (refuse | warn | accept); by backend unless set.
    unproven_sender: str = "accept"
    # [backup] recipients: age public keys every backup is encrypted to (backup.py); and
    # identity_file: where `restore` finds the private key when --identity is not given.
    backup_recipients: tuple[str, ...] = ()
    backup_identity_file: Path | None = None
    # [form] file: council forms learned by `carepanel form learn`, recognised beside the built-ins
    learned_forms: tuple[FormSpec, ...] = ()

    def stored_path(self, path: Path) -> str:
        """How a file under the data directory is recorded: relative to it, so a restored
        backup in another place still finds its files."""
        try:
            return str(path.resolve().relative_to(self.data_dir.resolve()))
        except ValueError:
            return str(path)

    def data_path(self, stored: str) -> Path:
        """The file a recorded path names (an absolute one is kept as it is)."""
        return self.data_dir / stored

    @property
    def packs_dir(self) -> Path:
        return self.data_dir / "packs"

    @property
    def decisions_dir(self) -> Path:
        return self.data_dir / "decisions"

    @property
    def uploads_dir(self) -> Path:
        """One folder per signed decision, laid out for the case system's upload."""
        return self.data_dir / "uploads"

    @property
    def decisions_template(self) -> Path | None:
        t = self.profile.decisions.template
        if not t:
            return None
        path = Path(t).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "carepanel.db"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"


# --------------------------------------------------------------------------- reading


class _Table:
    """A TOML table being read: takes keys off as they are used, so leftovers are errors."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table")
        self._data = dict(data)
        self.where = where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def take(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self._data:
            if default is ...:
                raise ConfigError(f"{self._name(key)}: required key is missing")
            return default
        value = self._data.pop(key)
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise ConfigError(f"{self._name(key)}: expected a number, got {value!r}")
        if not isinstance(value, kind):
            raise ConfigError(f"{self._name(key)}: expected {_kind_name(kind)}, got {value!r}")
        return value

    def table(self, key: str) -> _Table:
        return _Table(self.take(key, dict, {}), self._name(key))

    def tables(self, key: str) -> list[_Table]:
        items = self.take(key, list, [])
        return [_Table(item, f"{self._name(key)}[{i}]") for i, item in enumerate(items)]

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.take(key, str, default)
        if value is not None and value not in options:
            raise ConfigError(f"{self._name(key)}: {value!r} is not one of {', '.join(options)}")
        return value

    def clock(self, key: str, default: Any = ...) -> Any:
        value = self.take(key, (str, time), default)
        if value is None or isinstance(value, time):
            return value
        m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if not m:
            raise ConfigError(f"{self._name(key)}: {value!r} is not a time of day like 13:30")
        return time(int(m.group(1)), int(m.group(2)))

    def day(self, key: str, default: Any = ...) -> Any:
        value = self.take(key, (str, date), default)
        return _as_date(value, self._name(key)) if value is not None else None

    def strings(self, key: str, options: tuple[str, ...] | None = None, default: Any = ...) -> tuple[str, ...]:
        values = self.take(key, list, default)
        for v in values:
            if not isinstance(v, str):
                raise ConfigError(f"{self._name(key)}: expected a list of strings, got {v!r}")
            if options is not None and v not in options:
                raise ConfigError(f"{self._name(key)}: {v!r} is not one of {', '.join(options)}")
        return tuple(values)

    def done(self) -> None:
        if self._data:
            names = ", ".join(self._name(k) for k in sorted(self._data))
            raise ConfigError(f"unknown key{'s' if len(self._data) > 1 else ''}: {names}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {dict: "a table", list: "a list", str: "a string", int: "a whole number", float: "a number",
             bool: "true or false", date: "a date", time: "a time"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date like 2026-12-25") from None


def _weekday(table: _Table, key: str, default: Any = ...) -> int | None:
    name = table.choice(key, WEEKDAYS, default)
    return WEEKDAYS.index(name) if name is not None else None


def _check_pattern(pattern: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: {pattern!r} is not a regular expression ({exc})") from None


# The decision rules whose policy words (``KEY_source``) and our reading (``KEY_note``) a
# profile's [decisions] table carries; ``carepanel rules`` prints each beside its rule.
DECISION_SOURCE_KEYS = ("outcomes", "combinations", "defer", "return_to_panel", "approving", "notify",
                        "pre_proceedings_review_weeks", "signing", "sitting")


def _decisions(t: _Table) -> DecisionRules:
    outcomes = t.strings("outcomes", ALL_OUTCOMES)
    labels = dict(t.take("labels", dict, {}))
    for k in labels:
        if k not in outcomes:
            raise ConfigError(f"{t.where}.labels.{k}: not one of this profile's outcomes")
    sources, notes = {}, {}
    for key in DECISION_SOURCE_KEYS:
        text = t.take(f"{key}_source", str, None)
        if text:
            sources[key] = text
        reading = t.take(f"{key}_note", str, None)
        if reading:
            notes[key] = reading
    combinations = []
    for i, combo in enumerate(t.take("combinations", list, [])):
        where = f"{t.where}.combinations[{i}]"
        if not isinstance(combo, list) or len(combo) < 2 or any(o not in outcomes for o in combo):
            raise ConfigError(f"{where}: a list of two or more of this profile's outcomes ({', '.join(outcomes)})")
        combinations.append(frozenset(combo))
    upload_hours = t.take("upload_within_hours", int, None)
    draft_hours = t.take("draft_within_hours", int, None)
    upload_weekday = _weekday(t, "upload_by_weekday_after", None)
    deadlines = [_decision_deadline(d) for d in t.tables("deadlines")]
    # The keys of before v2 still work: each is one deadline.
    if draft_hours is not None:
        deadlines.append(DecisionDeadline("drafted", "panel", hours=draft_hours))
    if upload_weekday is not None:
        deadlines.append(DecisionDeadline("uploaded", "panel", weekday=upload_weekday))
    if upload_hours is not None:
        deadlines.append(DecisionDeadline("uploaded", "signed", hours=upload_hours))
    d = DecisionRules(
        outcomes=outcomes,
        labels={o: str(labels.get(o, o.replace("_", " ").capitalize())) for o in outcomes},
        case_system=t.choice("case_system", ("LCS", "EHM", "ICS", "Mosaic", "Eclipse")),
        record_due=t.take("record_due", str, ""),
        upload_within_hours=upload_hours if upload_hours is not None else 48,
        notify=t.strings("notify", NOTIFY_ROLES, ("social_worker", "team_manager")),
        pre_proceedings_review_weeks=tuple(t.take("pre_proceedings_review_weeks", list, [])),
        draft_within_hours=draft_hours,
        upload_by_weekday_after=upload_weekday,
        template=t.take("template", str, None),
        combinations=tuple(combinations),
        approving=tuple(o for o in t.strings("approving", ALL_OUTCOMES, ("approve", "alternative_approved"))
                        if o in outcomes),
        deadlines=tuple(deadlines),
        sources=sources,
        notes=notes,
        signing_key=t.take("signing_key", str, None),
        signing_cert=t.take("signing_cert", str, None),
        signing_password_env=t.take("signing_password_env", str, None),
        timestamp_url=t.take("timestamp_url", str, None),
    )
    t.done()
    if d.signing_cert and not d.signing_key:
        raise ConfigError(f"{t.where}.signing_cert: give signing_key (the private key) too")
    if d.timestamp_url and not re.match(r"https?://", d.timestamp_url):
        raise ConfigError(f"{t.where}.timestamp_url: an http(s) URL of an RFC 3161 timestamp server")
    return d


def _decision_deadline(t: _Table) -> DecisionDeadline:
    d = DecisionDeadline(
        event=t.choice("event", DECISION_EVENTS),
        base=t.choice("from", DECISION_BASES),
        hours=t.take("hours", int, None),
        weekday=_weekday(t, "weekday", None),
        source=t.take("source", str, ""),
        note=t.take("note", str, ""),
    )
    t.done()
    if (d.hours is None) == (d.weekday is None):
        raise ConfigError(f"{t.where}: give hours or weekday (one of them)")
    if d.hours is not None and d.hours < 1:
        raise ConfigError(f"{t.where}.hours: must be at least 1")
    return d


EMERGENCY_WHEN = ("always", "high_cost", "not_high_cost")


def _opt_float(v: Any) -> float | None:
    return float(v) if v is not None else None


def _emergency(t: _Table) -> EmergencyRules:
    """Who may decide outside panel, and how long after may it be recorded (contract v2)."""
    authorities = []
    for a in t.tables("authority"):
        roles = a.strings("roles", DIRECTORY_ROLES)
        if not roles:
            raise ConfigError(f"{a.where}.roles: name at least one role")
        authorities.append(EmergencyAuthority(roles=roles, when=a.choice("when", EMERGENCY_WHEN, "always"),
                                              source=a.take("source", str, ""), note=a.take("note", str, ""),
                                              keywords=tuple(k.lower() for k in a.strings("keywords", None, ()))))
        a.done()
    windows = []
    for w in t.tables("window"):
        windows.append(RetrospectiveWindow(max_days=w.take("max_days", int),
                                           keywords=tuple(k.lower() for k in w.strings("keywords", None, ())),
                                           source=w.take("source", str, ""), note=w.take("note", str, "")))
        w.done()
        if windows[-1].max_days < 0:
            raise ConfigError(f"{w.where}.max_days: must be 0 or more")
    e = EmergencyRules(authorities=tuple(authorities), windows=tuple(windows),
                       high_cost_weekly=_opt_float(t.take("high_cost_weekly", (int, float), None)),
                       high_cost_total=_opt_float(t.take("high_cost_total", (int, float), None)),
                       source=t.take("source", str, ""), note=t.take("note", str, ""))
    t.done()
    return e


def _form(t: _Table) -> FormSpec:
    spec = FormSpec(
        template=t.take("template", str, None),
        markers=t.strings("markers", None, ()),
        labels={str(k): str(v) for k, v in t.take("labels", dict, {}).items()},
        options=dict(t.take("options", dict, {})),
    )
    t.done()
    return spec


def build_profile(data: Mapping[str, Any]) -> Profile:
    """The frozen profile, from its tables checked by the profile model (``profile_model.py``:
    pydantic, which names the key and the values allowed); ``[decisions]`` and ``[form]`` are
    checked here as they are read."""
    from .profile_model import validate_profile

    m = validate_profile(data)
    excluded = tuple(Exclusion(**_plain(e, tuples=True)) for e in m.scope.excluded)
    for i, e in enumerate(excluded):
        if not e.types and not e.keywords:
            raise ConfigError(f"scope.excluded[{i}]: an exclusion needs types or keywords")
    requirements = tuple(SignoffRequirement(**_plain(r, tuples=True)) for r in m.signoff.requires)
    for i, r in enumerate(requirements):
        for pattern in r.when_words:
            _check_pattern(pattern, f"signoff.requires[{i}].when_words")
    profile = Profile(
        name=m.name,
        title=m.title,
        council=m.council,
        panel=_panel_from(m.panel),
        cutoff=_deadline_from(m.cutoff, "cutoff"),
        papers_out=_deadline_from(m.papers_out, "papers_out"),
        signoff=requirements,
        threshold=Threshold(**_plain(m.threshold)),
        excluded=excluded,
        required_documents=tuple(m.documents.required),
        required_fields=tuple(m.fields.required),
        decisions=_decisions(_Table(m.decisions, "decisions")),
        form=_form(_Table(m.form, "form")),
        advice=tuple(Advice(**_plain(a, tuples=True)) for a in m.advice),
        documents_source=RuleNote(m.documents.source, m.documents.note),
        fields_source=RuleNote(m.fields.source, m.fields.note),
        scope_source=RuleNote(m.scope.source, m.scope.note),
        emergency=_emergency(_Table(m.emergency, "emergency")),
    )
    return profile


def _plain(model: Any, tuples: bool = False) -> dict[str, Any]:
    """A validated model's values, lists as tuples (the frozen dataclasses hold tuples)."""
    out = dict(model)
    if tuples:
        out = {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}
    if "keywords" in out:
        out["keywords"] = tuple(k.lower() for k in out["keywords"])
    return out


def _panel_from(m: Any) -> PanelRules:
    p = PanelRules(
        weekday=WEEKDAYS.index(m.weekday), starts=m.starts, ends=m.ends, frequency=m.frequency,
        anchor_date=m.anchor_date, cancelled=tuple(m.cancelled), slot_minutes=m.slot_minutes,
        complex_slot_minutes=m.complex_slot_minutes, complex_types=tuple(m.complex_types),
        complex_children=m.complex_children, source=m.source, note=m.note,
    )
    if p.ends <= p.starts:
        raise ConfigError("panel.ends: the sitting must end after it starts")
    if p.frequency == "fortnightly" and p.anchor_date is None:
        raise ConfigError("panel.anchor_date: a fortnightly panel needs the date of one sitting")
    if p.anchor_date is not None and p.anchor_date.weekday() != p.weekday:
        raise ConfigError(f"panel.anchor_date: {p.anchor_date} is not a {WEEKDAYS[p.weekday]}")
    return p


def _deadline_from(m: Any, where: str) -> Deadline:
    extra: dict[str, Any] = {"source": m.source, "note": m.note}
    if where == "cutoff":
        extra["late"] = m.late
    else:
        extra["min_hours_after_cutoff"] = float(m.min_hours_after_cutoff)
    if m.rule == "weekday_before":
        if m.weekday is None:
            raise ConfigError(f"{where}.weekday: required for rule = \"weekday_before\"")
        return Deadline(m.rule, m.time, weekday=WEEKDAYS.index(m.weekday), min_days_before=m.min_days_before, **extra)
    if m.days is None:
        raise ConfigError(f"{where}.days: required for rule = \"working_days_before\" (at least 1)")
    return Deadline(m.rule, m.time, days=m.days, **extra)


def load_profile_data(name: str) -> dict[str, Any]:
    if name not in PROFILE_NAMES:
        raise ConfigError(f"profile: {name!r} is not a built-in profile ({', '.join(PROFILE_NAMES)})")
    text = resources.files("carepanel.profiles").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_profile(name: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    data = load_profile_data(name)
    for section, values in (overrides or {}).items():
        data[section] = _merge(data.get(section, {}), values)
    return build_profile(data)


@cache
def builtin_forms() -> tuple[FormSpec, ...]:
    """The form description of every built-in profile, each tagged with its profile's name.

    Loaded here, where profiles are, and handed to the parsers by their caller: a service
    recognises every council's form, so a Bexley form sent to another panel is read as Bexley's.
    """
    out = []
    for name in PROFILE_NAMES:
        spec = load_profile(name).form
        out.append(FormSpec(spec.template, spec.markers, spec.labels, {**spec.options, "profile": name}))
    return tuple(out)


def forms_for(learned: tuple[FormSpec, ...] = ()) -> tuple[FormSpec, ...]:
    """The forms a service recognises: those a config names (``[form] file``, learned by
    ``carepanel form learn``) first, then every built-in one."""
    return (*learned, *builtin_forms())


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for k, v in over.items():
            merged[k] = _merge(base.get(k), v)
        return merged
    return over


# --------------------------------------------------------------------------- config.toml


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """``--config``, else ``./config.toml``, else ``$CAREPANEL_CONFIG``, else none (defaults)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config: no such file: {path}")
        return path
    local = Path("config.toml")
    if local.is_file():
        return local
    env = os.environ.get("CAREPANEL_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"CAREPANEL_CONFIG: no such file: {path}")
        return path
    return None


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    check_files: bool = False,
) -> Config:
    found = find_config(path)
    if found is None:
        raw: dict[str, Any] = {}
        base = Path.cwd()
    else:
        try:
            raw = tomllib.loads(found.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{found}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{found}: not UTF-8 text") from exc
        base = found.resolve().parent
    return build_config(raw, base=base, path=found, data_dir=data_dir, profile=profile, check_files=check_files)


def build_config(
    raw: Mapping[str, Any],
    *,
    base: Path,
    path: Path | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    check_files: bool = False,
) -> Config:
    t = _Table(raw, "")
    profile_name = profile or t.take("profile", str, DEFAULT_PROFILE)
    if profile:
        t.take("profile", str, None)
    overrides = {s: t.take(s, list if s == "advice" else dict) for s in PROFILE_SECTIONS if s in raw}
    unproven = _unproven_sender(overrides)
    learned, overrides = learned_form_files(overrides, base)
    prof = load_profile(profile_name, overrides)
    data = _path(base, data_dir) if data_dir else _path(base, t.take("data_dir", str, "data"))
    if data_dir:
        t.take("data_dir", str, None)

    directory = t.table("directory")
    csv_value = directory.take("csv", str, None)
    exchange_groups = _exchange_groups(directory.take("exchange_groups", dict, {}))
    refresh_hours = float(directory.take("exchange_refresh_hours", (int, float), 24.0))
    directory.done()
    directory_csv = _path(base, csv_value) if csv_value else None
    if check_files and directory_csv is not None and not directory_csv.is_file():
        raise ConfigError(f"directory.csv: no such file: {directory_csv}")

    cfg = Config(
        path=path,
        base_dir=base,
        data_dir=data,
        profile=prof,
        directory_csv=directory_csv,
        mailbox=_mailbox(t.table("mailbox"), base, data),
        outbox=_outbox(t.table("outbox"), base, data),
        notices=_notices(t.table("notices"), base),
        limits=_limits(t.table("limits")),
        retry=_retry(t.table("retry")),
        pack=_pack(t.table("pack")),
        web=_web(t.table("web")),
        retention=_retention(t.table("retention")),
        directory_exchange_groups=exchange_groups,
        directory_refresh_hours=refresh_hours,
        network_data_dir=t.choice("network_data_dir", ("refuse", "warn"), "refuse"),
        **_backup(t.table("backup"), base),
        learned_forms=learned,
    )
    t.done()
    cfg = replace(cfg, unproven_sender=unproven or ("accept" if cfg.mailbox.backend == "folder" else "refuse"))
    if exchange_groups and cfg.mailbox.backend != "exchange":
        raise ConfigError("directory.exchange_groups: the address book is read through EWS; it needs "
                          "mailbox.backend = \"exchange\"")
    return cfg


def _unproven_sender(overrides: dict[str, Any]) -> str | None:
    """``[signoff] unproven_sender``, taken out before the profile reads its requirements."""
    section = overrides.get("signoff")
    if not isinstance(section, dict) or "unproven_sender" not in section:
        return None
    overrides["signoff"] = {k: v for k, v in section.items() if k != "unproven_sender"}
    value = section["unproven_sender"]
    if value not in ("refuse", "warn", "accept"):
        raise ConfigError("signoff.unproven_sender: must be one of refuse, warn, accept")
    if not overrides["signoff"]:
        del overrides["signoff"]
    return str(value)


def _backup(t: _Table, base: Path) -> dict[str, Any]:
    recipients = t.strings("recipients", None, ())
    identity = _optional_path(base, t.take("identity_file", str, None))
    t.done()
    for r in recipients:
        if not r.startswith("age1"):
            raise ConfigError(f"backup.recipients: {r[:12]!r}… is not an age public key (age1…)")
    return {"backup_recipients": recipients, "backup_identity_file": identity}


def learned_form_files(overrides: dict[str, Any], base: Path) -> tuple[tuple[FormSpec, ...], dict[str, Any]]:
    """``[form] file`` (one path or a list), relative to the config's folder: each a form
    description written by ``carepanel form learn``.  Returns them and the overrides without
    the key, so the rest of ``[form]`` still overrides the profile's own form."""
    section = overrides.get("form")
    if not isinstance(section, dict) or "file" not in section:
        return (), overrides
    value = section["file"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError("form.file: give the learned form's file name (or a list of them)")
    rest = {k: v for k, v in section.items() if k != "file"}
    others = {k: v for k, v in overrides.items() if k != "form"}
    if rest:
        others["form"] = rest
    return tuple(load_form_file(_path(base, n)) for n in names), others


def load_form_file(path: Path) -> FormSpec:
    """One learned form description: its ``[form]`` table is a profile's ``[form]`` plus
    ``name``, the name a request read with it carries as ``form``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"form.file: no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"form.file: cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"form.file: {path} is not valid TOML: {exc}") from None
    section = dict(raw.get("form") or {})
    name = section.pop("name", None)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"form.file: {path} has no [form] name (written by carepanel form learn --name)")
    spec = _form(_Table(section, "form"))
    if not spec.markers:
        raise ConfigError(f"form.file: {path} has no markers to recognise the form by")
    return FormSpec(spec.template, spec.markers, spec.labels, {**spec.options, "profile": name.strip(), "learned": True})


def _exchange_groups(value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    groups: list[tuple[str, str]] = []
    for role, address in value.items():
        if role not in DIRECTORY_ROLES:
            raise ConfigError(f"directory.exchange_groups: role {role!r} is not one of {', '.join(DIRECTORY_ROLES)}")
        if not isinstance(address, str) or "@" not in address:
            raise ConfigError(f"directory.exchange_groups.{role}: give the distribution list's email address")
        groups.append((role, address.strip()))
    return tuple(groups)


def _path(base: Path, value: str | os.PathLike[str]) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _mailbox(t: _Table, base: Path, data: Path) -> MailboxConfig:
    """Every key of every backend is read (a key another backend uses is accepted and ignored, as
    it always was); the configured backend's own settings are kept and checked."""
    backend = t.choice("backend", tuple(MAILBOX_SETTINGS), "folder")
    path = t.take("path", str, None)
    processed = t.take("processed_path", str, None)
    failed = t.take("failed_path", str, None)
    k: dict[str, Any] = dict(
        poll_seconds=float(t.take("poll_seconds", (int, float), 5.0)),
        settle_seconds=float(t.take("settle_seconds", (int, float), 1.0)),
        host=t.take("host", str, None),
        port=t.take("port", int, None),
        tls=t.choice("tls", ("ssl", "starttls", "none"), "ssl"),
        username=t.take("username", str, None),
        password_env=t.take("password_env", str, None),
        folder=t.take("folder", str, "INBOX"),
        password_file=_optional_path(base, t.take("password_file", str, None)),
        processed_folder=t.take("processed_folder", str, "carepanel/processed"),
        failed_folder=t.take("failed_folder", str, "carepanel/failed"),
        on_processed=t.choice("on_processed", ("move", "flag"), "move"),
        idle=t.take("idle", bool, True),
        ca_file=_optional_path(base, t.take("ca_file", str, None)),
        address=t.take("address", str, None),
        tenant_id=t.take("tenant_id", str, None),
        client_id=t.take("client_id", str, None),
        client_secret_env=t.take("client_secret_env", str, None),
        graph_url=t.take("graph_url", str, "https://graph.microsoft.com/v1.0").rstrip("/"),
        service_endpoint=_ews_endpoint(t.take("service_endpoint", str, None), t.take("server", str, None)),
        auth=t.choice("auth", ("ntlm", "basic", "oauth"), "ntlm"),
        exchange_version=t.choice("exchange_version", ("Exchange2013", "Exchange2013_SP1", "Exchange2016",
                                                       "Exchange2019"), "Exchange2016"),
        notifications=t.choice("notifications", ("streaming", "poll"), "streaming"),
        notification_url=t.take("notification_url", str, None),
        notification_secret_env=t.take("notification_secret_env", str, None),
        notification_poll_seconds=float(t.take("notification_poll_seconds", (int, float), 900.0)),
        internal_domains=tuple(d.strip().lower().lstrip("@") for d in t.strings("internal_domains", None, ())),
    )
    t.done()
    if k["notification_url"] is not None and backend != "graph":
        raise ConfigError("mailbox.notification_url: change notifications are for backend = \"graph\"")
    if backend == "folder":
        k.update(path=_path(base, path) if path else data / "inbox",
                 processed_path=_path(base, processed) if processed else data / "processed",
                 failed_path=_path(base, failed) if failed else data / "failed")
    kind = MAILBOX_SETTINGS[backend]
    settings = kind(**{f.name: k[f.name] for f in fields(kind)})
    _check_mailbox(backend, settings)
    return MailboxConfig(backend, k["poll_seconds"], settings, internal_domains=k["internal_domains"])


def _check_mailbox(backend: str, m: BackendConfig) -> None:
    """What each backend cannot run without, named by its key."""
    def need(*keys: str, why: str = "") -> None:
        for key in keys:
            if getattr(m, key) is None:
                raise ConfigError(f"mailbox.{key}: required for backend = \"{backend}\"{why}"
                                  + (" (or mailbox.server)" if key == "service_endpoint" else ""))

    if isinstance(m, ExchangeConfig):
        need("address", "service_endpoint")
        if m.auth == "oauth":
            need("tenant_id", "client_id", "client_secret_env", why=" with auth = \"oauth\"")
        elif m.username is None:
            raise ConfigError("mailbox.username: required for backend = \"exchange\" (DOMAIN\\user or UPN)")
        elif m.password_env is None and m.password_file is None:
            raise ConfigError("mailbox.password_env: required for backend = \"exchange\" (or password_file)")
    if isinstance(m, GraphConfig):
        if m.notification_url is not None:
            if not m.notification_url.startswith("https://"):
                raise ConfigError("mailbox.notification_url: Microsoft Graph only notifies an https:// URL")
            if m.notification_secret_env is None:
                raise ConfigError("mailbox.notification_secret_env: required with notification_url (the clientState secret)")
        need("address", "tenant_id", "client_id", "client_secret_env")
    if isinstance(m, ImapConfig):
        need("host", "username")
        if m.password_env is None and m.password_file is None:
            raise ConfigError("mailbox.password_env: required for backend = \"imap\" (or password_file)")


def _ews_endpoint(endpoint: str | None, server: str | None) -> str | None:
    if endpoint and server:
        raise ConfigError("mailbox: give service_endpoint or server, not both")
    if server:
        return f"https://{server}/EWS/Exchange.asmx"
    return endpoint


def _optional_path(base: Path, value: str | None) -> Path | None:
    return _path(base, value) if value else None


def _outbox(t: _Table, base: Path, data: Path) -> OutboxConfig:
    backend = t.choice("backend", ("folder", "smtp", "exchange", "graph"), "folder")
    path = t.take("path", str, None)
    o = OutboxConfig(
        backend=backend,
        path=_path(base, path) if path else (data / "outbox" if backend == "folder" else None),
        from_address=t.take("from_address", str, "panel@example.gov.uk"),
        host=t.take("host", str, None),
        port=t.take("port", int, None),
        tls=t.choice("tls", ("ssl", "starttls", "none"), "starttls"),
        username=t.take("username", str, None),
        password_env=t.take("password_env", str, None),
        password_file=_optional_path(base, t.take("password_file", str, None)),
        ca_file=_optional_path(base, t.take("ca_file", str, None)),
    )
    t.done()
    if backend == "smtp" and o.host is None:
        raise ConfigError("outbox.host: required for backend = \"smtp\"")
    return o


def _notices(t: _Table, base: Path) -> NoticeConfig:
    tdir = t.take("templates_dir", str, None)
    n = NoticeConfig(
        copy_team_manager=t.take("copy_team_manager", bool, True),
        templates_dir=_path(base, tdir) if tdir else None,
    )
    t.done()
    return n


def _limits(t: _Table) -> Limits:
    mb = 1024 * 1024
    lim = Limits(
        max_message_bytes=int(float(t.take("max_message_mb", (int, float), 60)) * mb),
        max_attachment_bytes=int(float(t.take("max_attachment_mb", (int, float), 30)) * mb),
        max_pages=t.take("max_pages", int, 300),
        max_decompressed_bytes=int(float(t.take("max_decompressed_mb", (int, float), 200)) * mb),
        parse_timeout_seconds=float(t.take("parse_timeout_seconds", (int, float), 60)),
        reader_memory_mb=t.take("reader_memory_mb", int, 1536),
    )
    t.done()
    return lim


def _pack(t: _Table) -> PackConfig:
    pc = PackConfig(
        marking=t.take("marking", str, "OFFICIAL-SENSITIVE"),
        max_email_mb=float(t.take("max_email_mb", (int, float), 10)),
        too_large=t.choice("too_large", ("link", "split"), "link"),
        web_url=t.take("web_url", str, "http://127.0.0.1:8000").rstrip("/"),
        office_workers=t.take("office_workers", int, 2),
        office_timeout_seconds=float(t.take("office_timeout_seconds", (int, float), 90)),
        retry_incomplete_minutes=float(t.take("retry_incomplete_minutes", (int, float), 60)),
        send_automatically=t.take("send_automatically", bool, True),
    )
    t.done()
    if pc.max_email_mb <= 0:
        raise ConfigError("pack.max_email_mb: must be more than 0")
    if pc.office_workers < 1:
        raise ConfigError("pack.office_workers: must be at least 1")
    if pc.retry_incomplete_minutes < 0:
        raise ConfigError("pack.retry_incomplete_minutes: must be 0 or more")
    if "\n" in pc.marking or len(pc.marking) > 80:
        raise ConfigError("pack.marking: one line of at most 80 characters")
    return pc


def _web(t: _Table) -> WebConfig:
    url = t.take("url", str, "http://127.0.0.1:8000").rstrip("/")
    oidc_raw = t.take("oidc", dict, None)
    w = WebConfig(
        url=url,
        secret_key_env=t.take("secret_key_env", str, "CAREPANEL_SECRET_KEY"),
        secure_cookies=t.take("secure_cookies", bool, url.startswith("https://")),
        max_login_failures=t.take("max_login_failures", int, 5),
        oidc=None,
        trusted_proxies=_proxies(t.strings("trusted_proxies", None, ())),
        idle_timeout_minutes=float(t.take("idle_timeout_minutes", (int, float), 30)),
        session_hours=float(t.take("session_hours", (int, float), 8)),
    )
    t.done()
    if w.idle_timeout_minutes <= 0 or w.session_hours <= 0:
        raise ConfigError("web.idle_timeout_minutes, web.session_hours: must be more than 0")
    if oidc_raw is not None:
        o = _Table(oidc_raw, "web.oidc")
        oidc = OidcConfig(issuer=o.take("issuer", str).rstrip("/"), client_id=o.take("client_id", str),
                          client_secret_env=o.take("client_secret_env", str), role_claim=o.take("role_claim", str, "roles"))
        o.done()
        loopback = oidc.issuer.startswith(("http://127.0.0.1", "http://localhost"))
        if not oidc.issuer.startswith("https://") and not loopback:
            raise ConfigError("web.oidc.issuer: must be an https:// URL")
        w = replace(w, oidc=oidc)
    return w


def _proxies(values: tuple[str, ...]) -> tuple[str, ...]:
    import ipaddress

    for v in values:
        try:
            ipaddress.ip_network(v, strict=False)
        except ValueError:
            raise ConfigError(f"web.trusted_proxies: {v!r} is not an IP address or network") from None
    return values


def _retry(t: _Table) -> RetryPolicy:
    r = RetryPolicy(
        first_delay_seconds=float(t.take("first_delay_seconds", (int, float), 30)),
        max_delay_seconds=float(t.take("max_delay_seconds", (int, float), 3600)),
    )
    t.done()
    return r


def _retention(t: _Table) -> RetentionPolicy:
    r = RetentionPolicy(
        years_after_birth=t.take("years_after_birth", int, 75),
        years_after_receipt=t.take("years_after_receipt", int, 75),
    )
    t.done()
    for key in ("years_after_birth", "years_after_receipt"):
        if getattr(r, key) < 1:
            raise ConfigError(f"retention.{key}: must be at least 1 year")
    return r


def default_config(data_dir: Path, profile: str = DEFAULT_PROFILE) -> Config:
    """A config with every default, for tests and for ``parse`` outside a project folder."""
    return build_config({}, base=data_dir.parent, data_dir=data_dir, profile=profile)
