"""The only module that speaks SQL.

SQLite through sqlite-utils, in WAL mode with ``synchronous=FULL`` so that a committed
submission survives a power cut.  The schema is versioned with ``PRAGMA user_version`` and
grows by appending to ``MIGRATIONS``; a migration is never edited once released.  The audit
log is append-only: triggers refuse any UPDATE or DELETE on it.

The ledger (``messages``) records every message the mailbox has handed over, whatever became
of it, so nothing is silently skipped: a failure keeps its reason and its next retry time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import StoreError
from .pipeline.identity import same_children
from .pipeline.models import Submission

MIGRATIONS: tuple[str, ...] = (
    # 1: intake
    """
    CREATE TABLE messages (
        sha256 TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        source TEXT NOT NULL,
        source_key TEXT,
        size INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('received', 'processed', 'failed', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        error_code TEXT,
        error TEXT,
        first_seen_at TEXT NOT NULL,
        processed_at TEXT,
        submission_id TEXT
    );
    CREATE INDEX messages_message_id ON messages(message_id);
    CREATE INDEX messages_status ON messages(status, next_attempt_at);

    CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        message_sha256 TEXT NOT NULL REFERENCES messages(sha256),
        message_id TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL,
        sender TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'flagged', 'superseded', 'rejected')),
        panel_date TEXT,
        cutoff TEXT,
        child_key TEXT,
        superseded_by TEXT,
        doc TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX submissions_panel ON submissions(panel_date, status);
    CREATE INDEX submissions_child ON submissions(child_key, panel_date);

    CREATE TABLE flags (
        submission_id TEXT NOT NULL REFERENCES submissions(id),
        code TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX flags_submission ON flags(submission_id);

    CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        submission_id TEXT NOT NULL REFERENCES submissions(id),
        position INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        filename TEXT NOT NULL,
        role TEXT NOT NULL,
        readable INTEGER NOT NULL,
        format TEXT,
        problem TEXT
    );
    CREATE INDEX attachments_submission ON attachments(submission_id);

    CREATE TABLE outgoing (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        submission_id TEXT,
        recipients TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        in_reply_to TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        sent_message_id TEXT
    );
    CREATE INDEX outgoing_status ON outgoing(status, next_attempt_at);

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        reason TEXT,
        data TEXT
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 2: reviews that decisions bring back to a later panel (written by decisions, read by the agenda)
    """
    CREATE TABLE reviews (
        id TEXT PRIMARY KEY,
        child_key TEXT NOT NULL,
        child_id TEXT,
        panel_date TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('review', 'pre_proceedings_review', 'ratification')),
        reason TEXT NOT NULL,
        decision_id TEXT,
        submission_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('due', 'listed', 'heard', 'missed', 'cancelled')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX reviews_panel ON reviews(panel_date, status);
    CREATE INDEX reviews_child ON reviews(child_key);
    """,
    # 3: the agenda an administrator shapes, the packs built from it, files on outgoing mail
    """
    CREATE TABLE agenda_items (
        id TEXT PRIMARY KEY,
        panel_date TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('request', 'review', 'ratification', 'manual')),
        ref_id TEXT,
        title TEXT,
        team TEXT,
        complex INTEGER NOT NULL DEFAULT 0,
        position INTEGER,
        status TEXT NOT NULL CHECK (status IN ('listed', 'withdrawn')),
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX agenda_items_ref ON agenda_items(panel_date, ref_id);

    CREATE TABLE packs (
        id TEXT PRIMARY KEY,
        panel_date TEXT NOT NULL,
        revision INTEGER NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        pages INTEGER NOT NULL,
        agenda TEXT NOT NULL,
        warnings TEXT NOT NULL,
        built_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (panel_date, revision)
    );

    ALTER TABLE outgoing ADD COLUMN attachments TEXT;
    """,
    # 4: decisions (versioned; a signed version is never altered), finance and unmet-need logs
    """
    CREATE TABLE decisions (
        id TEXT PRIMARY KEY,
        series TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('panel', 'emergency')),
        submission_id TEXT,
        panel_date TEXT NOT NULL,
        child_key TEXT,
        child_id TEXT,
        outcome TEXT NOT NULL,
        record TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
        docx_path TEXT NOT NULL,
        pdf_path TEXT NOT NULL,
        pdf_sha256 TEXT NOT NULL,
        signed_by TEXT,
        signed_at TEXT,
        upload_dir TEXT,
        upload_due TEXT,
        uploaded_at TEXT,
        superseded_by TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (series, version)
    );
    CREATE INDEX decisions_submission ON decisions(submission_id);
    CREATE INDEX decisions_child ON decisions(child_key);
    CREATE TRIGGER decisions_signed_are_final BEFORE UPDATE ON decisions
        WHEN OLD.status = 'signed' AND (NEW.record IS NOT OLD.record OR NEW.pdf_sha256 IS NOT OLD.pdf_sha256
            OR NEW.pdf_path IS NOT OLD.pdf_path OR NEW.docx_path IS NOT OLD.docx_path OR NEW.status IS NOT OLD.status
            OR NEW.signed_by IS NOT OLD.signed_by OR NEW.signed_at IS NOT OLD.signed_at)
        BEGIN SELECT RAISE(ABORT, 'a signed decision is never altered: record a new version'); END;
    CREATE TRIGGER decisions_never_deleted BEFORE DELETE ON decisions
        WHEN OLD.status = 'signed'
        BEGIN SELECT RAISE(ABORT, 'a signed decision is never deleted'); END;

    CREATE TABLE finance_log (
        id TEXT PRIMARY KEY,
        decision_id TEXT NOT NULL REFERENCES decisions(id),
        child_id TEXT,
        resource TEXT,
        weekly_cost REAL,
        total_cost REAL,
        period_weeks INTEGER,
        decision_date TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE unmet_need (
        id TEXT PRIMARY KEY,
        decision_id TEXT NOT NULL REFERENCES decisions(id),
        child_id TEXT,
        need TEXT NOT NULL,
        panel_date TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 5: the web app: local accounts, and administrators' corrections laid over what was read
    """
    CREATE TABLE users (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('administrator', 'chair', 'panel_member', 'read_only')),
        password_hash TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        submission_id TEXT NOT NULL REFERENCES submissions(id),
        field TEXT NOT NULL,
        value TEXT,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # 6: where a server mailbox has been read up to (committed with the submissions), and its health
    """
    CREATE TABLE mailbox_state (
        key TEXT PRIMARY KEY,
        uidvalidity INTEGER,
        last_uid INTEGER NOT NULL DEFAULT 0,
        token TEXT,
        connected INTEGER NOT NULL DEFAULT 0,
        last_ok_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        updated_at TEXT NOT NULL
    );
    """,
    # 7: legal holds on a child's records (ops: records governance)
    """
    CREATE TABLE holds (
        key TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        placed_by TEXT NOT NULL,
        placed_at TEXT NOT NULL
    );
    """,
    # 8: web sessions held on the server (so they can be ended) and sign-in throttles
    """
    CREATE TABLE web_sessions (
        id_sha256 TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        created_at REAL NOT NULL,
        seen_at REAL NOT NULL,
        ended_at REAL,
        end_reason TEXT
    );
    CREATE INDEX web_sessions_email ON web_sessions (email, ended_at);
    CREATE TABLE sign_in_throttles (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_at REAL NOT NULL,
        until REAL NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


class Store:
    """A handle on the database; cheap to open, one per thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _private_db_file(path)
        try:
            conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        self._migrate()

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ schema

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the database is at schema version {version}, newer than this program ({SCHEMA_VERSION}): upgrade carepanel"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number - 1]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE, so two processes never interleave a read-then-write."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the database is busy: {exc}") from exc
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ ledger

    def ledger_entry(self, sha256: str) -> LedgerEntry | None:
        row = self.conn.execute("SELECT * FROM messages WHERE sha256 = ?", (sha256,)).fetchone()
        return _ledger(self._row(row, "messages")) if row else None

    def note_message(self, sha256: str, message_id: str, source: str, source_key: str | None, size: int) -> LedgerEntry:
        """Record that a message was seen (after it is archived); idempotent."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO messages (sha256, message_id, source, source_key, size, status, first_seen_at)"
                " VALUES (?, ?, ?, ?, ?, 'received', ?) ON CONFLICT(sha256) DO UPDATE SET source_key = excluded.source_key",
                (sha256, message_id, source, source_key, size, _now()),
            )
        entry = self.ledger_entry(sha256)
        assert entry is not None
        return entry

    def note_failure(self, sha256: str, code: str, error: str, next_attempt_at: datetime | None, *, refused: bool = False,
                     watermark: Watermark | None = None) -> None:
        with self.transaction():
            self._advance(watermark)
            self.conn.execute(
                "UPDATE messages SET status = ?, attempts = attempts + 1, error_code = ?, error = ?, next_attempt_at = ?"
                " WHERE sha256 = ?",
                ("refused" if refused else "failed", code, error[:2000],
                 next_attempt_at.isoformat() if next_attempt_at else None, sha256),
            )
            self._audit("carepanel", "message_refused" if refused else "message_failed", "message", sha256, code, None)

    def commit_submission_seen(self, sha256: str, submission_id: str, watermark: Watermark | None = None) -> None:
        """A message whose submission already exists (a redelivery) is simply processed."""
        with self.transaction():
            self._advance(watermark)
            self._mark_processed(sha256, submission_id)

    def failed_messages(self) -> list[LedgerEntry]:
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE status IN ('failed', 'refused') ORDER BY first_seen_at"
        ).fetchall()
        return [_ledger(self._row(r, "messages")) for r in rows]

    def submission_for_message(self, sha256: str, message_id: str) -> dict[str, Any] | None:
        """The stored submission for this message: same bytes, or same Message-ID."""
        row = self.conn.execute(
            "SELECT id FROM submissions WHERE message_sha256 = ? OR message_id = ? LIMIT 1", (sha256, message_id)
        ).fetchone()
        return self.submission(row[0]) if row else None

    # ------------------------------------------------------------------ submissions

    def commit_submission(self, sub: Submission, outgoing: list[dict[str, Any]], actor: str = "carepanel",
                          watermark: Watermark | None = None) -> dict[str, Any]:
        """Store a judged submission, supersede earlier ones for the same child and panel,
        queue its notices, mark the message processed and move the mailbox's watermark past it:
        all in one transaction."""
        with self.transaction():
            self._advance(watermark)
            existing = self.conn.execute(
                "SELECT id FROM submissions WHERE message_sha256 = ? OR message_id = ?", (sub.message_sha256, sub.message_id)
            ).fetchone()
            if existing:
                self._mark_processed(sub.message_sha256, existing[0])
                sub_id = existing[0]
            else:
                self._insert_submission(sub)
                status = self._supersede(sub)
                self._audit(actor, "submission_created", "submission", sub.id, None,
                            {"status": status, "flags": [f.code for f in sub.flags]})
                for item in outgoing:
                    self._queue_outgoing(item)
                self._mark_processed(sub.message_sha256, sub.id)
                sub_id = sub.id
        result = self.submission(sub_id)
        assert result is not None
        return result

    def _insert_submission(self, sub: Submission) -> None:
        now = _now()
        doc = sub.to_json()
        self.db.table("submissions").insert({
            "id": sub.id, "message_sha256": sub.message_sha256, "message_id": sub.message_id,
            "received_at": sub.received_at.isoformat(), "sender": sub.sender, "status": sub.status,
            "panel_date": sub.panel_date.isoformat() if sub.panel_date else None,
            "cutoff": sub.cutoff.isoformat() if sub.cutoff else None,
            "child_key": sub.child_key, "superseded_by": None,
            "doc": json.dumps(doc, ensure_ascii=False), "created_at": now, "updated_at": now,
        })
        self.db.table("flags").insert_all([{"submission_id": sub.id, "code": f.code, "detail": f.detail} for f in sub.flags])
        self.db.table("attachments").insert_all([
            {"id": f"{sub.id}-{i}", "submission_id": sub.id, "position": i, "sha256": a.sha256,
             "filename": a.filename, "role": a.role, "readable": int(a.readable), "format": a.format, "problem": a.problem}
            for i, a in enumerate(sub.attachments)
        ])

    def _supersede(self, sub: Submission) -> str:
        """A later form for the same children and panel replaces the earlier one.

        A panel has tens of submissions, so the candidates are compared in Python
        (``same_children``: by ID, or by name and date of birth where an ID is missing).

        "Later" is by receipt time, not processing order, so a retried older message that
        is processed last does not undo the newer form.  Returns the new one's status.
        """
        if not sub.child_key or sub.panel_date is None or sub.request is None:
            return sub.status
        children = sub.request.to_json()["children"]
        rows = [
            (other_id, other_received)
            for other_id, other_received, doc in self.conn.execute(
                "SELECT id, received_at, doc FROM submissions WHERE panel_date = ? AND id != ?"
                " AND status IN ('accepted', 'flagged')",
                (sub.panel_date.isoformat(), sub.id),
            ).fetchall()
            if same_children(children, (json.loads(doc).get("request") or {}).get("children") or [])
        ]
        status = sub.status
        for other_id, other_received in rows:
            if datetime.fromisoformat(other_received) <= sub.received_at:
                self._set_status(other_id, "superseded", superseded_by=sub.id, reason=f"replaced by {sub.id}")
            else:
                self._set_status(sub.id, "superseded", superseded_by=other_id, reason=f"replaced by {other_id}")
                status = "superseded"
        return status

    def _set_status(self, sub_id: str, status: str, *, superseded_by: str | None = None, reason: str | None = None,
                    actor: str = "carepanel") -> None:
        self.conn.execute(
            "UPDATE submissions SET status = ?, superseded_by = COALESCE(?, superseded_by), updated_at = ? WHERE id = ?",
            (status, superseded_by, _now(), sub_id),
        )
        self._audit(actor, f"submission_{status}", "submission", sub_id, reason, None)

    def _mark_processed(self, sha256: str, submission_id: str) -> None:
        self.conn.execute(
            "UPDATE messages SET status = 'processed', processed_at = ?, submission_id = ?, next_attempt_at = NULL,"
            " error_code = NULL, error = NULL WHERE sha256 = ?",
            (_now(), submission_id, sha256),
        )

    def submission(self, sub_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT status, doc, panel_date FROM submissions WHERE id = ?", (sub_id,)).fetchone()
        return _doc(row) if row else None

    def submissions(self, status: str | None = None, panel_date: date | None = None) -> list[dict[str, Any]]:
        sql = "SELECT status, doc, panel_date FROM submissions WHERE 1=1"
        args: list[Any] = []
        if status:
            sql += " AND status = ?"
            args.append(status)
        if panel_date:
            sql += " AND panel_date = ?"
            args.append(panel_date.isoformat())
        sql += " ORDER BY received_at, id"
        return [_doc(r) for r in self.conn.execute(sql, args).fetchall()]

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, count(*) FROM submissions GROUP BY status").fetchall()
        return {r[0]: r[1] for r in rows}

    # ------------------------------------------------------------------ outgoing mail

    def _queue_outgoing(self, item: dict[str, Any]) -> None:
        self.db.table("outgoing").insert({
            "id": item["id"], "kind": item["kind"], "submission_id": item.get("submission_id"),
            "recipients": json.dumps(item["recipients"]), "subject": item["subject"], "body": item["body"],
            "in_reply_to": item.get("in_reply_to"), "status": "pending", "created_at": _now(),
            "attachments": json.dumps(item["attachments"]) if item.get("attachments") else None,
        }, ignore=True)

    def queue_outgoing(self, items: list[dict[str, Any]], actor: str = "carepanel") -> None:
        """Mail to send that no submission commit carries (packs, slot times, notices)."""
        with self.transaction():
            for item in items:
                self._queue_outgoing(item)
                self._audit(actor, "mail_queued", "outgoing", item["id"], item["kind"], None)

    def due_outgoing(self, now: datetime) -> list[Outgoing]:
        rows = self.conn.execute(
            "SELECT id, kind, submission_id, recipients, subject, body, in_reply_to, attempts, attachments FROM outgoing"
            " WHERE status IN ('pending', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at",
            (now.isoformat(),),
        ).fetchall()
        return [Outgoing(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7], tuple(json.loads(r[8] or "[]")))
                for r in rows]

    def mark_sent(self, outgoing_id: str, sent_message_id: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE outgoing SET status = 'sent', sent_at = ?, sent_message_id = ?, error = NULL WHERE id = ?",
                (_now(), sent_message_id, outgoing_id),
            )
            self._audit("carepanel", "mail_sent", "outgoing", outgoing_id, None, None)

    def mark_send_failed(self, outgoing_id: str, error: str, next_attempt_at: datetime) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE outgoing SET status = 'failed', attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE id = ?",
                (error[:2000], next_attempt_at.isoformat(), outgoing_id),
            )

    def outgoing_for(self, submission_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, kind, status, recipients, subject FROM outgoing WHERE submission_id = ? ORDER BY created_at",
            (submission_id,),
        ).fetchall()
        return [{"id": r[0], "kind": r[1], "status": r[2], "recipients": json.loads(r[3]), "subject": r[4]} for r in rows]

    # ------------------------------------------------------------------ audit

    def _audit(self, actor: str, action: str, entity: str, entity_id: str, reason: str | None,
               data: dict[str, Any] | None) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, actor, action, entity, entity_id, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), actor, action, entity, entity_id, reason, json.dumps(data) if data is not None else None),
        )

    def audit(self, actor: str, action: str, entity: str, entity_id: str, reason: str | None = None,
              data: dict[str, Any] | None = None) -> None:
        with self.transaction():
            self._audit(actor, action, entity, entity_id, reason, data)

    def audit_log(self, entity_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT seq, at, actor, action, entity, entity_id, reason, data FROM audit"
        args: tuple[Any, ...] = ()
        if entity_id:
            sql += " WHERE entity_id = ?"
            args = (entity_id,)
        cols = ("seq", "at", "actor", "action", "entity", "entity_id", "reason", "data")
        return [dict(zip(cols, r)) for r in self.conn.execute(sql + " ORDER BY seq", args).fetchall()]

    # ------------------------------------------------------------------ helpers

    # ------------------------------------------------------------------ reviews

    def add_review(self, *, child_key: str, panel_date: date, kind: str, reason: str, child_id: str | None = None,
                   decision_id: str | None = None, submission_id: str | None = None, actor: str = "carepanel") -> str:
        """Put a child back on a later panel's agenda; the audit log says which decision asked for it."""
        review_id = "rev_" + uuid.uuid4().hex[:16]
        now = _now()
        with self.transaction():
            self.db.table("reviews").insert({
                "id": review_id, "child_key": child_key, "child_id": child_id, "panel_date": panel_date.isoformat(),
                "kind": kind, "reason": reason, "decision_id": decision_id, "submission_id": submission_id,
                "status": "due", "created_at": now, "updated_at": now,
            })
            self._audit(actor, "review_added", "review", review_id, reason, {"panel_date": panel_date.isoformat(), "kind": kind})
        return review_id

    def reviews_for(self, panel_date: date, statuses: tuple[str, ...] = ("due", "listed")) -> list[dict[str, Any]]:
        marks = ",".join("?" for _ in statuses)
        return list(self.db.query(
            f"SELECT * FROM reviews WHERE panel_date = ? AND status IN ({marks}) ORDER BY created_at, id",
            [panel_date.isoformat(), *statuses],
        ))

    def set_review_status(self, review_id: str, status: str, *, actor: str = "carepanel", reason: str | None = None) -> None:
        with self.transaction():
            self.db.table("reviews").update(review_id, {"status": status, "updated_at": _now()})
            self._audit(actor, f"review_{status}", "review", review_id, reason, None)

    # ------------------------------------------------------------------ agenda and packs

    def agenda_items(self, panel_date: date) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM agenda_items WHERE panel_date = ? ORDER BY created_at, id",
                                  [panel_date.isoformat()]))

    def _agenda_item(self, panel_date: date, ref_id: str, kind: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT id FROM agenda_items WHERE panel_date = ? AND ref_id = ?",
                                (panel_date.isoformat(), ref_id)).fetchone()
        if row:
            return {"id": row[0]}
        item = {"id": "agi-" + uuid.uuid4().hex[:16], "panel_date": panel_date.isoformat(), "kind": kind, "ref_id": ref_id,
                "status": "listed", "complex": 0, "created_at": _now(), "updated_at": _now()}
        self.db.table("agenda_items").insert(item)
        return item

    def add_agenda_item(self, panel_date: date, title: str, *, kind: str = "manual", team: str | None = None,
                        complex_case: bool = False, actor: str, reason: str | None = None) -> str:
        """An item the administrator adds by hand: an emergency decision to ratify, a late form allowed."""
        item_id = "agi-" + uuid.uuid4().hex[:16]
        with self.transaction():
            self.db.table("agenda_items").insert({
                "id": item_id, "panel_date": panel_date.isoformat(), "kind": kind, "ref_id": item_id, "title": title,
                "team": team, "complex": int(complex_case), "status": "listed", "reason": reason,
                "created_at": _now(), "updated_at": _now()})
            self._audit(actor, "agenda_item_added", "agenda_item", item_id, reason, {"panel_date": panel_date.isoformat()})
        return item_id

    def set_agenda_order(self, panel_date: date, refs: list[tuple[str, str]], *, actor: str) -> None:
        """The administrator's order: ``refs`` is [(ref_id, kind)], first to last."""
        with self.transaction():
            for position, (ref_id, kind) in enumerate(refs, start=1):
                item = self._agenda_item(panel_date, ref_id, kind)
                self.db.table("agenda_items").update(item["id"], {"position": position, "updated_at": _now()})
            self._audit(actor, "agenda_reordered", "panel", panel_date.isoformat(), None, {"order": [r for r, _ in refs]})

    def withdraw_from_agenda(self, panel_date: date, ref_id: str, kind: str, *, actor: str, reason: str) -> None:
        with self.transaction():
            item = self._agenda_item(panel_date, ref_id, kind)
            self.db.table("agenda_items").update(item["id"], {"status": "withdrawn", "reason": reason, "updated_at": _now()})
            self._audit(actor, "agenda_withdrawn", kind, ref_id, reason, {"panel_date": panel_date.isoformat()})

    def mark_complex(self, panel_date: date, ref_id: str, kind: str, complex_case: bool, *, actor: str) -> None:
        with self.transaction():
            item = self._agenda_item(panel_date, ref_id, kind)
            self.db.table("agenda_items").update(item["id"], {"complex": int(complex_case), "updated_at": _now()})
            self._audit(actor, "agenda_complex" if complex_case else "agenda_not_complex", kind, ref_id, None,
                        {"panel_date": panel_date.isoformat()})

    def move_submission(self, sub_id: str, panel_date: date, *, actor: str, reason: str) -> None:
        """Put a case on another panel (the chair allowed a late form, the family asked to wait)."""
        with self.transaction():
            row = self.conn.execute("SELECT panel_date FROM submissions WHERE id = ?", (sub_id,)).fetchone()
            if row is None:
                raise StoreError(f"no submission {sub_id}")
            self.conn.execute("UPDATE submissions SET panel_date = ?, updated_at = ? WHERE id = ?",
                              (panel_date.isoformat(), _now(), sub_id))
            self._audit(actor, "submission_moved", "submission", sub_id, reason,
                        {"from": row[0], "to": panel_date.isoformat()})

    def record_pack(self, panel_date: date, path: str, sha256: str, pages: int, agenda: list[dict[str, Any]],
                    warnings: list[str], *, actor: str = "carepanel") -> dict[str, Any]:
        with self.transaction():
            last = self.conn.execute("SELECT MAX(revision) FROM packs WHERE panel_date = ?", (panel_date.isoformat(),)).fetchone()[0]
            pack_id = "pack-" + uuid.uuid4().hex[:16]
            pack = {"id": pack_id, "panel_date": panel_date.isoformat(), "revision": (last or 0) + 1,
                    "path": path, "sha256": sha256, "pages": pages, "agenda": json.dumps(agenda),
                    "warnings": json.dumps(warnings), "built_at": _now(), "sent_at": None}
            self.db.table("packs").insert(pack)
            self._audit(actor, "pack_built", "pack", pack_id, None,
                        {"panel_date": panel_date.isoformat(), "revision": pack["revision"], "sha256": sha256})
        return pack

    def packs(self, panel_date: date) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM packs WHERE panel_date = ? ORDER BY revision", [panel_date.isoformat()]))

    def mark_pack_sent(self, pack_id: str, outgoing: list[dict[str, Any]], *, actor: str = "carepanel") -> None:
        """The pack and the slot notices are queued in the same transaction that marks it sent."""
        with self.transaction():
            self.conn.execute("UPDATE packs SET sent_at = ? WHERE id = ?", (_now(), pack_id))
            for item in outgoing:
                self._queue_outgoing(item)
            self._audit(actor, "pack_sent", "pack", pack_id, None, {"mails": len(outgoing)})

    # ------------------------------------------------------------------ decisions

    def insert_decision(self, row: dict[str, Any], *, actor: str) -> None:
        with self.transaction():
            self.db.table("decisions").insert({**row, "created_at": _now()})
            self._audit(actor, "decision_drafted", "decision", row["id"], None,
                        {"series": row["series"], "version": row["version"], "outcome": row["outcome"],
                         "pdf_sha256": row["pdf_sha256"]})

    def decision(self, decision_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM decisions WHERE id = ?", [decision_id]))
        return rows[0] if rows else None

    def decisions(self, *, panel_date: date | None = None, child_key: str | None = None,
                  status: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM decisions WHERE 1=1", []
        for col, val in (("panel_date", panel_date.isoformat() if panel_date else None), ("child_key", child_key),
                         ("status", status)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        return list(self.db.query(sql + " ORDER BY panel_date, created_at, version", args))

    def latest_version(self, series: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM decisions WHERE series = ? ORDER BY version DESC LIMIT 1", [series]))
        return rows[0] if rows else None

    def sign_decision(self, decision_id: str, *, chair: str, signed_at: datetime, draft_sha256: str, docx_path: str,
                      pdf_path: str, pdf_sha256: str, upload_dir: str, upload_due: datetime, follow_ups: list[dict[str, Any]], finance: dict[str, Any] | None,
                      unmet: dict[str, Any] | None, outgoing: list[dict[str, Any]], actor: str) -> None:
        """Sign-off, and everything that follows from it, in one transaction: the reviews, the
        finance and unmet-need entries, the notices, and the older version marked replaced."""
        with self.transaction():
            row = self.conn.execute("SELECT status, series, version, pdf_sha256 FROM decisions WHERE id = ?",
                                    (decision_id,)).fetchone()
            if row is None:
                raise StoreError(f"no decision {decision_id}")
            if row[0] != "draft":
                raise StoreError(f"decision {decision_id} is already signed")
            if row[3] != draft_sha256:
                raise StoreError(f"decision {decision_id}: the draft is not the one the chair was shown (hash differs)")
            self.conn.execute(
                "UPDATE decisions SET status = 'signed', signed_by = ?, signed_at = ?, upload_dir = ?, upload_due = ?,"
                " docx_path = ?, pdf_path = ?, pdf_sha256 = ? WHERE id = ?",
                (chair, signed_at.isoformat(), upload_dir, upload_due.isoformat(), docx_path, pdf_path, pdf_sha256, decision_id))
            self.conn.execute("UPDATE decisions SET superseded_by = ? WHERE series = ? AND version < ? AND superseded_by IS NULL",
                              (decision_id, row[1], row[2]))
            self._audit(actor, "decision_signed", "decision", decision_id, None,
                        {"chair": chair, "signed_at": signed_at.isoformat(), "pdf_sha256": pdf_sha256,
                         "draft_sha256": draft_sha256})
            for f in follow_ups:
                review_id = "rev_" + uuid.uuid4().hex[:16]
                self.db.table("reviews").insert({**f, "id": review_id, "decision_id": decision_id, "status": "due",
                                                 "created_at": _now(), "updated_at": _now()})
                self._audit(actor, "review_added", "review", review_id, f["reason"], {"panel_date": f["panel_date"]})
            if finance:
                self.db.table("finance_log").insert({**finance, "id": "fin-" + uuid.uuid4().hex[:16],
                                                     "decision_id": decision_id, "created_at": _now()})
            if unmet:
                self.db.table("unmet_need").insert({**unmet, "id": "unm-" + uuid.uuid4().hex[:16],
                                                    "decision_id": decision_id, "created_at": _now()})
            for item in outgoing:
                self._queue_outgoing(item)

    def decisions_for_submission(self, submission_id: str) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM decisions WHERE submission_id = ? ORDER BY version", [submission_id]))

    def mark_uploaded(self, decision_id: str, *, actor: str, at: datetime) -> None:
        with self.transaction():
            self.conn.execute("UPDATE decisions SET uploaded_at = ? WHERE id = ? AND status = 'signed'",
                              (at.isoformat(), decision_id))
            self._audit(actor, "decision_uploaded", "decision", decision_id, None, None)

    def finance_log(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT f.*, d.outcome, d.panel_date FROM finance_log f JOIN decisions d ON d.id = f.decision_id"
                                  " WHERE d.superseded_by IS NULL ORDER BY f.decision_date, f.created_at"))

    def unmet_needs(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM unmet_need ORDER BY panel_date, created_at"))

    def reviews_before(self, day: date, statuses: tuple[str, ...] = ("due", "listed")) -> list[dict[str, Any]]:
        marks = ",".join("?" for _ in statuses)
        return list(self.db.query(f"SELECT * FROM reviews WHERE panel_date < ? AND status IN ({marks}) ORDER BY panel_date",
                                  [day.isoformat(), *statuses]))

    # ------------------------------------------------------------------ the administrator's actions

    def amend_submission(self, sub_id: str, *, actor: str, action: str, reason: str, remove_flags: tuple[str, ...] = (),
                         signoff: dict[str, Any] | None = None, panel_date: date | None = None,
                         status: str | None = None, data: dict[str, Any] | None = None,
                         outgoing: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """One audited change by a person: flags cleared, a sign-off recorded, a panel chosen, a status.

        A submission with no flags left is accepted; the original message and what was read
        from it are untouched (the stored object changes, the audit log says how and why).
        """
        with self.transaction():
            row = self.conn.execute("SELECT doc, status, panel_date FROM submissions WHERE id = ?", (sub_id,)).fetchone()
            if row is None:
                raise StoreError(f"no submission {sub_id}")
            doc = json.loads(row[0])
            if row[1] in ("superseded", "rejected") and status is None:
                raise StoreError(f"submission {sub_id} is {row[1]}")
            doc["flags"] = [f for f in doc["flags"] if f["code"] not in remove_flags]
            if signoff is not None:
                doc["signoff"] = signoff
            new_date = panel_date.isoformat() if panel_date else row[2]
            doc["panel_date"] = new_date
            new_status = status or ("accepted" if not doc["flags"] else "flagged")
            doc["status"] = new_status
            self.conn.execute("UPDATE submissions SET doc = ?, status = ?, panel_date = ?, updated_at = ? WHERE id = ?",
                              (json.dumps(doc, ensure_ascii=False), new_status, new_date, _now(), sub_id))
            if remove_flags:
                marks = ",".join("?" for _ in remove_flags)
                self.conn.execute(f"DELETE FROM flags WHERE submission_id = ? AND code IN ({marks})", (sub_id, *remove_flags))
            self._audit(actor, action, "submission", sub_id, reason,
                        {**(data or {}), "status": new_status, "panel_date": new_date, "cleared": list(remove_flags)})
            for item in outgoing or []:
                self._queue_outgoing(item)
        result = self.submission(sub_id)
        assert result is not None
        return result

    def add_correction(self, sub_id: str, field: str, value: str | None, *, actor: str, reason: str) -> None:
        with self.transaction():
            self.db.table("corrections").insert({"submission_id": sub_id, "field": field, "value": value, "actor": actor,
                                                 "reason": reason, "at": _now()})
            self._audit(actor, "field_corrected", "submission", sub_id, reason, {"field": field})

    def corrections(self, sub_id: str) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM corrections WHERE submission_id = ? ORDER BY id", [sub_id]))

    def upsert_user(self, email: str, name: str, role: str, password_hash: str | None, *, actor: str) -> None:
        with self.transaction():
            self.db.table("users").upsert({"email": email.lower(), "name": name, "role": role, "password_hash": password_hash,
                                           "disabled": 0, "created_at": _now()}, pk="email")
            self._audit(actor, "user_saved", "user", email.lower(), None, {"role": role})

    def user(self, email: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM users WHERE email = ?", [email.lower()]))
        return rows[0] if rows else None

    def pack_recipients(self, panel_date: date) -> set[str]:
        """Everyone a pack for this panel was sent to: the people who sit on it."""
        out: set[str] = set()
        for (recipients,) in self.conn.execute(
                "SELECT o.recipients FROM outgoing o JOIN packs p ON o.id LIKE 'pack-' || p.id || '%'"
                " WHERE p.panel_date = ? AND o.kind = 'pack'", (panel_date.isoformat(),)).fetchall():
            r = json.loads(recipients)
            out |= {a.lower() for a in r.get("to", []) + r.get("cc", [])}
        return out

    def received_summary(self, since: datetime) -> dict[str, Any]:
        """Counts for the dashboard, by SQL (a dashboard must not read every submission)."""
        since_iso = since.isoformat()
        by_status = dict(self.conn.execute(
            "SELECT status, COUNT(*) FROM submissions WHERE received_at >= ? GROUP BY status", (since_iso,)).fetchall())
        late, flagged = self.conn.execute(
            "SELECT COUNT(DISTINCT CASE WHEN f.code = 'late' THEN s.id END), COUNT(DISTINCT f.submission_id)"
            " FROM submissions s JOIN flags f ON f.submission_id = s.id WHERE s.received_at >= ?", (since_iso,)).fetchone()
        return {"by_status": by_status, "total": sum(by_status.values()), "late": late or 0, "flagged": flagged or 0}

    def submissions_page(self, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Flagged first, oldest cut-off first: the administrator's queue."""
        sql = "SELECT status, doc, panel_date FROM submissions"
        args: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            args.append(status)
        sql += " ORDER BY CASE status WHEN 'flagged' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END, cutoff, received_at LIMIT ?"
        args.append(limit)
        return [_doc(r) for r in self.conn.execute(sql, args).fetchall()]
    # ---- ops: records governance (holds, retention purge, per-child export)

    def add_hold(self, key: str, reason: str, actor: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO holds (key, reason, placed_by, placed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET reason = excluded.reason",
                (key, reason, actor, _now()))
            self._audit(actor, "hold_added", "hold", key, reason, None)

    def remove_hold(self, key: str, reason: str, actor: str) -> bool:
        with self.transaction():
            gone = self.conn.execute("DELETE FROM holds WHERE key = ?", (key,)).rowcount
            if gone:
                self._audit(actor, "hold_removed", "hold", key, reason, None)
        return bool(gone)

    def holds(self) -> list[dict[str, Any]]:
        cols = ("key", "reason", "placed_by", "placed_at")
        rows = self.conn.execute("SELECT key, reason, placed_by, placed_at FROM holds ORDER BY placed_at, key")
        return [dict(zip(cols, r)) for r in rows.fetchall()]

    def submission_rows(self) -> list[dict[str, Any]]:
        """Every submission with what governance needs: ids, hashes, child key, receipt, document."""
        cols = ("id", "message_sha256", "message_id", "child_key", "received_at", "status", "doc")
        rows = self.conn.execute(
            "SELECT id, message_sha256, message_id, child_key, received_at, status, doc FROM submissions"
            " ORDER BY received_at, id").fetchall()
        return [dict(zip(cols, r)) for r in rows]

    def message_shas_for(self, sub_id: str, message_sha256: str) -> list[str]:
        rows = self.conn.execute("SELECT sha256 FROM messages WHERE submission_id = ? OR sha256 = ?",
                                 (sub_id, message_sha256)).fetchall()
        return sorted({r[0] for r in rows})

    def audit_for(self, entity_ids: list[str]) -> list[dict[str, Any]]:
        if not entity_ids:
            return []
        marks = ",".join("?" for _ in entity_ids)
        cols = ("seq", "at", "actor", "action", "entity", "entity_id", "reason", "data")
        rows = self.conn.execute(
            f"SELECT seq, at, actor, action, entity, entity_id, reason, data FROM audit WHERE entity_id IN ({marks})"
            " ORDER BY seq", entity_ids).fetchall()
        return [dict(zip(cols, r)) for r in rows]

    def purge_submission(self, sub_id: str, actor: str, reason: str) -> dict[str, list[str]] | None:
        """Delete one submission and everything recorded with it, in one transaction.

        Returns the hashes of originals no remaining row refers to, for the caller to
        remove from the archive after the commit (side effects last).  The audit entry
        keeps ids and hashes only: the record of a purge must not keep what was purged.
        """
        with self.transaction():
            row = self.conn.execute("SELECT message_sha256 FROM submissions WHERE id = ?", (sub_id,)).fetchone()
            if row is None or self.conn.execute("SELECT 1 FROM decisions WHERE submission_id = ?", (sub_id,)).fetchone():
                # a decision record (signed ones are final by trigger) keeps its submission with it
                return None
            messages = self.message_shas_for(sub_id, row[0])
            blobs = sorted({r[0] for r in self.conn.execute(
                "SELECT sha256 FROM attachments WHERE submission_id = ?", (sub_id,)).fetchall()})
            self.conn.execute("DELETE FROM flags WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM attachments WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM outgoing WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM corrections WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM agenda_items WHERE ref_id = ?", (sub_id,))
            self.conn.execute("UPDATE submissions SET superseded_by = NULL WHERE superseded_by = ?", (sub_id,))
            self.conn.execute("DELETE FROM submissions WHERE id = ?", (sub_id,))
            marks = ",".join("?" for _ in messages)
            self.conn.execute(f"DELETE FROM messages WHERE sha256 IN ({marks})", messages)
            still = {r[0] for r in self.conn.execute(
                f"SELECT sha256 FROM attachments WHERE sha256 IN ({','.join('?' for _ in blobs)})", blobs).fetchall()}
            free_blobs = [b for b in blobs if b not in still]
            self._audit(actor, "submission_purged", "submission", sub_id, reason,
                        {"message_sha256": messages, "attachment_sha256": blobs})
        return {"messages": messages, "blobs": free_blobs}

    def record_view(self, actor: str, entity: str, entity_id: str, what: str) -> None:
        """Who looked at which record (the web app calls this per page or file served).

        ``what`` names the view ("submission", "original", "attachment:2", "pack"), never
        its content; the entry is in the append-only audit log beside every change.
        """
        self.audit(actor, "viewed", entity, entity_id, what, None)

    def access_log(self, entity_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Views and exports, oldest first; for some records only when ``entity_ids`` is given."""
        rows = self.audit_for(entity_ids) if entity_ids is not None else self.audit_log()
        return [r for r in rows if r["action"] in ("viewed", "child_exported")]

    def ops_figures(self) -> dict[str, Any]:
        """Counts for ``carepanel status`` and the health check, in one read."""
        q = self.conn.execute
        ledger = {r[0]: r[1] for r in q("SELECT status, count(*) FROM messages GROUP BY status").fetchall()}
        out = {r[0]: r[1] for r in q("SELECT status, count(*) FROM outgoing GROUP BY status").fetchall()}
        last = q("SELECT max(first_seen_at) FROM messages").fetchone()[0]
        last_received = q("SELECT max(received_at) FROM submissions").fetchone()[0]
        return {"ledger": ledger, "outgoing": out, "last_message_seen_at": last, "last_received_at": last_received,
                "submissions": self.counts(), "schema_version": self.schema_version}

    # ------------------------------------------------------------------ server mailboxes

    def _advance(self, w: Watermark | None) -> None:
        if w is None:
            return
        if w.token is not None:
            self.conn.execute(
                "INSERT INTO mailbox_state (key, token, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at",
                (w.key, w.token, _now()))
            return
        self.conn.execute(
            "INSERT INTO mailbox_state (key, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET last_uid = MAX(last_uid, excluded.last_uid), updated_at = excluded.updated_at"
            " WHERE uidvalidity = excluded.uidvalidity", (w.key, w.uidvalidity, w.uid, _now()))

    def mailbox_state(self, key: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM mailbox_state WHERE key = ?", [key]))
        return rows[0] if rows else None

    def reset_watermark(self, key: str, uidvalidity: int, *, previous: int | None) -> None:
        """The server renumbered the folder (UIDVALIDITY changed): read it again from the start;
        what was already processed is recognised by its hash and Message-ID and not repeated."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO mailbox_state (key, uidvalidity, last_uid, updated_at) VALUES (?, ?, 0, ?)"
                " ON CONFLICT(key) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0, updated_at = excluded.updated_at",
                (key, uidvalidity, _now()))
            self._audit("carepanel", "mailbox_first_read" if previous is None else "mailbox_uidvalidity_changed",
                        "mailbox", key, None, {"previous": previous, "uidvalidity": uidvalidity})

    def set_sync_token(self, key: str, token: str) -> None:
        """A delta link or sync state, saved once every message of its round is committed."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO mailbox_state (key, token, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at",
                (key, token, _now()))

    def mailbox_health(self, key: str, *, ok: bool, error: str | None = None) -> None:
        now = _now()
        if ok:
            self.conn.execute(
                "INSERT INTO mailbox_state (key, connected, last_ok_at, updated_at) VALUES (?, 1, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET connected = 1, last_ok_at = excluded.last_ok_at, updated_at = excluded.updated_at",
                (key, now, now))
        else:
            self.conn.execute(
                "INSERT INTO mailbox_state (key, connected, last_error, last_error_at, updated_at) VALUES (?, 0, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET connected = 0, last_error = excluded.last_error,"
                " last_error_at = excluded.last_error_at, updated_at = excluded.updated_at",
                (key, (error or "")[:500], now, now))

    def retry_due(self, now: datetime, source: str) -> list[LedgerEntry]:
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE status = 'failed' AND source = ? AND next_attempt_at <= ? ORDER BY first_seen_at",
            (source, now.isoformat())).fetchall()
        return [_ledger(self._row(r, "messages")) for r in rows]

    def _row(self, row: tuple[Any, ...], table: str) -> dict[str, Any]:
        cols = [c.name for c in self.db[table].columns]  # type: ignore[union-attr]
        return dict(zip(cols, row))


def _private_db_file(path: Path) -> None:
    """The database and its folder are the service account's alone (0600 / 0700).

    The file is created here, before SQLite opens it, so it is never world-readable even
    for a moment; SQLite gives its -wal and -shm files the database file's mode.
    """
    if os.name != "posix":
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        os.chmod(path.parent, 0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the database at {path}: {exc.strerror}") from exc


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out: list[str] = []
    buf = ""
    for part in script.split(";"):
        buf += part
        if sqlite3.complete_statement(buf + ";"):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
        else:
            buf += ";"
    return out


def _doc(row: tuple[str, ...]) -> dict[str, Any]:
    """The stored submission object, with the columns an administrator can change laid over it."""
    doc: dict[str, Any] = json.loads(row[1])
    doc["status"] = row[0]
    if len(row) > 2:
        doc["panel_date"] = row[2]
    return doc


def _ledger(r: dict[str, Any]) -> LedgerEntry:
    nxt = r.get("next_attempt_at")
    return LedgerEntry(
        sha256=r["sha256"], message_id=r["message_id"], source=r["source"], source_key=r["source_key"],
        status=r["status"], attempts=r["attempts"],
        next_attempt_at=datetime.fromisoformat(nxt) if nxt else None,
        error_code=r["error_code"], error=r["error"], submission_id=r["submission_id"],
    )
