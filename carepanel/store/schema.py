"""The schema, versioned with ``PRAGMA user_version``.

It grows by appending to ``MIGRATIONS`` (a new table or index: a new entry at the end); a
migration is never edited once released.  The audit log is append-only: triggers refuse any
UPDATE or DELETE on it.
"""

from __future__ import annotations

import sqlite3

from ..errors import StoreError
from .base import StoreBase

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
    # 8: pages read only what they show: the queue in its orders, the dashboard's week, signed decisions
    """
    CREATE INDEX submissions_queue ON submissions(
        (CASE status WHEN 'flagged' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END), cutoff, received_at, id, status);
    CREATE INDEX submissions_status_queue ON submissions(status, cutoff, received_at, id);
    CREATE INDEX submissions_received ON submissions(received_at, id);
    CREATE INDEX submissions_status_received ON submissions(status, received_at, id);
    CREATE INDEX decisions_status ON decisions(status, panel_date);
    CREATE INDEX decisions_panel ON decisions(panel_date, status);
    CREATE INDEX audit_entity ON audit(entity_id, seq);
    CREATE INDEX submissions_status ON submissions(status);
    CREATE INDEX messages_seen ON messages(first_seen_at);
    CREATE INDEX messages_status_seen ON messages(status, first_seen_at);

    -- Counts by status kept by triggers, so the dashboard and the health check read a handful of
    -- rows rather than counting the whole ledger and every submission on each page view.
    CREATE TABLE status_counts (
        tbl TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (tbl, status)
    ) WITHOUT ROWID;
    INSERT INTO status_counts SELECT 'messages', status, count(*) FROM messages GROUP BY status;
    INSERT INTO status_counts SELECT 'submissions', status, count(*) FROM submissions GROUP BY status;
    CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
        INSERT INTO status_counts VALUES ('messages', NEW.status, 1) ON CONFLICT(tbl, status) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
        UPDATE status_counts SET n = n - 1 WHERE tbl = 'messages' AND status = OLD.status;
    END;
    CREATE TRIGGER messages_count_update AFTER UPDATE OF status ON messages WHEN NEW.status IS NOT OLD.status BEGIN
        UPDATE status_counts SET n = n - 1 WHERE tbl = 'messages' AND status = OLD.status;
        INSERT INTO status_counts VALUES ('messages', NEW.status, 1) ON CONFLICT(tbl, status) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER submissions_count_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO status_counts VALUES ('submissions', NEW.status, 1) ON CONFLICT(tbl, status) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER submissions_count_delete AFTER DELETE ON submissions BEGIN
        UPDATE status_counts SET n = n - 1 WHERE tbl = 'submissions' AND status = OLD.status;
    END;
    CREATE TRIGGER submissions_count_update AFTER UPDATE OF status ON submissions WHEN NEW.status IS NOT OLD.status BEGIN
        UPDATE status_counts SET n = n - 1 WHERE tbl = 'submissions' AND status = OLD.status;
        INSERT INTO status_counts VALUES ('submissions', NEW.status, 1) ON CONFLICT(tbl, status) DO UPDATE SET n = n + 1;
    END;
    """,
    # 9: web sessions held on the server (so they can be ended) and sign-in throttles
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


class SchemaMixin(StoreBase):
    """Brings a database up to ``SCHEMA_VERSION`` when the store opens it."""

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
