"""The store's rows: frozen values, so what the store returns cannot be changed by accident and
says what it holds.  (Submissions and decisions are still returned as dicts; to convert.)"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


def submission_doc(row: tuple[str, ...]) -> dict[str, Any]:
    """The stored submission object, with the columns an administrator can change laid over it."""
    doc: dict[str, Any] = json.loads(row[1])
    doc["status"] = row[0]
    if len(row) > 2:
        doc["panel_date"] = row[2]
    return doc
