"""The store's rows: frozen values, so what the store returns cannot be changed by accident and
says what it holds.  Every read of the store returns one of these (or a list of them); a
submission, read from its stored contract JSON, is ``stored.StoredSubmission``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LedgerEntry:
    sha256: str
    message_id: str
    source: str
    source_key: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error_code: str | None
    error: str | None
    submission_id: str | None


@dataclass(frozen=True)
class Watermark:
    """How far a server mailbox has been read: committed with the message it moves past."""

    key: str
    uidvalidity: int
    uid: int
    token: str | None = None  # a sync state (EWS): saved instead of the UID when given


@dataclass(frozen=True)
class Outgoing:
    id: str
    kind: str
    submission_id: str | None
    recipients: dict[str, list[str]]
    subject: str
    body: str
    in_reply_to: str | None
    attempts: int
    attachments: tuple[dict[str, str], ...] = ()  # {"path", "filename", "mime"}


# Dates and times are kept as the ISO text the database holds (what pages and logs print); JSON
# columns are decoded and 0/1 columns are booleans.


@dataclass(frozen=True)
class MailboxState:
    """How far one server mailbox has been read, and whether it answered last time."""

    key: str
    uidvalidity: int | None
    last_uid: int
    token: str | None  # a delta link (Graph) or sync state (EWS)
    connected: bool
    last_ok_at: str | None
    last_error: str | None
    last_error_at: str | None
    updated_at: str


@dataclass(frozen=True)
class Account:
    """A local web account (the staff directory's word comes first; see web/auth.py)."""

    email: str
    name: str
    role: str
    password_hash: str | None
    disabled: bool
    created_at: str


@dataclass(frozen=True)
class Pack:
    """One built revision of a panel's pack: the file, its hash, and what is in it."""

    id: str
    panel_date: str
    revision: int
    path: str  # as stored: relative to the data folder (Config.data_path)
    sha256: str
    pages: int
    agenda: tuple[dict[str, Any], ...]  # one per case: submission_id, ref_id, kind, slot, pages
    warnings: tuple[str, ...]
    built_at: str
    sent_at: str | None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log."""

    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    reason: str | None
    data: str | None  # its detail as the JSON text stored (ids and hashes only); exports print it as is

    def details(self) -> dict[str, Any]:
        return dict(json.loads(self.data)) if self.data else {}

    def to_json(self) -> dict[str, Any]:
        """As ``carepanel access-log --json`` and a child's export (audit.json) print it."""
        return asdict(self)


@dataclass(frozen=True)
class Correction:
    """An administrator's value for one field, laid over what was read (which stays as read)."""

    id: int
    submission_id: str
    field: str
    value: str | None
    actor: str
    reason: str
    at: str


@dataclass(frozen=True)
class Hold:
    """A legal hold: records under this key are kept past their retention period."""

    key: str
    reason: str
    placed_by: str
    placed_at: str


@dataclass(frozen=True)
class Purged:
    """What a purge took away: the originals (by hash) no remaining row refers to, for the
    caller to remove from the archive after the commit (side effects last)."""

    messages: tuple[str, ...]  # message originals' SHA-256
    blobs: tuple[str, ...]  # attachment blobs' SHA-256 no other submission shares


@dataclass(frozen=True)
class WebSession:
    """A web session as the server holds it (by its id's SHA-256, never the id).  Times are epoch
    seconds from the web app's clock; whether it is still on is the web's policy."""

    email: str
    created_at: float
    seen_at: float
    ended_at: float | None


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins on record against one key (``account:...`` or ``address:...``)."""

    key: str
    failures: int
    last_at: float  # epoch seconds of the latest failure
    until: float  # no sign-in for this key before this time


@dataclass(frozen=True)
class MessageLink:
    """One ledger line as the consistency check sees it: a message and its submission, if any."""

    sha256: str
    status: str
    submission_id: str | None


@dataclass(frozen=True)
class Overdue:
    """What has waited too long, as the health check counts it."""

    messages: int  # received or failed, not yet processed
    outgoing: int  # mail not sent
    reviews: int  # reviews still due after their panel


def pack_row(r: dict[str, Any]) -> Pack:
    return Pack(id=r["id"], panel_date=r["panel_date"], revision=r["revision"], path=r["path"], sha256=r["sha256"],
                pages=r["pages"], agenda=tuple(json.loads(r["agenda"] or "[]")),
                warnings=tuple(json.loads(r["warnings"] or "[]")), built_at=r["built_at"], sent_at=r["sent_at"])


def audit_row(r: tuple[Any, ...]) -> AuditEntry:
    """From ``SELECT seq, at, actor, action, entity, entity_id, reason, data``."""
    return AuditEntry(seq=r[0], at=r[1], actor=r[2], action=r[3], entity=r[4], entity_id=r[5], reason=r[6], data=r[7])


@dataclass(frozen=True)
class Review:
    """A child brought back to a later panel's agenda (a review a decision asked for, or the
    ratification of an emergency decision)."""

    id: str
    child_key: str
    child_id: str | None
    panel_date: str
    kind: str  # review | ratification | ...
    reason: str
    decision_id: str | None
    submission_id: str | None
    status: str  # due | listed | heard | missed
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class AgendaItem:
    """The administrator's mark on a panel's agenda: a position, a withdrawal, a complex case, or
    an item added by hand (then ``ref_id == id``)."""

    id: str
    panel_date: str
    kind: str
    ref_id: str
    title: str | None
    team: str | None
    complex: bool
    position: int | None
    status: str  # listed | withdrawn
    reason: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Decision:
    """One version of a decision record; a signed version is never altered."""

    id: str
    series: str
    version: int
    kind: str
    submission_id: str | None
    panel_date: str
    child_key: str | None
    child_id: str | None
    outcome: str
    record: str  # the decision record as the JSON text stored; ``details()`` decodes it
    status: str  # draft | signed
    docx_path: str
    pdf_path: str
    pdf_sha256: str
    signed_by: str | None
    signed_at: str | None
    upload_dir: str | None
    upload_due: str | None
    uploaded_at: str | None
    superseded_by: str | None
    created_at: str

    def details(self) -> dict[str, Any]:
        return dict(json.loads(self.record))


@dataclass(frozen=True)
class FinanceEntry:
    """A line of the finance officer's log of approved expenditure, with its decision's outcome."""

    id: str
    decision_id: str
    child_id: str | None
    resource: str | None
    weekly_cost: float | None
    total_cost: float | None
    period_weeks: int | None
    decision_date: str
    created_at: str
    outcome: str
    panel_date: str


@dataclass(frozen=True)
class UnmetNeed:
    """A need the panel found no resource for, recorded with the decision that found it."""

    id: str
    decision_id: str
    child_id: str | None
    need: str
    panel_date: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        """As ``carepanel unmet-needs --json`` prints it."""
        return asdict(self)


def agenda_item_row(r: dict[str, Any]) -> AgendaItem:
    return AgendaItem(**{**r, "complex": bool(r["complex"])})


@dataclass(frozen=True)
class MailSent:
    """What became of one mail queued for a submission (its page and the tests read it)."""

    id: str
    kind: str
    status: str  # pending | failed | sent
    recipients: dict[str, list[str]]
    subject: str


@dataclass(frozen=True)
class SubmissionKeys:
    """A submission as governance sees it: ids, hashes, the child key, receipt, and the stored
    document as its JSON text (read for the children's dates of birth)."""

    id: str
    message_sha256: str
    message_id: str
    child_key: str | None
    received_at: str
    status: str
    doc: str


@dataclass(frozen=True)
class ReceivedSummary:
    """The dashboard's counts of what arrived since a day."""

    by_status: dict[str, int]
    total: int
    late: int
    flagged: int


@dataclass(frozen=True)
class OpsFigures:
    """The counts ``carepanel status`` and the health check show, read at once."""

    ledger: dict[str, int]  # messages by status
    outgoing: dict[str, int]  # mail by status
    last_message_seen_at: str | None
    last_received_at: str | None
    submissions: dict[str, int]  # submissions by status
    schema_version: int
