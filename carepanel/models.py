"""The values that flow between the stages, read this module first.

Every stage is a plain function from one of these frozen values to the next.  The JSON
shapes of the command-line contract (``../shared/contract/README.md``) are their
``to_json()``; nothing else decides what a request or submission looks like on the wire.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from collections.abc import Mapping
from typing import Any, Literal, cast

REQUEST_SCHEMA = "carepanel/request@1"
SUBMISSION_SCHEMA = "carepanel/submission@1"

FLAG_CODES = (
    "late",
    "missing_fields",
    "no_manager_signoff",
    "no_request_form",
    "unreadable_attachment",
    "unsafe_attachment",
    "missing_documents",
    "out_of_scope",
    "below_threshold",
)

REQUEST_TYPES = (
    "s20",
    "pre_proceedings",
    "care_proceedings",
    "secure_accommodation",
    "emergency_protection",
    "placement",
    "placement_change",
    "external_placement",
    "independent_assessment",
    "nrpf",
    "expenditure",
    "respite_disability",
    "sgo_adoption_support",
    "other",
)

ATTACHMENT_ROLES = ("request_form", "assessment", "care_plan", "genogram", "review_record", "other")

SubmissionStatus = Literal["accepted", "flagged", "superseded", "rejected"]
SignoffSource = Literal["form_signature", "sender_is_manager", "forwarded_approval", "admin_override"]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


# The ``from_json`` constructors read back what ``to_json`` wrote (the store keeps a submission as
# its contract JSON): ``X.from_json(x.to_json()).to_json() == x.to_json()``.


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Attachment:
    """One file carried by a message, with the sender's name kept only as metadata."""

    filename: str  # made safe: no path, no control characters
    content_type: str
    data: bytes = field(repr=False)
    sha256: str
    forwarded: bool = False  # came inside an attached/forwarded message

    @classmethod
    def of(cls, filename: str, content_type: str, data: bytes, forwarded: bool = False) -> Attachment:
        return cls(filename, content_type, data, sha256_hex(data), forwarded)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class QuotedMessage:
    """A message quoted in the body or attached: evidence of a forwarded approval."""

    sender: str | None  # lower-cased address
    text: str


@dataclass(frozen=True)
class AuthResults:
    """SPF/DKIM/DMARC as the receiving server stamped them; ``None`` = not stamped."""

    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None
    compauth: str | None = None  # Microsoft's composite authentication, in the same header
    # Exchange's own stamp of mail from inside the organisation (X-MS-Exchange-Organization-AuthAs
    # and its kin): "internal" / "anonymous" / ...; believed only where the backend is Exchange
    # or Graph, which strip it from mail arriving from outside (pipeline/sender_proof.py).
    exchange_auth_as: str | None = None

    @property
    def spoofed(self) -> bool:
        fails = {"fail", "softfail", "permerror"}
        return any(v in fails for v in (self.spf, self.dkim, self.dmarc) if v)


@dataclass(frozen=True)
class Message:
    """An email as received: the raw bytes' hash ties it to the archived original."""

    sha256: str
    message_id: str
    sender: str  # lower-cased address
    sender_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    received_at: datetime | None
    body: str
    quoted: tuple[QuotedMessage, ...]
    attachments: tuple[Attachment, ...]
    auth: AuthResults = AuthResults()
    # Sent by a machine (out-of-office, bounce, list): stored and judged, never answered,
    # or two auto-responders would mail each other for ever.
    automatic: bool = False


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class SourceFile:
    filename: str
    sha256: str
    format: str

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "sha256": self.sha256, "format": self.format}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SourceFile:
        return cls(filename=d["filename"], sha256=d["sha256"], format=d["format"])


@dataclass(frozen=True)
class Child:
    name: str | None = None
    dob: date | None = None
    age: int | None = None
    gender: str | None = None
    child_id: str | None = None
    legal_status: str | None = None
    ethnicity: str | None = None
    plan: str | None = None
    disability: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dob": _iso(self.dob),
            "age": self.age,
            "gender": self.gender,
            "child_id": self.child_id,
            "legal_status": self.legal_status,
            "ethnicity": self.ethnicity,
            "plan": self.plan,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Child:
        return cls(name=d.get("name"), dob=_day(d.get("dob")), age=d.get("age"), gender=d.get("gender"),
                   child_id=d.get("child_id"), legal_status=d.get("legal_status"), ethnicity=d.get("ethnicity"),
                   plan=d.get("plan"))


@dataclass(frozen=True)
class Costs:
    weekly: float | None = None
    total: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"weekly": self.weekly, "total": self.total}

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> Costs:
        return cls(weekly=(d or {}).get("weekly"), total=(d or {}).get("total"))


@dataclass(frozen=True)
class Worker:
    name: str | None = None
    team: str | None = None
    email: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "team": self.team, "email": self.email}

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> Worker:
        d = d or {}
        return cls(name=d.get("name"), team=d.get("team"), email=d.get("email"))


@dataclass(frozen=True)
class Signatory:
    name: str | None = None
    signed: bool = False
    signed_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "signed": self.signed, "signed_on": _iso(self.signed_on)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> Signatory:
        d = d or {}
        return cls(name=d.get("name"), signed=bool(d.get("signed")), signed_on=_day(d.get("signed_on")))


