"""The one shape every mailbox backend meets: a ``Mailbox`` to receive, a ``Sender`` to send.

The service drives every backend (folder, imap, graph, exchange) with one sweep and one loop
(``service.py``), and changes nothing on the server until the store has committed::

    since = <the watermark committed last>          # IMAP's (UIDVALIDITY, UID), a delta link, a sync state
    for batch in mailbox.new_items(since):          # new messages, oldest first, each with its watermark
        for item in batch.items:
            got = mailbox.fetch(item)               # the exact bytes, archived before anything else
            ...judge; commit the submission with item.mark...
            mailbox.mark_processed(item)            # moved on the server only after the commit
        <commit batch.token>                        # a round or page with nothing to commit moves on too

A message whose processing fails is left where it is and retried: the folder lists it again
(``relists_failed``); a server mailbox, which never lists it again, is asked to ``find`` it
once its retry from the archived original has been committed.  Adding a backend: README,
"Adding a mailbox backend".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Generic, Protocol, TypeVar

from ..errors import MessageError


class MailboxUnavailable(MessageError):
    """The server cannot be reached or refuses us: retried with backoff, reported in ``status``
    and ``health``.  ``detail`` says why in words (the server's answer), never message content."""

    code = "mailbox_unavailable"


@dataclass(frozen=True)
class Mark:
    """How far a mailbox has been read, committed with the submission of the message it moves
    past: IMAP's UIDVALIDITY (``epoch``) and UID (``position``), or a sync ``token``."""

    epoch: int = 0
    position: int = 0
    token: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A message's exact bytes, and when the mailbox says it arrived (used when it has no Date)."""

    raw: bytes
    received: datetime | None


class MailItem(Protocol):
    """What any backend's item offers the service."""

    @property
    def source_key(self) -> str:
        """The mailbox's own name for it, kept on the ledger (a file name, ``uidvalidity:uid``,
        a Graph or EWS id)."""
        ...

    @property
    def mark(self) -> Mark | None:
        """The watermark to commit with it, if reading past it moves one."""
        ...


ItemT = TypeVar("ItemT", bound=MailItem)


@dataclass(frozen=True)
class Batch(Generic[ItemT]):
    """New items, and the sync token to save once each is committed (``None``: nothing to save)."""

    items: list[ItemT]
    token: str | None = None


class Mailbox(Protocol[ItemT]):
    """Receiving, for any backend.  Every server error is raised as ``MailboxUnavailable``."""

    source: str  # the ledger's name for the backend: "folder", "imap", "graph", "exchange"
    key: str | None  # its row of watermark and health in the store; None: it keeps none (folder)
    relists_failed: bool  # True: a message whose processing failed is listed again until moved

    def start(self, stop: threading.Event) -> None:
        """Start whatever wakes the loop early (a folder watcher, streaming notifications)."""
        ...

    def epoch(self) -> int | None:
        """The numbering the watermark belongs to (IMAP's UIDVALIDITY), connecting if need be;
        ``None`` for a mailbox whose watermark is a token or nothing."""
        ...

    def new_items(self, since: Mark | None) -> Iterator[Batch[ItemT]]:
        """Messages that came after ``since``, oldest first, in batches."""
        ...

    def fetch(self, item: ItemT) -> Fetched:
        """The item's exact bytes; ``FileNotFoundError`` if it went meanwhile (skipped)."""
        ...

    def mark_processed(self, item: ItemT) -> None:
        """Judged and committed: move it out of the inbox (or flag it)."""
        ...

    def mark_failed(self, item: ItemT, reason: str) -> None:
        """Refused for good (too large, not an email): set it aside, or leave it for a person."""
        ...

    def find(self, source_key: str | None, message_id: str) -> ItemT | None:
        """A message retried from the archive, found again in the mailbox so it can be moved."""
        ...

    def prepare(self, now: datetime) -> bool:
        """Housekeeping before each sweep (renew a subscription, refresh an address book);
        ``True`` when the staff directory was read again and should be reloaded."""
        ...

    def wait(self, stop: threading.Event) -> None:
        """Until new mail may have come (IDLE, a notification, a file event) or the poll is due."""
        ...

    def healthy(self) -> bool:
        """After a sweep that went through: can the mailbox still be reached?"""
        ...

    def reset(self) -> None:
        """After a failure: drop the connection, so the next sweep opens a fresh one."""
        ...

    def close(self) -> None: ...

    def describe(self) -> str:
        """What the service is watching, for its start-up line (no secrets)."""
        ...


class Sender(Protocol):
    """Sending.  ``send`` returns the Message-ID; it raises ``OSError`` when delivery failed
    and may be retried."""

    def send(self, msg: EmailMessage) -> str: ...
