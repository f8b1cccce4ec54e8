"""The mailbox: where email comes in and goes out, and the archive of every original.

Receiving (``base.Mailbox``), one shape for every backend, driven by the service's one sweep
and one loop; nothing changes on the server before the store has committed::

    new_items(since) -> [Batch]  new messages with their watermark, oldest first
    fetch(item) -> Fetched       the exact bytes (archived before anything else)
    mark_processed(item)         judged and committed: move it out of the inbox
    mark_failed(item, reason)    refused for good (too large, not an email): set it aside

A message whose processing fails is left in the inbox and retried.  The backends, by name,
are in ``registry``.  Sending
(``base.Sender``) is ``send(EmailMessage) -> Message-ID``; ``build_email`` makes the
message, marked as automatic so auto-responders stay quiet.

Modules: ``message`` (bytes -> ``Message``), ``quotes`` (approvals quoted in a body),
``archive`` (content-addressed originals), ``folder`` and ``watcher`` (the embedded
``folder`` backend), ``outbox`` (sending), ``durable`` (crash-safe writes).  The server
backends: ``imap`` and ``smtp`` (a council's IMAP server and mail relay), ``graph`` (Exchange
Online through Microsoft Graph, with ``graph_notify`` for its change notifications) and
``exchange`` (an on-premises Exchange Server through EWS).  Each reads on from a watermark
(UID, delta link, sync state) that the store commits with the submissions, and files a message
on the server only after its commit; ``secrets`` reads their passwords, never from config.toml.
"""

from .archive import Archive, ArchiveCorrupt
from .base import Mailbox, MailboxUnavailable, MailItem, Sender
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
    "InboxItem",
    "ItemChanged",
    "MailItem",
    "Mailbox",
    "MailboxUnavailable",
    "Sender",
    "build_email",
    "parse_message",
    "safe_filename",
    "watch",
]
