"""The staff directory: who is a team manager, a service manager, a chair.

Read from the CSV the config names (``name,email,role,team``).  Sign-off by sender and
forwarded approvals are only as good as this list, so a malformed row is an error that
names the row, not a silent skip.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .config import DIRECTORY_ROLES
from .errors import ConfigError
from .pipeline.models import StaffMember

# Which directory roles satisfy a sign-off requirement for a given manager role: the
# contract's "service_manager" is the service manager or head of service, whichever exists.
ROLE_SATISFIES: dict[str, frozenset[str]] = {
    "team_manager": frozenset({"team_manager"}),
    "service_manager": frozenset({"service_manager", "head_of_service"}),
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _name_key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", name.lower()).split())


@dataclass(frozen=True)
class Directory:
    members: tuple[StaffMember, ...] = ()

    def by_email(self, address: str | None) -> StaffMember | None:
        if not address:
            return None
        address = address.strip().lower()
        return next((m for m in self.members if m.email == address), None)

    def by_name(self, name: str | None, roles: frozenset[str] | None = None) -> StaffMember | None:
        """The one member with this name (and role); ``None`` if unknown or ambiguous."""
        if not name:
            return None
        key = _name_key(name)
        found = [m for m in self.members if _name_key(m.name) == key and (roles is None or m.role in roles)]
        return found[0] if len(found) == 1 else None

    def with_role(self, *roles: str) -> list[StaffMember]:
        return [m for m in self.members if m.role in roles]

    def is_manager(self, address: str | None, manager_role: str) -> bool:
        member = self.by_email(address)
        return member is not None and member.role in ROLE_SATISFIES[manager_role]


def parse_directory(text: str, source: str = "directory.csv") -> Directory:
    reader = csv.DictReader(io.StringIO(text))
    expected = {"name", "email", "role", "team"}
    if reader.fieldnames is None or not expected <= {f.strip().lower() for f in reader.fieldnames}:
        raise ConfigError(f"{source}: the header row must be name,email,role,team")
    members = []
    for lineno, row in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        if not _EMAIL.match(row["email"]):
            raise ConfigError(f"{source}, line {lineno}: {row['email']!r} is not an email address")
        if row["role"] not in DIRECTORY_ROLES:
            raise ConfigError(f"{source}, line {lineno}: role {row['role']!r} is not one of {', '.join(DIRECTORY_ROLES)}")
        if not row["name"]:
            raise ConfigError(f"{source}, line {lineno}: the name is empty")
        members.append(StaffMember(row["name"], row["email"].lower(), row["role"], row["team"] or None))
    return Directory(tuple(members))


def load_directory(path: Path | None) -> Directory:
    if path is None:
        return Directory()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"directory.csv: no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"directory.csv: cannot read {path}: {exc}") from exc
    return parse_directory(text, str(path))
