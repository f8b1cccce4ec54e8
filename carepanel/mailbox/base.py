"""The two shapes every mailbox backend meets: an ``Inbox`` to receive, a ``Sender`` to send.

The service drives any backend the same way, and only after the store has committed:

    for item in inbox.pending():          # complete, new-looking messages, oldest first
        raw = inbox.read(item)            # the exact bytes, archived before anything else
        ...judge and commit...
        inbox.mark_processed(item)        # or leave it for retry, or mark_failed if refused

The folder backend is ``folder.FolderInbox`` and ``outbox.FolderOutbox``; IMAP, Exchange and
Graph backends are to meet the same protocols with their own item type.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol, TypeVar


class MailItem(Protocol):
    """What any backend's item offers the service: a stable, log-safe key and a size."""

    @property
    def key(self) -> str: ...

    @property
    def size(self) -> int: ...


ItemT = TypeVar("ItemT", bound=MailItem)


class Inbox(Protocol[ItemT]):
    """Receiving.  A message stays in the inbox until ``mark_processed`` or ``mark_failed``:
    a message whose processing fails is simply left there and retried."""

    def pending(self) -> list[ItemT]: ...

    def read(self, item: ItemT) -> bytes: ...

    def mark_processed(self, item: ItemT) -> None: ...

    def mark_failed(self, item: ItemT, reason: str) -> None:
        """Set aside a message refused for good (too large, not an email), with the reason."""
        ...


class Sender(Protocol):
    """Sending.  ``send`` returns the Message-ID; it raises ``OSError`` when delivery failed
    and may be retried."""

    def send(self, msg: EmailMessage) -> str: ...
