"""The staff directory: who is a team manager, a service manager, a chair.

Read from the CSV the config names (``name,email,role,team``).  Sign-off by sender and
forwarded approvals are only as good as this list, so a malformed row is an error that
names the row, not a silent skip.

Where ``[directory] exchange_groups`` is set, the people of those distribution lists are added
from the copy ``mailbox/exchange_directory.py`` keeps in the data directory (this module reads
only that file, never Exchange).  The CSV wins for any address it names.  An address-book entry
that is not a usable row (no address, an unknown role) is left out rather than stopping the
service: the address book is not the council's to correct here, the CSV is.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .profiles import DIRECTORY_ROLES, SENIORITY
from .errors import ConfigError
from .models import StaffMember


def satisfying_roles(role: str, also: Iterable[str] = ()) -> frozenset[str]:
    """The directory roles that satisfy a sign-off asked of ``role``: the role itself, every
    more senior manager (team manager < service manager < head of service < assistant
    director < director), and the roles a profile adds (``also``: care-planning-resources lets
    an assistant team manager stand for the team manager, 2.7)."""
    found = {role, *also}
    if role in SENIORITY:
        found.update(SENIORITY[SENIORITY.index(role):])
    return frozenset(found)


# Kept for callers of the first version: which roles satisfy a team or service manager's sign-off.
ROLE_SATISFIES: dict[str, frozenset[str]] = {r: satisfying_roles(r) for r in SENIORITY}

EXCHANGE_CACHE = "exchange-directory.json"  # in the data directory
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
        found = [m for m in self.members if _name_key(m.name) == key and (roles is None or set(m.roles) & roles)]
        return found[0] if len(found) == 1 else None

    def with_role(self, *roles: str) -> list[StaffMember]:
        return [m for m in self.members if set(m.roles) & set(roles)]

    def roles_of(self, who: str | None) -> frozenset[str]:
        """Every role of the person with this address or name; none for someone not in the
        directory (a person who has left has no access, signs nothing, authorises nothing)."""
        member = self.by_email(who) if who and "@" in who else self.by_name(who)
        return frozenset(member.roles) if member else frozenset()

    def has_role(self, who: str | None, *roles: str) -> bool:
        """Whether the person (address or name) holds any of ``roles``."""
        return bool(self.roles_of(who) & set(roles))

    def is_manager(self, address: str | None, manager_role: str, also: Iterable[str] = ()) -> bool:
        """Whether the address is a manager whose sign-off counts for ``manager_role``."""
        member = self.by_email(address)
        return member is not None and bool(set(member.roles) & satisfying_roles(manager_role, also))


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
        roles = split_roles(row["role"])
        bad = [r for r in roles if r not in DIRECTORY_ROLES] or ([] if roles else [row["role"]])
        if bad:
            raise ConfigError(f"{source}, line {lineno}: role {bad[0]!r} is not one of {', '.join(DIRECTORY_ROLES)}"
                              " (several roles: separate them with ;)")
        if not row["name"]:
            raise ConfigError(f"{source}, line {lineno}: the name is empty")
        members.append(StaffMember(row["name"], row["email"].lower(), roles[0], row["team"] or None, roles))
    return Directory(tuple(members))


def split_roles(text: str) -> tuple[str, ...]:
    """``"head_of_service; vice_chair"`` -> ``("head_of_service", "vice_chair")``."""
    return tuple(dict.fromkeys(r.strip().lower() for r in (text or "").split(";") if r.strip()))


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


def members_from_rows(rows: Iterable[Mapping[str, object]]) -> list[StaffMember]:
    """Address-book rows as members; a row that would not pass in the CSV is left out."""
    out = []
    for row in rows:
        name, email, role = (str(row.get(k) or "").strip() for k in ("name", "email", "role"))
        team = str(row.get("team") or "").strip() or None
        roles = split_roles(role)
        if name and _EMAIL.match(email) and roles and all(r in DIRECTORY_ROLES for r in roles):
            out.append(StaffMember(name, email.lower(), roles[0], team, roles))
    return out


def merge(primary: Directory, extra: Iterable[StaffMember]) -> Directory:
    """``primary`` (the CSV) as it is, then each other member whose address it does not name."""
    known = {m.email for m in primary.members}
    added = []
    for m in extra:
        if m.email not in known:
            known.add(m.email)
            added.append(m)
    return Directory(primary.members + tuple(added))


def exchange_copy(data_dir: Path) -> dict[str, object]:
    """The cached address-book copy (rows, when read, the last error), or {} if there is none."""
    try:
        value = json.loads((data_dir / EXCHANGE_CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def directory_for(cfg: Config) -> Directory:
    """The staff directory the config describes: the CSV, and the address-book copy if configured."""
    csv_directory = load_directory(cfg.directory_csv)
    if not cfg.directory_exchange_groups:
        return csv_directory
    rows = exchange_copy(cfg.data_dir).get("rows")
    return merge(csv_directory, members_from_rows(rows if isinstance(rows, list) else []))
