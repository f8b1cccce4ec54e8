"""Web sessions and sign-in throttles, held in the database so they can be ended and seen.

A session cookie only carries a random session id (signed by Starlette's session middleware);
the server keeps a row for it, by the id's SHA-256 so a copy of the database holds no live
cookie.  A session is over when its row says so: signed out, ended by an administrator, the
password changed, the person's role gone, idle too long, or simply too old.  A replayed cookie
after any of these is refused, CSRF token and all.

Throttles slow down password guessing without letting one person lock everyone out: failures
are counted separately per account and per client address; after ``limit`` failures in a
window each further failure doubles the wait (30 s, 1 min, 2 min, ... at most 15 min); a
success clears the account's count.  Old rows are removed as new ones are written, and the
table never holds more than ``MAX_THROTTLES`` rows, so a flood of made-up addresses cannot fill
the disk.  Times are epoch seconds from the web app's clock, so tests can move time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from ..store import Store

MAX_THROTTLES = 10_000
FIRST_DELAY = 30.0
MAX_DELAY = 900.0
WINDOW = 900.0  # failures older than this (since the last one) are forgotten


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: float
    absolute_seconds: float


def start_session(store: Store, email: str, now: float) -> str:
    """A new session for ``email``; returns the id the cookie carries."""
    session_id = secrets.token_urlsafe(32)
    with store.transaction():
        store.conn.execute("INSERT INTO web_sessions (id_sha256, email, created_at, seen_at) VALUES (?, ?, ?, ?)",
                           (_digest(session_id), email.lower(), now, now))
    return session_id


def live_session(store: Store, session_id: str | None, email: str | None, now: float, policy: SessionPolicy) -> bool:
    """Whether the cookie's session is still on; an expired one is ended here and now."""
    if not session_id or not email:
        return False
    row = store.conn.execute("SELECT email, created_at, seen_at, ended_at FROM web_sessions WHERE id_sha256 = ?",
                             (_digest(session_id),)).fetchone()
    if row is None or row[3] is not None or row[0] != email.lower():
        return False
    reason = ("idle" if now - row[2] > policy.idle_seconds else
              "expired" if now - row[1] > policy.absolute_seconds else None)
    if reason:
        _end(store, "id_sha256 = ?", (_digest(session_id),), now, reason)
        return False
    if now - row[2] >= 15:  # one write per quarter-minute is enough for a 30-minute idle limit
        store.conn.execute("UPDATE web_sessions SET seen_at = ? WHERE id_sha256 = ?", (now, _digest(session_id)))
    return True


def end_session(store: Store, session_id: str | None, now: float, reason: str) -> None:
    if session_id:
        _end(store, "id_sha256 = ?", (_digest(session_id),), now, reason)


def end_sessions_of(store: Store, email: str, now: float, reason: str) -> int:
    """Sign this person out everywhere; returns how many sessions were ended."""
    return _end(store, "email = ?", (email.lower(),), now, reason)


def _end(store: Store, where: str, args: tuple[Any, ...], now: float, reason: str) -> int:
    cur = store.conn.execute(f"UPDATE web_sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND {where}",
                             (now, reason, *args))
    return cur.rowcount


def open_sessions(store: Store, now: float, policy: SessionPolicy) -> list[dict[str, Any]]:
    """Sessions not ended and not expired, newest first (for the administrator's page)."""
    rows = store.conn.execute(
        "SELECT email, created_at, seen_at FROM web_sessions WHERE ended_at IS NULL AND seen_at >= ? AND created_at >= ? "
        "ORDER BY created_at DESC LIMIT 500", (now - policy.idle_seconds, now - policy.absolute_seconds)).fetchall()
    return [{"email": r[0], "created_at": r[1], "seen_at": r[2]} for r in rows]


# --------------------------------------------------------------------------- throttles


def account_key(email: str) -> str:
    return f"account:{email.lower()}"


def address_key(address: str) -> str:
    return f"address:{address}"


def wait_seconds(store: Store, keys: tuple[str, ...], now: float) -> float:
    """How long until these keys may try again (0: now)."""
    marks = ",".join("?" * len(keys))
    row = store.conn.execute(f"SELECT MAX(until) FROM sign_in_throttles WHERE key IN ({marks})", keys).fetchone()
    return max(0.0, (row[0] or 0.0) - now)


def record_failure(store: Store, limits: dict[str, int], now: float) -> None:
    """One more failed sign-in against each key (``{key: failures allowed before waiting}``)."""
    with store.transaction():
        store.conn.execute("DELETE FROM sign_in_throttles WHERE until < ? AND last_at < ?", (now, now - WINDOW))
        for key, limit in limits.items():
            row = store.conn.execute("SELECT failures, last_at FROM sign_in_throttles WHERE key = ?", (key,)).fetchone()
            failures = (row[0] if row and now - row[1] <= WINDOW else 0) + 1
            delay = min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - limit)) if failures >= limit else 0.0
            store.conn.execute(
                "INSERT INTO sign_in_throttles (key, failures, last_at, until) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, until = excluded.until",
                (key, failures, now, now + delay))
        store.conn.execute("DELETE FROM sign_in_throttles WHERE key NOT IN "
                           "(SELECT key FROM sign_in_throttles ORDER BY last_at DESC LIMIT ?)", (MAX_THROTTLES,))


def clear_throttle(store: Store, key: str) -> bool:
    return store.conn.execute("DELETE FROM sign_in_throttles WHERE key = ?", (key,)).rowcount > 0


def throttles(store: Store, now: float) -> list[dict[str, Any]]:
    """Every key with failures still on record, the most recent first."""
    rows = store.conn.execute("SELECT key, failures, last_at, until FROM sign_in_throttles "
                              "ORDER BY last_at DESC LIMIT 500").fetchall()
    return [{"key": r[0], "failures": r[1], "last_at": r[2], "wait_seconds": max(0, round(r[3] - now))} for r in rows]
