"""The ledger (``messages``): every message the mailbox has handed over, whatever became of it, so
nothing is silently skipped: a failure keeps its reason and its next retry time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .mailboxes import MailboxesMixin
from .rows import LedgerEntry, Watermark


class LedgerMixin(MailboxesMixin):
    """The ``messages`` table: seen, processed, failed or refused, with retries."""

    def ledger_entry(self, sha256: str) -> LedgerEntry | None:
        row = self.conn.execute(f"SELECT {_LEDGER_COLUMNS} FROM messages WHERE sha256 = ?", (sha256,)).fetchone()
        return _ledger(row) if row else None

    def note_message(self, sha256: str, message_id: str, source: str, source_key: str | None, size: int) -> LedgerEntry:
        """Record that a message was seen (after it is archived); idempotent."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO messages (sha256, message_id, source, source_key, size, status, first_seen_at)"
                " VALUES (?, ?, ?, ?, ?, 'received', ?) ON CONFLICT(sha256) DO UPDATE SET source_key = excluded.source_key",
                (sha256, message_id, source, source_key, size, self._now()),
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
            f"SELECT {_LEDGER_COLUMNS} FROM messages WHERE status IN ('failed', 'refused') ORDER BY first_seen_at"
        ).fetchall()
        return [_ledger(r) for r in rows]

    def retry_due(self, now: datetime, source: str) -> list[LedgerEntry]:
        rows = self.conn.execute(
            f"SELECT {_LEDGER_COLUMNS} FROM messages WHERE status = 'failed' AND source = ? AND next_attempt_at <= ?"
            " ORDER BY first_seen_at", (source, now.isoformat())).fetchall()
        return [_ledger(r) for r in rows]

    def _mark_processed(self, sha256: str, submission_id: str) -> None:
        self.conn.execute(
            "UPDATE messages SET status = 'processed', processed_at = ?, submission_id = ?, next_attempt_at = NULL,"
            " error_code = NULL, error = NULL WHERE sha256 = ?",
            (self._now(), submission_id, sha256),
        )


_LEDGER_COLUMNS = "sha256, message_id, source, source_key, status, attempts, next_attempt_at, error_code, error, submission_id"


def _ledger(r: tuple[Any, ...]) -> LedgerEntry:
    """From ``SELECT {_LEDGER_COLUMNS}``."""
    sha256, message_id, source, source_key, status, attempts, nxt, error_code, error, submission_id = r
    return LedgerEntry(sha256=sha256, message_id=message_id, source=source, source_key=source_key, status=status,
                       attempts=attempts, next_attempt_at=datetime.fromisoformat(nxt) if nxt else None,
                       error_code=error_code, error=error, submission_id=submission_id)
