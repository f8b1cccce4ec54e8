"""The ``imap`` backend: a council's own IMAP mailbox, over TLS, with IDLE for push.

Exactly once across restarts: each message is processed with a watermark (the folder's
UIDVALIDITY and the message's UID) that the store commits in the same transaction as its
submission, so a restart reads on from there; a message seen again (a crash between commit and
the move on the server, or a renumbered folder) is recognised by its hash and Message-ID and not
judged twice.  The original is archived before anything is changed on the server, and only
after its submission is committed is it moved (or flagged) as processed.

Folder names are configured with '/' between levels ("carepanel/processed") and made with the
hierarchy separator the server announces (``LIST "" ""``): '/' on Exchange, Gmail and Dovecot
with LAYOUT=fs, '.' on Dovecot's default Maildir layout and on Cyrus.

Uses IMAPClient (BSD licence) for IDLE, MOVE and UIDPLUS, which the standard library's imaplib
does not offer until Python 3.14.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..config import Config, ImapConfig, MailboxConfig
from ..errors import ConfigError
from ..logs import safe_fields
from .base import Batch, Fetched, MailboxUnavailable, Mark
from .secrets import read_secret

__all__ = ["ImapInbox", "MailboxUnavailable", "ServerMessage"]

log = logging.getLogger("carepanel.mailbox.imap")
PROCESSED_FLAG = b"$CarepanelProcessed"


@dataclass(frozen=True)
class ServerMessage:
    uid: int
    uidvalidity: int
    raw: bytes  # empty for a message found again only to be moved (``find``)
    internal_date: datetime | None

    @property
    def source_key(self) -> str:
        return f"{self.uidvalidity}:{self.uid}"

    @property
    def mark(self) -> Mark | None:
        return Mark(self.uidvalidity, self.uid)


def tls_context(ca_file: object | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class ImapInbox:
    """The ``imap`` backend (see ``base.Mailbox``): one connection to the panel mailbox's folder."""

    source = "imap"
    relists_failed = False

    def __init__(self, mailbox: MailboxConfig, *, timeout: float = 30.0, batch: int = 50) -> None:
        cfg = mailbox.settings
        if not isinstance(cfg, ImapConfig) or cfg.host is None or cfg.username is None:
            raise ConfigError("mailbox: host and username are required for backend = \"imap\"")
        self.cfg = cfg
        self.poll_seconds = mailbox.poll_seconds
        self.key: str | None = f"imap:{cfg.username}@{cfg.host}/{cfg.folder}"
        self.timeout = timeout
        self.batch = batch
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.separator = "/"  # as the server announces it, once connected
        # After each (re)connect, look once for messages at or below the committed UID that are
        # still in the folder: committed, then the service died (or the link dropped) before the
        # move.  Offered again, each is found already stored and is only moved (no second answer).
        self._leftovers_due = True

    # -------------------------------------------------------------- connection

    def connect(self) -> None:
        self._leftovers_due = True
        cfg = self.cfg
        password = read_secret(cfg.password_env, cfg.password_file, what="mailbox password")
        port = cfg.port or (993 if cfg.tls == "ssl" else 143)
        client: IMAPClient | None = None
        try:
            client = IMAPClient(cfg.host, port=port, ssl=cfg.tls == "ssl", ssl_context=tls_context(cfg.ca_file),
                                timeout=self.timeout)
            if cfg.tls == "starttls":
                client.starttls(tls_context(cfg.ca_file))
            client.login(cfg.username, password)
            self.separator = server_separator(client)
            info = client.select_folder(self.folder)
            self.uidvalidity = int(info[b"UIDVALIDITY"])
            for folder in (self.processed_folder, self.failed_folder) if cfg.on_processed == "move" else (self.failed_folder,):
                if not client.folder_exists(folder):
                    client.create_folder(folder)
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            _shutdown(client)
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc
        self.client = client
        log.info("mailbox connected", extra=safe_fields(event="mailbox_connected", backend="imap"))

    # -------------------------------------------------------------- folder names

    def server_name(self, configured: str) -> str:
        """A configured folder name, its levels split at '/', joined with the server's separator."""
        return self.separator.join(configured.split("/")) if self.separator else configured

    @property
    def folder(self) -> str:
        return self.server_name(self.cfg.folder)

    @property
    def processed_folder(self) -> str:
        return self.server_name(self.cfg.processed_folder)

    @property
    def failed_folder(self) -> str:
        return self.server_name(self.cfg.failed_folder)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except (IMAPClientError, OSError, ssl.SSLError):
                _shutdown(self.client)  # the connection is already gone: just release the socket
        self.client = None

    def _c(self) -> IMAPClient:
        if self.client is None:
            self.connect()
        assert self.client is not None
        return self.client

    # -------------------------------------------------------------- reading

    def new_messages(self, after_uid: int, limit: int = 50, up_to: int | None = None) -> list[ServerMessage]:
        """Messages with a UID above ``after_uid`` (and at most ``up_to``), oldest first, at most
        ``limit`` at a time; never one already flagged as processed."""
        c = self._c()
        try:
            info = c.select_folder(self.folder)
            self.uidvalidity = int(info[b"UIDVALIDITY"])
            top = "*" if up_to is None else str(up_to)
            found = c.search(["UID", f"{after_uid + 1}:{top}", "UNKEYWORD", PROCESSED_FLAG.decode()])
            uids = sorted(u for u in found if u > after_uid and (up_to is None or u <= up_to))[:limit]
            if not uids:
                return []
            fetched = c.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc
        out = []
        for uid in uids:
            data = fetched.get(uid)
            if not data or b"BODY[]" not in data:
                continue  # expunged between SEARCH and FETCH
            when = data.get(b"INTERNALDATE")
            if isinstance(when, datetime) and when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            out.append(ServerMessage(uid, int(self.uidvalidity), bytes(data[b"BODY[]"]), when))
        return out

    def find_uid(self, message_id: str) -> int | None:
        """A message's UID by its Message-ID (for a retry read back from the archive)."""
        c = self._c()
        try:
            c.select_folder(self.folder)
            found = c.search(["HEADER", "Message-ID", message_id])
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc
        return int(found[0]) if found else None

    # -------------------------------------------------------------- after commit

    def mark_processed(self, item: ServerMessage) -> None:
        self._file(item.uid, self.processed_folder if self.cfg.on_processed == "move" else None)

    def mark_failed(self, item: ServerMessage, reason: str) -> None:
        self._file(item.uid, self.failed_folder)

    def _file(self, uid: int, folder: str | None) -> None:
        c = self._c()
        try:
            if folder is None:
                c.add_flags([uid], [PROCESSED_FLAG, b"\\Seen"])
            elif c.has_capability("MOVE"):
                c.move([uid], folder)
            else:
                c.copy([uid], folder)
                c.delete_messages([uid])
                c.uid_expunge([uid]) if c.has_capability("UIDPLUS") else c.expunge()
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc

    # -------------------------------------------------------------- the service's loop

    def start(self, stop: threading.Event) -> None:
        pass

    def epoch(self) -> int | None:
        self._c()
        return int(self.uidvalidity or 0)

    def new_items(self, since: Mark | None) -> Iterator[Batch[ServerMessage]]:
        """One batch of at most ``batch`` messages past the committed UID (the service has
        already started again from 0 if the folder was renumbered)."""
        after = since.position if since is not None and since.epoch == self.uidvalidity else 0
        if self._leftovers_due and after > 0:
            self._leftovers_due = False
            left = self.new_messages(0, limit=self.batch, up_to=after)
            if left:
                yield Batch(left)
        yield Batch(self.new_messages(after, limit=self.batch))

    def fetch(self, item: ServerMessage) -> Fetched:
        return Fetched(item.raw, item.internal_date)

    def find(self, source_key: str | None, message_id: str) -> ServerMessage | None:
        uid = self.find_uid(message_id)  # UIDs may have moved on: found by Message-ID
        return None if uid is None else ServerMessage(uid, int(self.uidvalidity or 0), b"", None)

    def prepare(self, now: datetime) -> bool:
        return False

    def healthy(self) -> bool:
        return True

    def reset(self) -> None:
        self.close()

    def describe(self) -> str:
        return f"watching {self.cfg.folder} on {self.cfg.host}"

    def wait(self, stop: threading.Event) -> None:
        self.idle(self.poll_seconds, stop.is_set)

    def idle(self, seconds: float, stop: Callable[[], bool]) -> None:
        """Wait for new mail: IDLE where the server offers it (a push within a second or so),
        otherwise simply sleep until the next poll."""
        c = self._c()
        if not (self.cfg.idle and c.has_capability("IDLE")):
            socket_wait(seconds, stop)
            return
        try:
            c.idle()
            remaining = seconds
            while remaining > 0 and not stop():
                step = min(1.0, remaining)
                responses = c.idle_check(timeout=step)
                remaining -= step
                if any(r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1):
                    break
            c.idle_done()
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc


