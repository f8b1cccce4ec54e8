"""A submission as the store gives it back: the judged form's contract JSON (kept whole in the
``doc`` column) read into frozen values, with the columns an administrator can change (status,
panel) laid over it.

Its ``to_json()`` is what ``carepanel submissions --json``, ``show`` and the review commands
print: the contract's submission object, key for key as it was stored.  The parts reuse the
value types of ``models.py`` (``Request``, ``Flag``, ``Signoff``, ``AttachmentInfo``) through
their ``from_json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..models import SUBMISSION_SCHEMA, AttachmentInfo, Flag, Request, Signoff


@dataclass(frozen=True)
class StoredSubmission:
    """A stored submission.  Dates and times are the ISO text stored (``panel_date`` is the
    column's, which an administrator may have moved)."""

    id: str
    message_id: str
    received_at: str
    sender: str
    subject: str
    status: str  # accepted | flagged | superseded | rejected
    panel_date: str | None
    cutoff: str | None
    flags: tuple[Flag, ...]
    signoff: Signoff
    request: Request | None
    attachments: tuple[AttachmentInfo, ...]
    warnings: tuple[str, ...] = ()
    # The child's stable key (pipeline/identity.py), from its own column: it links a request to
    # the child's reviews and earlier decisions, and is not part of the contract's object.
    child_key: str | None = None

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)

    @property
    def panel_day(self) -> date | None:
        return date.fromisoformat(self.panel_date) if self.panel_date else None

    def to_json(self) -> dict[str, Any]:
        """The contract's submission object (``carepanel/submission@1``)."""
        return {
            "schema": SUBMISSION_SCHEMA,
            "id": self.id,
            "message_id": self.message_id,
            "received_at": self.received_at,
            "sender": self.sender,
            "subject": self.subject,
            "status": self.status,
            "panel_date": self.panel_date,
            "cutoff": self.cutoff,
            "flags": [f.to_json() for f in self.flags],
            "signoff": self.signoff.to_json(),
            "request": self.request.to_json() if self.request else None,
            "attachments": [a.to_json() for a in self.attachments],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], child_key: str | None = None) -> StoredSubmission:
        return cls(
            id=doc["id"], message_id=doc["message_id"], received_at=doc["received_at"], sender=doc["sender"],
            subject=doc["subject"], status=doc["status"], panel_date=doc.get("panel_date"), cutoff=doc.get("cutoff"),
            flags=tuple(Flag.from_json(f) for f in doc.get("flags") or ()), signoff=Signoff.from_json(doc.get("signoff")),
            request=Request.from_json(doc["request"]) if doc.get("request") else None,
            attachments=tuple(AttachmentInfo.from_json(a) for a in doc.get("attachments") or ()),
            warnings=tuple(doc.get("warnings") or ()), child_key=child_key,
        )


def submission_doc(row: tuple[str, ...]) -> dict[str, Any]:
    """The stored submission object as JSON, with the columns an administrator can change laid
    over it: from ``SELECT status, doc[, panel_date]``."""
    doc: dict[str, Any] = json.loads(row[1])
    doc["status"] = row[0]
    if len(row) > 2:
        doc["panel_date"] = row[2]
    return doc


def stored_submission(row: tuple[str, ...]) -> StoredSubmission:
    """From ``SELECT status, doc, panel_date, child_key``."""
    return StoredSubmission.from_json(submission_doc(row[:3]), child_key=row[3])
