"""The staff directory from the Exchange address book (``[directory] exchange_groups``).

Each role names a distribution list; ``ExpandDL`` gives its members (a list inside a list is
expanded too) and ``ResolveNames`` with full contact data gives each member's display name and
department, which is the team.  The rows are kept in the data directory
(``exchange-directory.json``) and refreshed every ``exchange_refresh_hours``: the service
starts from the last good copy when Exchange is down, and a refresh that fails part-way keeps
the old copy whole rather than a half-read one.  ``directory.py`` merges the rows under the
CSV, which wins for anyone it names, so a council corrects a role by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..directory import EXCHANGE_CACHE, exchange_copy
from ..logs import safe_fields
from .durable import make_dirs, write_atomic
from .exchange import ExchangeMailbox
from .base import MailboxUnavailable

log = logging.getLogger("carepanel.mailbox.exchange")
LIST_TYPES = frozenset({"PublicDL", "PrivateDL"})
RETRY_AFTER_FAILURE = timedelta(minutes=15)


def fetch_rows(mailbox: ExchangeMailbox, groups: Mapping[str, str]) -> list[dict[str, str]]:
    """name,email,role,team for every member of every group; the first group to name a person
    gives their role (the order of ``exchange_groups``)."""
    protocol = mailbox.account().protocol
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for role, address in groups.items():
        for member in _members(mailbox, protocol, address, {address.lower()}):
            email = (member.email_address or "").lower()
            if not email or email in seen:
                continue
            seen.add(email)
            name, team = _contact(mailbox, protocol, email)
            rows.append({"name": name or member.name or email, "email": email, "role": role, "team": team or ""})
    return rows


def _members(mailbox: ExchangeMailbox, protocol: Any, address: str, visited: set[str]) -> list[Any]:
    out = []
    for m in mailbox.call(lambda: protocol.expand_dl(address)):
        if isinstance(m, Exception):
            raise MailboxUnavailable(f"the distribution list {address} could not be read ({type(m).__name__})")
        if m.mailbox_type in LIST_TYPES and m.email_address:
            inner = m.email_address.lower()
            if inner not in visited:
                visited.add(inner)
                out.extend(_members(mailbox, protocol, inner, visited))
        elif m.mailbox_type in (None, "Mailbox", "Contact", "User", "Unknown", "OneOff"):
            out.append(m)
    return out


def count_members(mailbox: ExchangeMailbox, address: str) -> int | str:
    """For ``carepanel mailbox check``: how many people a list holds, or why it cannot be read."""
    try:
        members = _members(mailbox, mailbox.account().protocol, address, {address.lower()})
        return len({(m.email_address or "").lower() for m in members} - {""})
    except MailboxUnavailable as exc:
        return exc.detail


def _contact(mailbox: ExchangeMailbox, protocol: Any, email: str) -> tuple[str | None, str | None]:
    """The display name and department ResolveNames gives for exactly this SMTP address."""
    found = mailbox.call(lambda: protocol.resolve_names(names=[f"smtp:{email}"], return_full_contact_data=True))
    for entry in found:
        if isinstance(entry, Exception) or not isinstance(entry, tuple):
            continue  # ErrorNameResolutionNoResults: a member with no address-book entry keeps its DL name
        box, contact = entry
        if box is not None and (box.email_address or "").lower() == email:
            if contact is None:
                return box.name, None
            return contact.display_name or box.name, contact.department
    return None, None


def cache_path(data_dir: Path) -> Path:
    return data_dir / EXCHANGE_CACHE


def _write_cache(data_dir: Path, value: dict[str, Any]) -> None:
    path = cache_path(data_dir)
    make_dirs(path.parent)
    # staff names and addresses: the service account's alone (0600), and whole or not at all
    write_atomic(path, json.dumps(value, indent=1, sort_keys=True).encode("utf-8"))


def refresh(mailbox: ExchangeMailbox, data_dir: Path, groups: Mapping[str, str], every: timedelta,
            now: datetime) -> bool:
    """Read the groups again if the copy is older than ``every`` (or names other groups); True
    when the rows were replaced.  A failure is recorded in the cache for ``carepanel status``
    and tried again in a quarter of an hour; it never stops the service."""
    cache: dict[str, Any] = exchange_copy(data_dir)
    fetched = _when(cache.get("fetched_at"))
    attempted = _when(cache.get("last_attempt_at"))
    same = cache.get("groups") == dict(groups)
    if same and fetched is not None and now - fetched < every:
        return False
    if cache.get("last_error") and attempted is not None and now - attempted < RETRY_AFTER_FAILURE:
        return False
    try:
        rows = fetch_rows(mailbox, groups)
    except MailboxUnavailable as exc:
        cache.update(last_attempt_at=now.isoformat(), last_error=exc.detail)
        _write_cache(data_dir, cache)
        log.warning("exchange address book not read; keeping the last copy", extra=safe_fields(
            event="exchange_directory_failed", error_type=type(exc.__cause__ or exc).__name__))
        return False
    _write_cache(data_dir, {"groups": dict(groups), "rows": rows, "fetched_at": now.isoformat(),
                            "last_attempt_at": now.isoformat(), "last_error": None})
    log.info("exchange address book read", extra=safe_fields(event="exchange_directory_read", count=len(rows)))
    return True


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