def server_separator(client: IMAPClient) -> str:
    """The hierarchy separator, from ``LIST "" ""`` (RFC 3501 6.3.8); '/' if the server names none."""
    try:
        listed = client.list_folders("", "")
    except IMAPClientError:
        return "/"
    for _flags, delimiter, _name in listed:
        if delimiter:
            return delimiter.decode() if isinstance(delimiter, bytes) else str(delimiter)
    return "/"


def _shutdown(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.shutdown()
    except (IMAPClientError, OSError, ssl.SSLError):
        pass


def socket_wait(seconds: float, stop: Callable[[], bool]) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop():
        time.sleep(min(0.2, max(0.0, end - time.monotonic())))


def _plain_reason(exc: BaseException) -> str:
    """What an IT team needs to know, in words, without the server's whole reply."""
    text = str(exc)
    if isinstance(exc, socket.gaierror):
        return "the mail server's name cannot be found (check mailbox.host)"
    if isinstance(exc, ConnectionRefusedError):
        return "the mail server refused the connection (check mailbox.host and mailbox.port)"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "the mail server did not answer in time"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "the mail server's certificate is not trusted (set mailbox.ca_file to the council's CA)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or 'handshake'})"
    if "AUTHENTICATIONFAILED" in text.upper() or "LOGIN" in text.upper() and "FAIL" in text.upper():
        return "the mailbox refused the user name or password"
    if "NONEXISTENT" in text.upper() or "doesn't exist" in text.lower():
        return "the folder does not exist on the server (check mailbox.folder)"
    return f"{type(exc).__name__}: {text[:200]}"


def open_inbox(cfg: Config, clock: object = None) -> ImapInbox:
    return ImapInbox(cfg.mailbox)


def check(cfg: Config) -> str:
    inbox = ImapInbox(cfg.mailbox)
    m = inbox.cfg
    inbox.connect()  # MailboxUnavailable says why, in words
    try:
        waiting = len(inbox.new_messages(0, limit=10_000))
    finally:
        inbox.close()
    return (f"signed in to {m.host} as {m.username}; can read {inbox.folder} ({waiting} messages in it) "
            f"and file into {inbox.processed_folder}")


def local_processed(cfg: Config) -> None:
    """Processed messages stay in a folder on the server, not on this machine."""
    return None
