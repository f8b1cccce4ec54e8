"""Who is signed in, and what they may do.

Local accounts (Argon2 hashes) for the embedded default; OpenID Connect (Microsoft Entra ID)
through Authlib for councils.  Whichever way someone signs in, their role comes from the staff
directory, read again at every request (``directory_watch.LiveDirectory``): someone the
directory no longer names has no access, whatever their account says, so a chair who leaves
loses the chair's rights the moment the CSV changes.  A local account may only narrow a
directory role to ``read_only`` (an auditor who is also, say, a team manager); it never grants
a role the directory does not.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..directory import Directory
from ..store import Store

WEB_ROLES = ("administrator", "chair", "vice_chair", "panel_member", "read_only")
# What each role may do, by the name of the permission a page asks for.
PERMISSIONS: dict[str, frozenset[str]] = {
    "administrator": frozenset({"read", "review", "panel", "decide", "documents", "packs", "users"}),
    "chair": frozenset({"read", "decide", "sign", "documents", "packs"}),
    "vice_chair": frozenset({"read", "decide", "sign", "documents", "packs"}),  # signs in the chair's absence
    "panel_member": frozenset({"packs_sat_on"}),
    "read_only": frozenset({"read"}),
}
# RFC 5321 allows 254 characters in an address; a password longer than this is not a password.
MAX_EMAIL = 254
MAX_PASSWORD = 1024
_hasher = PasswordHasher()
# Verified when the account does not exist (or has no password), so an unknown address takes
# as long to refuse as a wrong password: the hash of a random secret nobody knows.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(32))


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
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"a password must be at most {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; the Argon2 check runs whether or not there is a hash."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _directory_roles(member: Any) -> tuple[str, ...]:
    """A member's roles (one, or several where the directory gives several)."""
    roles = getattr(member, "roles", None)
    return tuple(roles) if roles else (member.role,)


def role_for(email: str, directory: Directory, store: Store) -> User | None:
    """The directory's word, or no access; an account may only narrow it to read-only."""
    member = directory.by_email(email)
    if member is None:
        return None
    account = store.user(email)
    if account is not None and account.disabled:
        return None
    web_roles = [r for r in WEB_ROLES if r in _directory_roles(member)]
    if web_roles:
        return User(member.email, member.name, web_roles[0])
    if account is not None and account.role == "read_only":
        return User(member.email, member.name, "read_only")
    return None  # a social worker does not become an administrator by having an account


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[str]) -> str:
    """The address a request came from.  ``X-Forwarded-For`` is believed only when the peer is
    one of our own reverse proxies, and then read from the right: the first address that is not
    a trusted proxy is the client (anything left of it could have been written by the client)."""
    networks = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def is_trusted(text: str) -> bool:
        try:
            ip = ipaddress.ip_address(text.strip())
        except ValueError:
            return False
        return any(ip in n for n in networks)

    peer = peer or "?"
    if not forwarded_for or not is_trusted(peer):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # not an address: the header is not to be trusted
    return hops[0] if hops else peer


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
