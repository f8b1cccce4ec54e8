"""Web sessions and sign-in throttles (migration 9): the rows only.

What a session or a throttle means (idle and absolute limits, how long a failure is remembered,
how the wait grows, hashing the session id) is the web's policy, in ``web/sessions.py``; here
are the reads and writes it needs, so the web holds no SQL.  Times are epoch seconds from the
web app's clock (REAL columns), not the store's ISO stamps: the policy compares them as numbers.
"""

from __future__ import annotations

from .base import StoreBase
from .rows import Throttle, WebSession


class SessionsMixin(StoreBase):
    """The ``web_sessions`` and ``sign_in_throttles`` tables."""

    def add_web_session(self, id_sha256: str, email: str, now: float) -> None:
        with self.transaction():
            self.conn.execute("INSERT INTO web_sessions (id_sha256, email, created_at, seen_at) VALUES (?, ?, ?, ?)",
                              (id_sha256, email.lower(), now, now))

    def web_session(self, id_sha256: str) -> WebSession | None:
        row = self.conn.execute("SELECT email, created_at, seen_at, ended_at FROM web_sessions WHERE id_sha256 = ?",
                                (id_sha256,)).fetchone()
        return WebSession(*row) if row else None

    def touch_web_session(self, id_sha256: str, now: float) -> None:
        """The session was used now (the idle limit counts from here)."""
        self.conn.execute("UPDATE web_sessions SET seen_at = ? WHERE id_sha256 = ?", (now, id_sha256))

    def end_web_session(self, id_sha256: str, now: float, reason: str) -> int:
        """End one session if it is still on; returns 1 if it was, else 0."""
        return self.conn.execute("UPDATE web_sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL"
                                 " AND id_sha256 = ?", (now, reason, id_sha256)).rowcount

    def end_web_sessions_of(self, email: str, now: float, reason: str) -> int:
        """End every session of this person still on; returns how many."""
        return self.conn.execute("UPDATE web_sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL"
                                 " AND email = ?", (now, reason, email.lower())).rowcount

    def open_web_sessions(self, seen_since: float, created_since: float, limit: int = 500) -> list[WebSession]:
        """Sessions not ended, seen and started no earlier than given, newest first."""
        rows = self.conn.execute(
            "SELECT email, created_at, seen_at, ended_at FROM web_sessions WHERE ended_at IS NULL AND seen_at >= ?"
            " AND created_at >= ? ORDER BY created_at DESC LIMIT ?", (seen_since, created_since, limit)).fetchall()
        return [WebSession(*r) for r in rows]

    # ----------------------------------------------------------------------- throttles

    def throttle_until(self, keys: tuple[str, ...]) -> float | None:
        """The latest time any of these keys must wait until (None: none is on record)."""
        marks = ",".join("?" * len(keys))
        row = self.conn.execute(f"SELECT MAX(until) FROM sign_in_throttles WHERE key IN ({marks})", keys).fetchone()
        return float(row[0]) if row[0] is not None else None

    def throttle(self, key: str) -> Throttle | None:
        row = self.conn.execute("SELECT key, failures, last_at, until FROM sign_in_throttles WHERE key = ?",
                                (key,)).fetchone()
        return Throttle(*row) if row else None

    def save_throttle(self, t: Throttle) -> None:
        """Write one key's count (inside the caller's transaction, which read it first)."""
        self.conn.execute(
            "INSERT INTO sign_in_throttles (key, failures, last_at, until) VALUES (?, ?, ?, ?) ON CONFLICT (key)"
            " DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, until = excluded.until",
            (t.key, t.failures, t.last_at, t.until))

    def forget_throttles(self, *, waited_before: float, failed_before: float) -> None:
        """Remove keys whose wait is over and whose last failure is older than given."""
        self.conn.execute("DELETE FROM sign_in_throttles WHERE until < ? AND last_at < ?", (waited_before, failed_before))

    def trim_throttles(self, keep: int) -> None:
        """Keep only the ``keep`` most recently failed keys, so the table stays bounded."""
        self.conn.execute("DELETE FROM sign_in_throttles WHERE key NOT IN "
                          "(SELECT key FROM sign_in_throttles ORDER BY last_at DESC LIMIT ?)", (keep,))

    def clear_throttle(self, key: str) -> bool:
        return self.conn.execute("DELETE FROM sign_in_throttles WHERE key = ?", (key,)).rowcount > 0

    def throttles(self, limit: int = 500) -> list[Throttle]:
        """Every key with failures on record, the most recent first."""
        rows = self.conn.execute("SELECT key, failures, last_at, until FROM sign_in_throttles"
                                 " ORDER BY last_at DESC LIMIT ?", (limit,)).fetchall()
        return [Throttle(*r) for r in rows]
