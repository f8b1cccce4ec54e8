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

from ..store import Store, Throttle

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
    store.add_web_session(_digest(session_id), email, now)
    return session_id


def live_session(store: Store, session_id: str | None, email: str | None, now: float, policy: SessionPolicy) -> bool:
    """Whether the cookie's session is still on; an expired one is ended here and now."""
    if not session_id or not email:
        return False
    row = store.web_session(_digest(session_id))
    if row is None or row.ended_at is not None or row.email != email.lower():
        return False
    reason = ("idle" if now - row.seen_at > policy.idle_seconds else
              "expired" if now - row.created_at > policy.absolute_seconds else None)
    if reason:
        store.end_web_session(_digest(session_id), now, reason)
        return False
    if now - row.seen_at >= 15:  # one write per quarter-minute is enough for a 30-minute idle limit
        store.touch_web_session(_digest(session_id), now)
    return True


def end_session(store: Store, session_id: str | None, now: float, reason: str) -> None:
    if session_id:
        store.end_web_session(_digest(session_id), now, reason)


def end_sessions_of(store: Store, email: str, now: float, reason: str) -> int:
    """Sign this person out everywhere; returns how many sessions were ended."""
    return store.end_web_sessions_of(email, now, reason)


def open_sessions(store: Store, now: float, policy: SessionPolicy) -> list[dict[str, Any]]:
    """Sessions not ended and not expired, newest first (for the administrator's page)."""
    rows = store.open_web_sessions(now - policy.idle_seconds, now - policy.absolute_seconds)
    return [{"email": r.email, "created_at": r.created_at, "seen_at": r.seen_at} for r in rows]


# --------------------------------------------------------------------------- throttles


def account_key(email: str) -> str:
    return f"account:{email.lower()}"


def address_key(address: str) -> str:
    return f"address:{address}"


def wait_seconds(store: Store, keys: tuple[str, ...], now: float) -> float:
    """How long until these keys may try again (0: now)."""
    return max(0.0, (store.throttle_until(keys) or 0.0) - now)


def record_failure(store: Store, limits: dict[str, int], now: float) -> None:
    """One more failed sign-in against each key (``{key: failures allowed before waiting}``).

    One transaction: two sign-ins failing at once must not both read the same count."""
    with store.transaction():
        store.forget_throttles(waited_before=now, failed_before=now - WINDOW)
        for key, limit in limits.items():
            row = store.throttle(key)
            failures = (row.failures if row and now - row.last_at <= WINDOW else 0) + 1
            delay = min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - limit)) if failures >= limit else 0.0
            store.save_throttle(Throttle(key, failures, now, now + delay))
        store.trim_throttles(MAX_THROTTLES)


def clear_throttle(store: Store, key: str) -> bool:
    return store.clear_throttle(key)


def throttles(store: Store, now: float) -> list[dict[str, Any]]:
    """Every key with failures still on record, the most recent first (as the administrator's
    page and ``carepanel user throttles --json`` show them: the wait in whole seconds from now)."""
    return [{"key": t.key, "failures": t.failures, "last_at": t.last_at, "wait_seconds": max(0, round(t.until - now))}
            for t in store.throttles()]