@dataclass(frozen=True)
class Request:
    """A request form read into the contract's shape.

    ``panel_date_asked`` is the date the form itself names ("Date presented to Panel"); it
    is kept apart from ``fields`` so the calendar rule need not know any form's labels.
    """

    source: SourceFile
    form: str | None
    children: tuple[Child, ...] = ()
    request: str | None = None
    request_types: tuple[str, ...] = ()
    summary: str | None = None
    costs: Costs = Costs()
    social_worker: Worker = Worker()
    team_manager: Signatory = Signatory()
    service_manager: Signatory = Signatory()
    fields: tuple[tuple[str, str | None], ...] = ()
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    panel_date_asked: date | None = None
    duration: str | None = None
    # For each request type, the words of the request that made it: named in the detail of the
    # flag they cause (kept out of to_json, whose keys are the contract's).
    request_type_words: tuple[tuple[str, str], ...] = ()

    def field(self, label: str) -> str | None:
        for key, value in self.fields:
            if key == label:
                return value
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REQUEST_SCHEMA,
            "source": self.source.to_json(),
            "form": self.form,
            "children": [c.to_json() for c in self.children],
            "request": self.request,
            "request_types": list(self.request_types),
            "summary": self.summary,
            "costs": self.costs.to_json(),
            "social_worker": self.social_worker.to_json(),
            "team_manager": self.team_manager.to_json(),
            "service_manager": self.service_manager.to_json(),
            "fields": dict(self.fields),
            "missing": list(self.missing),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Request:
        """What ``to_json`` wrote; the parts kept out of it (the date the form asks for, the
        duration, the words behind each type) are not in the contract and come back empty."""
        return cls(
            source=SourceFile.from_json(d["source"]), form=d.get("form"),
            children=tuple(Child.from_json(c) for c in d.get("children") or ()), request=d.get("request"),
            request_types=tuple(d.get("request_types") or ()), summary=d.get("summary"), costs=Costs.from_json(d.get("costs")),
            social_worker=Worker.from_json(d.get("social_worker")), team_manager=Signatory.from_json(d.get("team_manager")),
            service_manager=Signatory.from_json(d.get("service_manager")), fields=tuple((d.get("fields") or {}).items()),
            missing=tuple(d.get("missing") or ()), warnings=tuple(d.get("warnings") or ()),
        )


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Flag:
        return cls(code=d["code"], detail=d["detail"])


@dataclass(frozen=True)
class Signoff:
    source: SignoffSource | None
    by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "by": self.by}

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> Signoff:
        d = d or {}
        return cls(source=cast("SignoffSource | None", d.get("source")), by=d.get("by"))


@dataclass(frozen=True)
class AttachmentInfo:
    """What a submission says of each file; the bytes stay in the archive."""

    filename: str
    sha256: str
    role: str
    readable: bool
    format: str | None = None
    problem: str | None = None  # flag code when not readable or unsafe

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "sha256": self.sha256, "role": self.role, "readable": self.readable}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AttachmentInfo:
        """Format and problem are not in the contract JSON (the flags say what was wrong)."""
        return cls(filename=d["filename"], sha256=d["sha256"], role=d["role"], readable=bool(d["readable"]))


@dataclass(frozen=True)
class Panel:
    """One sitting of the panel, with the deadlines that belong to it."""

    date: date
    starts_at: datetime
    ends_at: datetime
    cutoff: datetime
    papers_out: datetime


@dataclass(frozen=True)
class Submission:
    id: str
    message_id: str
    message_sha256: str
    received_at: datetime
    sender: str
    subject: str
    status: SubmissionStatus
    panel_date: date | None
    cutoff: datetime | None
    flags: tuple[Flag, ...]
    signoff: Signoff
    request: Request | None
    attachments: tuple[AttachmentInfo, ...]
    child_key: str | None = None  # stable id of the (first) child, for superseding
    superseded_by: str | None = None
    # Points for the administrator and chair that do not hold the request back (a sign-off
    # the profile looks for but does not require, advice the policy gives).
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SUBMISSION_SCHEMA,
            "id": self.id,
            "message_id": self.message_id,
            "received_at": _iso(self.received_at),
            "sender": self.sender,
            "subject": self.subject,
            "status": self.status,
            "panel_date": _iso(self.panel_date),
            "cutoff": _iso(self.cutoff),
            "flags": [f.to_json() for f in self.flags],
            "signoff": self.signoff.to_json(),
            "request": self.request.to_json() if self.request else None,
            "attachments": [a.to_json() for a in self.attachments],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class StaffMember:
    """A person in the staff directory.  ``role`` is the first of ``roles`` (the CSV's ``role``
    column may hold several, ``;`` between them: ``head_of_service;vice_chair``)."""

    name: str
    email: str  # lower-cased
    role: str
    team: str | None = None
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.roles:
            object.__setattr__(self, "roles", tuple(r for r in self.role.split(";") if r) or (self.role,))
        if self.role != self.roles[0]:
            object.__setattr__(self, "role", self.roles[0])
