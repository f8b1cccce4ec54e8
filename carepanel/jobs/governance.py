"""Records governance: how long a child's records are kept, legal holds, subject access export.

A record's "retain until" date is the later of the child's birth plus
``retention.years_after_birth`` (the youngest child on the form, so a sibling group is kept
for the youngest) and receipt plus ``retention.years_after_receipt``.  A hold on any child on
a submission stops its purge, whatever its date: inquiries can require records to be kept.

Holds and exports name a child by their child ID (``LCS123456``) or by the store's child key
(``id:LCS123456``, or ``name:amelia hart|2014-03-02`` where the form gave no ID).
"""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..config import RetentionPolicy
from ..errors import CarepanelError
from ..logs import safe_fields
from ..mailbox.archive import Archive
from ..mailbox.durable import fsync_dir, make_dirs
from ..store import Store, SubmissionKeys

log = logging.getLogger("carepanel.governance")


class GovernanceError(CarepanelError):
    code = "governance_error"


def normalise_key(text: str) -> str:
    """A child ID becomes the store's ``id:`` key; a full key is kept (lower-cased name keys)."""
    text = text.strip()
    if not text:
        raise GovernanceError("a child ID or key is needed")
    if text.lower().startswith("name:"):
        return "name:" + " ".join(text[5:].lower().split())
    if text.lower().startswith("id:"):
        text = text[3:]
    return "id:" + re.sub(r"\s+", "", text).upper()


def key_parts(child_key: str | None) -> set[str]:
    return set(child_key.split("+")) if child_key else set()


@dataclass(frozen=True)
class Due:
    submission_id: str
    message_sha256: str
    retain_until: date
    held: bool

    def to_json(self) -> dict[str, Any]:
        return {"submission_id": self.submission_id, "message_sha256": self.message_sha256,
                "retain_until": self.retain_until.isoformat(), "held": self.held}


def retain_until(row: SubmissionKeys, policy: RetentionPolicy) -> date:
    doc = json.loads(row.doc)
    received = date.fromisoformat(row.received_at[:10])
    dobs = [date.fromisoformat(c["dob"]) for c in ((doc.get("request") or {}).get("children") or []) if c.get("dob")]
    until = _add_years(received, policy.years_after_receipt)
    if dobs:
        until = max(until, _add_years(max(dobs), policy.years_after_birth))
    return until


def due_for_purge(store: Store, policy: RetentionPolicy, today: date) -> list[Due]:
    """Submissions past their retention date, oldest first; held ones are listed but marked."""
    held = {h.key for h in store.holds()}
    out = []
    for row in store.submission_rows():
        until = retain_until(row, policy)
        if until <= today:
            out.append(Due(row.id, row.message_sha256, until, bool(key_parts(row.child_key) & held)))
    return out


def purge(store: Store, archive: Archive, policy: RetentionPolicy, today: date, actor: str) -> list[Due]:
    """Delete every due submission that is not on hold: rows first, then the archived files."""
    purged = []
    for item in due_for_purge(store, policy, today):
        if item.held:
            continue
        freed = store.purge_submission(item.submission_id, actor,
                                       f"retention period ended {item.retain_until.isoformat()}")
        if freed is None:  # gone already, or a decision record keeps it (decisions set their own rules)
            continue
        for sha in freed.messages:
            _unlink(archive.path(sha, "message"))
        for sha in freed.blobs:
            _unlink(archive.path(sha, "blob"))
        log.info("submission purged", extra=safe_fields(event="submission_purged", submission_id=item.submission_id,
                                                        message_sha256=item.message_sha256))
        purged.append(item)
    return purged


def export_child(store: Store, archive: Archive, key: str, dest: Path, actor: str) -> dict[str, Any]:
    """Everything held about one child, as a zip for a subject access request.

    Holds ``submissions.json``, each original email (``messages/<sha>.eml``), each attachment
    under its own file name (``attachments/<submission>/<n>-<name>``), and ``audit.json``
    (every audit entry about those submissions, messages and holds).  The export itself is
    audited: who took a copy of a child's file is part of the record.
    """
    wanted = normalise_key(key)
    rows = [r for r in store.submission_rows() if wanted in key_parts(r.child_key)]
    if not rows:
        raise GovernanceError(f"nothing is held about {key!r}")
    if dest.exists():
        raise GovernanceError(f"{dest} already exists; choose a new file name")
    make_dirs(dest.parent)
    ids: list[str] = [wanted]
    part = dest.with_name(f".{dest.name}.part")
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        docs = []
        for row in rows:
            doc = store.submission(row.id)
            assert doc is not None
            docs.append(doc.to_json())
            ids.append(row.id)
            for sha in store.message_shas_for(row.id, row.message_sha256):
                ids.append(sha)
                if archive.exists(sha):
                    zf.writestr(f"messages/{sha}.eml", archive.get(sha))
            for n, att in enumerate(doc.attachments):
                if archive.exists(att.sha256, "blob"):
                    name = re.sub(r"[^\w.\- ]", "_", att.filename) or "file"
                    zf.writestr(f"attachments/{row.id}/{n + 1}-{name}", archive.get(att.sha256, "blob"))
        zf.writestr("submissions.json", json.dumps(docs, indent=2, ensure_ascii=False))
        zf.writestr("audit.json", json.dumps([a.to_json() for a in store.audit_for(ids)], indent=2, ensure_ascii=False))
    os.chmod(part, 0o600)
    os.replace(part, dest)
    fsync_dir(dest.parent)
    store.audit(actor, "child_exported", "child", wanted, "subject access export",
                {"submission_ids": [r.id for r in rows]})
    return {"path": str(dest), "key": wanted, "submissions": [r.id for r in rows]}


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)
