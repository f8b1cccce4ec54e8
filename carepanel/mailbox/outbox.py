"""Outgoing mail: building a well-behaved automatic email, and the folder backend that sends it.

Every message carries ``Auto-Submitted`` (RFC 3834) and ``X-Auto-Response-Suppress`` (what
Exchange and Outlook honour), so out-of-office replies are not sent back and no two robots
mail each other forever.  ``FolderOutbox`` writes each message as an ``.eml`` file,
atomically, for a relay or a person to pick up; SMTP and Graph senders are to meet the same
``Sender`` protocol (``base.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from ..clock import Clock, system_clock
from ..config import OutboxConfig
from ..errors import ConfigError
from ..logs import safe_fields
from ..models import sha256_hex
from .base import Sender
from .durable import make_dirs, write_atomic
from .filenames import safe_filename

__all__ = ["FolderOutbox", "OutgoingFile", "Sender", "build_email"]

log = logging.getLogger(__name__)

OutgoingFile = tuple[str, bytes, str]  # (file name, bytes, MIME type)
FALLBACK_DOMAIN = "carepanel.invalid"
_FILE_POLICY = policy.SMTP  # CRLF line ends: what mail clients and relays expect of an .eml
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def build_email(
    from_addr: str,
    to: str | Sequence[str],
    cc: str | Sequence[str] = (),
    subject: str = "",
    text: str = "",
    html: str | None = None,
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    attachments: Iterable[OutgoingFile] = (),
    *,
    auto_submitted: str | None = None,
    now: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """One automatic email, threaded under ``in_reply_to`` when it answers a message.

    ``Auto-Submitted`` is ``auto-replied`` for an answer and ``auto-generated`` otherwise,
    as RFC 3834 asks; both stop well-behaved auto-responders.  Addresses in ``cc`` that are
    already in ``to`` are dropped.  A header value with a line break raises ``ValueError``.
    A caller that may send the same item twice (after a crash) passes a stable ``message_id``
    so the copies are recognisably one message.
    """
    msg = EmailMessage()
    recipients = _unique(_as_list(to))
    copies = [a for a in _unique(_as_list(cc)) if parseaddr(a)[1].lower() not in _bare(recipients)]
    if not recipients:
        raise ValueError("an outgoing email needs at least one To address")
    msg["From"] = from_addr
    msg["To"] = ", ".join(recipients)
    if copies:
        msg["Cc"] = ", ".join(copies)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    msg["Message-ID"] = message_id or make_msgid(domain=_domain(from_addr))
    _thread(msg, in_reply_to, references)
    msg["Auto-Submitted"] = auto_submitted or ("auto-replied" if in_reply_to else "auto-generated")
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=safe_filename(name))
    return msg


def outgoing_message_id(item_id: str, from_addr: str) -> str:
    """The Message-ID of a queued outgoing item: the same on every attempt to send it."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "", item_id) or "item"
    return f"<{safe}.carepanel@{_domain(from_addr)}>"


def _thread(msg: EmailMessage, in_reply_to: str | None, references: str | Sequence[str] | None) -> None:
    refs = _message_ids(references)
    if in_reply_to:
        parent = _message_ids(in_reply_to)
        if not parent:
            raise ValueError("in_reply_to is not a Message-ID")
        msg["In-Reply-To"] = parent[0]
        refs = _unique(refs + parent[:1])
    if refs:
        msg["References"] = " ".join(refs)


def _message_ids(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    text = value if isinstance(value, str) else " ".join(value)
    return _MESSAGE_ID.findall(text)


def _as_list(value: str | Sequence[str]) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    return [a.strip() for a in items if a and a.strip()]


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = (parseaddr(item)[1] or item).lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _bare(addresses: list[str]) -> set[str]:
    return {(parseaddr(a)[1] or a).lower() for a in addresses}


def _domain(address: str) -> str:
    domain = parseaddr(address)[1].rpartition("@")[2]
    return domain if _DOMAIN.fullmatch(domain) else FALLBACK_DOMAIN


class FolderOutbox:
    """The ``folder`` backend's ``Sender``: each message becomes
    ``<UTC time>-<hash of its Message-ID>.eml`` in the outbox folder, written atomically.

    Sending a message whose Message-ID is already in the folder writes nothing: a service
    killed between writing and recording the send does not leave two copies.
    """

    def __init__(self, cfg: OutboxConfig, *, clock: Clock = system_clock) -> None:
        if cfg.path is None:
            raise ConfigError("outbox.path: required for backend = \"folder\"")
        self.path: Path = cfg.path
        self._clock = clock

    def send(self, msg: EmailMessage) -> str:
        """Write ``msg`` out and return its Message-ID (adding one, and a Date, if missing)."""
        if not (msg.get_all("To") or msg.get_all("Cc") or msg.get_all("Bcc")):
            raise ValueError("an outgoing email needs a recipient")
        now = self._clock().astimezone(timezone.utc)
        if msg["Message-ID"] is None:
            msg["Message-ID"] = make_msgid(domain=_domain(str(msg.get("From", ""))))
        if msg["Date"] is None:
            msg["Date"] = format_datetime(now)
        data = msg.as_bytes(policy=_FILE_POLICY)
        digest = sha256_hex(data)
        key = sha256_hex(str(msg["Message-ID"]).encode("utf-8"))[:16]
        make_dirs(self.path)
        if any(self.path.glob(f"*-{key}.eml")):
            log.info("email already in outbox", extra=safe_fields(event="outbox_duplicate_skipped", message_sha256=digest))
            return str(msg["Message-ID"])
        write_atomic(self.path / f"{now:%Y%m%dT%H%M%S%fZ}-{key}.eml", data)
        log.info("email written to outbox", extra=safe_fields(event="outbox_written", size=len(data),
                                                              message_sha256=digest))
        return str(msg["Message-ID"])

