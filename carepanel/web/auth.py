"""Who is signed in, and what they may do.

Local accounts (Argon2 hashes) for the embedded default; OpenID Connect (Microsoft Entra ID)
through Authlib for councils.  Whichever way someone signs in, their role comes from the staff
directory when it names them (so a chair who leaves the directory loses the chair's rights the
moment the CSV changes); an account the directory does not know keeps the role it was given.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..directory import Directory
from ..store import Store

WEB_ROLES = ("administrator", "chair", "vice_chair", "panel_member", "read_only")
# What each role may do, by the name of the permission a page asks for.
PERMISSIONS: dict[str, frozenset[str]] = {
    "administrator": frozenset({"read", "review", "panel", "decide", "documents", "packs"}),
    "chair": frozenset({"read", "decide", "sign", "documents", "packs"}),
    "vice_chair": frozenset({"read", "decide", "sign", "documents", "packs"}),  # signs in the chair's absence
    "panel_member": frozenset({"packs_sat_on"}),
    "read_only": frozenset({"read"}),
}
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    email: str
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def hash_password(password: str) -> str:
    if len(password) < 12:
        raise ValueError("a password must be at least 12 characters")
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    if not stored:
        _hasher.hash(password)  # same work whether or not the account exists
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def role_for(email: str, directory: Directory, store: Store) -> User | None:
    """The directory's word first; then a local account's own role; else no access."""
    member = directory.by_email(email)
    if member is not None and member.role in WEB_ROLES:
        return User(member.email, member.name, member.role)
    account = store.user(email)
    if account and not account.disabled and account.role in WEB_ROLES:
        if member is not None and member.role not in WEB_ROLES:
            return None  # a social worker does not become an administrator by having an account
        return User(account.email, account.name, account.role)
    return None


class LoginLimiter:
    """At most ``limit`` failed sign-ins per address and per account in ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q = self._failures[key]
        now = time.monotonic()
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self.limit for k in keys)

    def failed(self, *keys: str) -> None:
        for k in keys:
            self._recent(k).append(time.monotonic())

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._failures.pop(k, None)


def session_secret(env_value: str | None, data_dir: Path) -> str:
    """The key that signs session cookies: from the environment, else a file only we can read."""
    if env_value:
        return env_value
    path = data_dir / "session.key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    with open(path, "x", encoding="ascii") as fh:
        fh.write(key)
    path.chmod(0o600)
    return key
