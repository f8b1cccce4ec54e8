"""Server mailboxes: how far each has been read (a UID with its UIDVALIDITY, or a sync token) and
its health.  The watermark moves in the same transaction as the message it moves past.
"""

from __future__ import annotations

from .audit import AuditMixin
from .rows import MailboxState, Watermark


class MailboxesMixin(AuditMixin):
    """The ``mailbox_state`` table: watermarks, sync tokens, connection health."""

    def _advance(self, w: Watermark | None) -> None:
        if w is None:
            return
        if w.token is not None:
            self.conn.execute(
                "INSERT INTO mailbox_state (key, token, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at",
                (w.key, w.token, self._now()))
            return
        self.conn.execute(
            "INSERT INTO mailbox_state (key, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET last_uid = MAX(last_uid, excluded.last_uid), updated_at = excluded.updated_at"
            " WHERE uidvalidity = excluded.uidvalidity", (w.key, w.uidvalidity, w.uid, self._now()))

    def mailbox_state(self, key: str) -> MailboxState | None:
        rows = list(self.db.query("SELECT * FROM mailbox_state WHERE key = ?", [key]))
        return MailboxState(**{**rows[0], "connected": bool(rows[0]["connected"])}) if rows else None

    def mailbox_states(self, backend: str | None = None) -> list[MailboxState]:
        """Every server mailbox on record (those of one backend, keyed ``backend:...``), by key:
        what ``carepanel status`` and the health check report of each."""
        sql, args = "SELECT * FROM mailbox_state", []
        if backend is not None:
            sql, args = sql + " WHERE key LIKE ?", [f"{backend}:%"]
        return [MailboxState(**{**r, "connected": bool(r["connected"])}) for r in self.db.query(sql + " ORDER BY key", args)]

    def reset_watermark(self, key: str, uidvalidity: int, *, previous: int | None) -> None:
        """The server renumbered the folder (UIDVALIDITY changed): read it again from the start;
        what was already processed is recognised by its hash and Message-ID and not repeated."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO mailbox_state (key, uidvalidity, last_uid, updated_at) VALUES (?, ?, 0, ?)"
                " ON CONFLICT(key) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0, updated_at = excluded.updated_at",
                (key, uidvalidity, self._now()))
            self._audit("carepanel", "mailbox_first_read" if previous is None else "mailbox_uidvalidity_changed",
                        "mailbox", key, None, {"previous": previous, "uidvalidity": uidvalidity})

    def set_sync_token(self, key: str, token: str) -> None:
        """A delta link or sync state, saved once every message of its round is committed."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO mailbox_state (key, token, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at",
                (key, token, self._now()))

    def mailbox_health(self, key: str, *, ok: bool, error: str | None = None) -> None:
        now = self._now()
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
