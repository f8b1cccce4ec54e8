"""The mailbox: where email comes in and goes out, and the archive of every original.

Receiving (``base.Inbox``), driven by the service only after the store has committed::

    pending() -> [item]          complete messages waiting, oldest first
    read(item) -> bytes          the exact bytes (archive them before anything else)
    mark_processed(item)         judged and committed: move it out of the inbox
    mark_failed(item, reason)    refused for good (too large, not an email): set it aside

A message whose processing fails is left in the inbox and retried.  Sending
(``base.Sender``) is ``send(EmailMessage) -> Message-ID``; ``build_email`` makes the
message, marked as automatic so auto-responders stay quiet.

Modules: ``message`` (bytes -> ``Message``), ``quotes`` (approvals quoted in a body),
``archive`` (content-addressed originals), ``folder`` and ``watcher`` (the embedded
``folder`` backend), ``outbox`` (sending), ``durable`` (crash-safe writes).  The ``imap``,
``exchange`` and ``graph`` backends are to meet the same two protocols.
"""

from .archive import Archive, ArchiveCorrupt
from .base import Inbox, MailItem, Sender
from .filenames import safe_filename
from .folder import FolderInbox, InboxItem, ItemChanged
from .message import parse_message
from .outbox import FolderOutbox, build_email
from .watcher import watch

__all__ = [
    "Archive",
    "ArchiveCorrupt",
    "FolderInbox",
    "FolderOutbox",
    "Inbox",
    "InboxItem",
    "ItemChanged",
    "MailItem",
    "Sender",
    "build_email",
    "parse_message",
    "safe_filename",
    "watch",
]
