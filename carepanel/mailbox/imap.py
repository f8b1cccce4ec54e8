"""The ``imap`` backend: a council's own IMAP mailbox, over TLS, with IDLE for push.

Exactly once across restarts: each message is processed with a watermark (the folder's
UIDVALIDITY and the message's UID) that the store commits in the same transaction as its
submission, so a restart reads on from there; a message seen again (a crash between commit and
the move on the server, or a renumbered folder) is recognised by its hash and Message-ID and not
judged twice.  The original is archived before anything is changed on the server, and only
after its submission is committed is it moved (or flagged) as processed.

Uses IMAPClient (BSD licence) for IDLE, MOVE and UIDPLUS, which the standard library's imaplib
does not offer until Python 3.14.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..config import MailboxConfig
from ..errors import ConfigError, MessageError
from ..logs import safe_fields
from .secrets import read_secret

log = logging.getLogger("carepanel.mailbox.imap")
PROCESSED_FLAG = b"$CarepanelProcessed"


class MailboxUnavailable(MessageError):
    """The server cannot be reached or refuses us: retried with backoff, reported in status."""

    code = "mailbox_unavailable"


@dataclass(frozen=True)
class ServerMessage:
    uid: int
    uidvalidity: int
    raw: bytes
    internal_date: datetime | None


def tls_context(ca_file: object | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class ImapInbox:
    """One connection to the panel mailbox's folder."""

    def __init__(self, cfg: MailboxConfig, *, timeout: float = 30.0) -> None:
        if cfg.host is None or cfg.username is None:
            raise ConfigError("mailbox: host and username are required for backend = \"imap\"")
        self.cfg = cfg
        self.key = f"imap:{cfg.username}@{cfg.host}/{cfg.folder}"
        self.timeout = timeout
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None

    # -------------------------------------------------------------- connection

    def connect(self) -> None:
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
            info = client.select_folder(cfg.folder)
            self.uidvalidity = int(info[b"UIDVALIDITY"])
            for folder in (cfg.processed_folder, cfg.failed_folder) if cfg.on_processed == "move" else (cfg.failed_folder,):
                if not client.folder_exists(folder):
                    client.create_folder(folder)
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            _shutdown(client)
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc
        self.client = client
        log.info("mailbox connected", extra=safe_fields(event="mailbox_connected", backend="imap"))

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

    def new_messages(self, after_uid: int, limit: int = 50) -> list[ServerMessage]:
        """Messages with a UID above ``after_uid``, oldest first, at most ``limit`` at a time."""
        c = self._c()
        try:
            info = c.select_folder(self.cfg.folder)
            self.uidvalidity = int(info[b"UIDVALIDITY"])
            uids = sorted(u for u in c.search(["UID", f"{after_uid + 1}:*"]) if u > after_uid)[:limit]
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
            c.select_folder(self.cfg.folder)
            found = c.search(["HEADER", "Message-ID", message_id])
        except (IMAPClientError, OSError, ssl.SSLError) as exc:
            self.close()
            raise MailboxUnavailable(_plain_reason(exc)) from exc
        return int(found[0]) if found else None

    # -------------------------------------------------------------- after commit

    def mark_processed(self, uid: int) -> None:
        self._file(uid, self.cfg.processed_folder if self.cfg.on_processed == "move" else None)

    def mark_failed(self, uid: int) -> None:
        self._file(uid, self.cfg.failed_folder)

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

    # -------------------------------------------------------------- waiting

    def wait(self, seconds: float, stop: Callable[[], bool]) -> None:
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
