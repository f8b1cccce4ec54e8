"""The ``exchange`` backend: the panel mailbox on an on-premises Exchange Server, through EWS.

Uses ``exchangelib`` (BSD licence) for the SOAP, NTLM and OAuth.  New mail is found with
``SyncFolderItems``: its sync state is the watermark, and the state a page ends on is committed
in the same transaction as that page's last submission (and saved again after the page, for a
page with nothing new to commit).  A crash mid-page replays the page from the previous state;
what was already judged is recognised by hash and Message-ID, as it is when the server forgets a
sync state (``ErrorInvalidSyncStateData``) and the folder is read again from the start.

Each message is fetched with ``GetItem`` and its full MIME content, so the archive keeps
exactly what arrived, attached items and all; only after its submission is committed is it
moved to the processed folder (created if missing).  Sending is ``CreateItem`` with the whole
MIME message (``SendOnly``), keeping our stable Message-ID.  Throttling (``ErrorServerBusy``
with ``BackOffMilliseconds``) is waited out here, not inside exchangelib, so the wait is capped
and logged; every other failure becomes a ``MailboxUnavailable`` saying what to check.

Waiting for new mail is a sync every ``poll_seconds``, woken early by EWS streaming
notifications where the server offers them (``exchange_notify.py``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, TypeVar

import requests
from oauthlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]
from exchangelib import (  # type: ignore[import-untyped]
    BASIC,
    DELEGATE,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    Account,
    Configuration,
    Credentials,
    Folder,
    FolderCollection,
    Identity,
    Message,
    OAuth2Credentials,
    Q,
    Version,
)
from exchangelib import errors as ews  # type: ignore[import-untyped]
from exchangelib.folders import SHALLOW  # type: ignore[import-untyped]
from exchangelib.protocol import BaseProtocol  # type: ignore[import-untyped]
from exchangelib.services import CreateFolder, SyncFolderItems  # type: ignore[import-untyped]
from exchangelib.version import (  # type: ignore[import-untyped]
    EXCHANGE_2013,
    EXCHANGE_2013_SP1,
    EXCHANGE_2016,
    EXCHANGE_2019,
    Build,
)

from ..config import Config, ExchangeConfig
from ..errors import ConfigError
from ..logs import safe_fields
from .base import Batch, Fetched, MailboxUnavailable, Mark

log = logging.getLogger("carepanel.mailbox.exchange")
T = TypeVar("T")
VERSIONS: dict[str, Build] = {"Exchange2013": EXCHANGE_2013, "Exchange2013_SP1": EXCHANGE_2013_SP1,
                              "Exchange2016": EXCHANGE_2016, "Exchange2019": EXCHANGE_2019}
AUTHS = {"ntlm": NTLM, "basic": BASIC, "oauth": OAUTH2}


@dataclass(frozen=True)
class ExchangeSettings:
    address: str  # the panel mailbox's primary SMTP address
    service_endpoint: str  # https://mail.council.gov.uk/EWS/Exchange.asmx
    auth: str = "ntlm"  # ntlm | basic | oauth
    folder: str = "inbox"  # the well-known inbox, or the display name of a folder under it
    processed_folder: str = "carepanel-processed"
    version: str = "Exchange2016"  # fixed, so nothing is probed or autodiscovered
    ca_file: Path | None = None
    page_size: int = 50
    max_retries: int = 5
    max_wait_seconds: float = 300.0


@dataclass(frozen=True)
class ExchangeMessage:
    id: str
    changekey: str | None
    internet_message_id: str | None
    received: datetime | None
    raw: bytes
    mark: Mark | None = None  # on a page's last message: the sync state the page ends on

    @property
    def source_key(self) -> str:
        return self.id


@dataclass(frozen=True)
class SyncPage:
    """One SyncFolderItems answer: the items it created and the sync state it ends on."""

    ids: list[tuple[str, str | None]]
    sync_state: str
    last: bool


def password_credentials(username: str, password: str) -> Credentials:
    return Credentials(username, password)


def oauth_credentials(tenant_id: str, client_id: str, client_secret: str, address: str) -> OAuth2Credentials:
    """App-only OAuth (client credentials) for hybrid modern authentication: EWS then needs the
    app to impersonate the panel mailbox, which the admin confines with an RBAC scope."""
    return OAuth2Credentials(client_id=client_id, client_secret=client_secret, tenant_id=tenant_id,
                             identity=Identity(primary_smtp_address=address))


class _TrustAdapter(requests.adapters.HTTPAdapter):
    """Verify the server's certificate against the council's CA (``mailbox.ca_file``)."""

    ca_file: str | None = None

    def send(self, request: Any, **kw: Any) -> Any:  # type: ignore[override]
        if self.ca_file and kw.get("verify", True) is True:
            kw["verify"] = self.ca_file
        return super().send(request, **kw)


class ExchangeMailbox:
    def __init__(self, settings: ExchangeSettings, credentials: Credentials | OAuth2Credentials, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not settings.address or "@" not in settings.address:
            raise ConfigError("mailbox.address: the panel mailbox's email address is required for backend = \"exchange\"")
        if settings.auth not in AUTHS:
            raise ConfigError(f"mailbox.auth: {settings.auth!r} is not one of ntlm, basic, oauth")
        if settings.version not in VERSIONS:
            raise ConfigError(f"mailbox.exchange_version: {settings.version!r} is not one of {', '.join(VERSIONS)}")
        self.s = settings
        self.credentials = credentials
        self.sleep = sleep
        self._account: Account | None = None
        self._folder: Any = None
        self._processed: Any = None
        if settings.ca_file:
            _TrustAdapter.ca_file = str(settings.ca_file)
            BaseProtocol.HTTP_ADAPTER_CLS = _TrustAdapter

    def close(self) -> None:
        if self._account is not None:
            with contextlib.suppress(Exception):  # closing a connection that is already gone
                self._account.protocol.close()
        self._account = None
        self._folder = self._processed = None

    # -------------------------------------------------------------- connection

    def account(self) -> Account:
        if self._account is None:
            config = Configuration(service_endpoint=self.s.service_endpoint, credentials=self.credentials,
                                   auth_type=AUTHS[self.s.auth], version=Version(build=VERSIONS[self.s.version]),
                                   # two: the notification stream holds one connection for minutes
                                   max_connections=2)
            self._account = self.call(lambda: Account(
                primary_smtp_address=self.s.address, config=config, autodiscover=False,
                access_type=IMPERSONATION if self.s.auth == "oauth" else DELEGATE))
        return self._account

    def call(self, fn: Callable[[], T]) -> T:
        """One EWS exchange, with throttling waited out and every failure put in words."""
        for attempt in range(self.s.max_retries + 1):
            try:
                return fn()
            except ews.ErrorServerBusy as exc:
                if attempt >= self.s.max_retries:
                    break
                wait = min(self.s.max_wait_seconds, float(exc.back_off or 2 ** attempt))
                log.info("exchange throttled; waiting", extra=safe_fields(event="exchange_throttled", delay_seconds=wait))
                self.sleep(wait)
            except ews.ErrorInvalidSyncStateData:
                raise
            except (ews.EWSError, requests.RequestException, OSError) as exc:
                raise MailboxUnavailable(plain_reason(exc)) from exc
            except OAuth2Error as exc:  # the token endpoint refused: an expired or revoked client secret
                raise MailboxUnavailable("Entra ID refused the app's credentials for Exchange (is the client secret "
                                         f"expired or revoked?): {type(exc).__name__}") from exc
        raise MailboxUnavailable("the Exchange server kept asking us to back off (ErrorServerBusy); will try again later")

    def folder(self) -> Any:
        if self._folder is None:
            acct = self.account()
            name = self.s.folder
            if name.lower() == "inbox":
                self._folder = self.call(lambda: acct.inbox)
            else:
                inbox = self.call(lambda: acct.inbox)
                self._folder = self._child(inbox, name)
                if self._folder is None:
                    raise MailboxUnavailable(f"the folder {name!r} does not exist under the Inbox (check mailbox.folder)")
        return self._folder

    def _child(self, parent: Any, name: str) -> Any:
        found = self.call(lambda: list(FolderCollection(account=self.account(), folders=[parent]).find_folders(
            q=Q(name=name), depth=SHALLOW)))
        for f in found:
            if isinstance(f, Exception):
                raise MailboxUnavailable(plain_reason(f))
        return found[0] if found else None

    def check(self) -> int:
        """For ``carepanel mailbox check``: sign in, open the folder and the processed folder
        (creating it, as the service would); the number of messages in the folder."""
        folder = self.folder()
        self.processed_folder()
        return int(folder.total_count or 0)

    # -------------------------------------------------------------- reading

    def pages(self, sync_state: str | None) -> Iterator[SyncPage]:
        """SyncFolderItems pages from ``sync_state`` (the whole folder when ``None``), until the
        server says the last item is in range.  A sync state the server no longer accepts starts
        the folder again from the beginning."""
        folder = self.folder()
        while True:
            svc = SyncFolderItems(account=self.account())

            def one_page(svc: Any = svc, state: str | None = sync_state) -> list[Any]:
                return list(svc.call(folder=folder, shape="IdOnly", additional_fields=set(), sync_state=state,
                                     ignore=None, max_changes_returned=self.s.page_size, sync_scope=None))

            try:
                changes = self.call(one_page)
            except ews.ErrorInvalidSyncStateData:
                if sync_state is None:
                    raise MailboxUnavailable("the Exchange server refused a fresh sync (ErrorInvalidSyncStateData)")
                log.warning("exchange sync state refused; reading the folder again",
                            extra=safe_fields(event="exchange_sync_reset"))
                sync_state = None
                continue
            ids = []
            for change, item in changes:
                if isinstance(item, Exception):
                    raise MailboxUnavailable(plain_reason(item))
                if change == "create" and getattr(item, "id", None):
                    ids.append((str(item.id), item.changekey))
            last = bool(svc.includes_last_item_in_range) or svc.sync_state == sync_state
            yield SyncPage(ids, str(svc.sync_state), last)
            if last:
                return
            sync_state = svc.sync_state

    def fetch(self, ids: list[tuple[str, str | None]]) -> list[ExchangeMessage]:
        """GetItem with the MIME content, in order; an item gone meanwhile is skipped."""
        if not ids:
            return []
        acct = self.account()
        got = self.call(lambda: list(acct.fetch(ids=ids, only_fields=["mime_content", "message_id", "datetime_received"])))
        out = []
        for item in got:
            if isinstance(item, ews.ErrorItemNotFound):
                continue  # moved or deleted between the sync and the fetch
            raw = None if isinstance(item, Exception) else item.mime_content
            if raw is None:
                # Exchange cannot give this one item as MIME (damaged, rights-protected): it stays in
                # the inbox, unmoved, for a person to open, and the rest of the page is read.
                log.warning("exchange item not readable as MIME; left in the inbox", extra=safe_fields(
                    event="exchange_item_unreadable", error_type=type(item).__name__))
                continue
            out.append(ExchangeMessage(str(item.id), item.changekey, item.message_id, item.datetime_received,
                                       raw if isinstance(raw, bytes) else str(raw).encode()))
        return out

    # -------------------------------------------------------------- after commit

    def processed_folder(self) -> Any:
        if self._processed is None:
            acct = self.account()
            root = self.call(lambda: acct.msg_folder_root)
            found = self._child(root, self.s.processed_folder)
            if found is None:
                # CreateFolder itself: Folder.save() would first walk every folder of the mailbox.
                made = self.call(lambda: list(CreateFolder(account=acct).call(
                    parent_folder=root, folders=[Folder(parent=root, name=self.s.processed_folder, folder_class="IPF.Note")])))
                if made and isinstance(made[0], Exception):
                    raise MailboxUnavailable(plain_reason(made[0]))
                found = made[0]
                log.info("exchange processed folder created", extra=safe_fields(event="exchange_folder_created"))
            self._processed = found
        return self._processed

    def mark_processed(self, item_id: str, changekey: str | None = None) -> None:
        """MoveItem to the processed folder; an item already gone (moved before a crash) is fine."""
        target = self.processed_folder()
        acct = self.account()
        results = self.call(lambda: list(acct.bulk_move(ids=[(item_id, changekey)], to_folder=target)))
        for r in results:
            if isinstance(r, ews.ErrorItemNotFound):
                continue
            if isinstance(r, Exception):
                raise MailboxUnavailable(plain_reason(r))

    # -------------------------------------------------------------- sending

    def send(self, msg: EmailMessage) -> str:
        """CreateItem with the whole MIME message, sent at once, so our Message-ID and threading survive."""
        if msg["Message-ID"] is None:
            msg["Message-ID"] = make_msgid()
        acct = self.account()
        item = Message(account=acct, mime_content=bytes(msg))
        try:
            self.call(lambda: item.send(save_copy=False))
        except MailboxUnavailable as exc:
            raise OSError(exc.detail) from exc
        return str(msg["Message-ID"])

    # -------------------------------------------------------------- waiting

    def wait(self, seconds: float, stop: Callable[[], bool]) -> None:
        from .imap import socket_wait

        socket_wait(seconds, stop)


def plain_reason(exc: BaseException) -> str:
    """What an IT team needs to know, in words, without the server's whole reply."""
    if isinstance(exc, requests.exceptions.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "the Exchange server's certificate is not trusted (set mailbox.ca_file to the council's CA)"
    if isinstance(exc, ews.UnauthorizedError):
        return "the Exchange server refused the user name or password (401): check mailbox.username and the secret"
    if isinstance(exc, (ews.ErrorAccessDenied, ews.ErrorImpersonateUserDenied)):
        return ("the Exchange server denied access to the mailbox (ErrorAccessDenied): give the service account "
                "Full Access to the panel mailbox, or the app ApplicationImpersonation scoped to it")
    if isinstance(exc, (ews.ErrorNonExistentMailbox, ews.ErrorInvalidSmtpAddress)):
        return "the Exchange server has no mailbox with that address (check mailbox.address)"
    if isinstance(exc, ews.ErrorFolderNotFound):
        return "the folder does not exist on the Exchange server (check mailbox.folder)"
    # exchangelib makes the server's own answers TransportErrors too; ErrorTimeoutExpired is its word for no answer
    if isinstance(exc, ews.ResponseMessageError) and not isinstance(exc, ews.ErrorTimeoutExpired):
        return f"the Exchange server answered {type(exc).__name__}: {str(exc)[:200]}"
    if isinstance(exc, (ews.TransportError, requests.ConnectionError, ConnectionError)):
        return "the Exchange server cannot be reached (check mailbox.service_endpoint or mailbox.server)"
    if isinstance(exc, (requests.Timeout, TimeoutError)):
        return "the Exchange server did not answer in time"
    return f"the Exchange server answered {type(exc).__name__}: {str(exc)[:200]}"


class ExchangeInbox:
    """The ``exchange`` backend (see ``base.Mailbox``): SyncFolderItems page by page, each page's
    sync state committed with its last submission; woken early by streaming notifications
    (``notifications``: starts them, given the wake-up event and ``stop``), and keeping the
    Exchange address book fresh (``address_book``: True when the staff directory was re-read)."""

    source = "exchange"
    relists_failed = False

    def __init__(self, mailbox: ExchangeMailbox, key: str, *, poll_seconds: float = 60.0,
                 notifications: Callable[[threading.Event, threading.Event], object] | None = None,
                 address_book: Callable[[ExchangeMailbox, datetime], bool] | None = None) -> None:
        self.mailbox = mailbox
        self.key: str | None = key
        self.poll_seconds = poll_seconds
        self.notifications = notifications
        self.address_book = address_book
        self.new_mail = threading.Event()

    def start(self, stop: threading.Event) -> None:
        def sleep(seconds: float) -> None:  # a throttling wait ends at once on SIGTERM
            stop.wait(seconds)

        self.mailbox.sleep = sleep
        if self.notifications is not None:
            self.notifications(self.new_mail, stop)

    def epoch(self) -> int | None:
        return None

    def new_items(self, since: Mark | None) -> Iterator[Batch[ExchangeMessage]]:
        for page in self.mailbox.pages(since.token if since is not None else None):
            messages = self.mailbox.fetch(page.ids)
            if messages:
                messages[-1] = replace(messages[-1], mark=Mark(token=page.sync_state))
            yield Batch(messages, token=page.sync_state)  # a page with nothing to commit moves on too

    def fetch(self, item: ExchangeMessage) -> Fetched:
        return Fetched(item.raw, item.received)

    def mark_processed(self, item: ExchangeMessage) -> None:
        self.mailbox.mark_processed(item.id, item.changekey)

    def mark_failed(self, item: ExchangeMessage, reason: str) -> None:
        pass  # a refused message stays in the panel folder, for a person to see

    def find(self, source_key: str | None, message_id: str) -> ExchangeMessage | None:
        return ExchangeMessage(source_key, None, message_id, None, b"") if source_key else None

    def prepare(self, now: datetime) -> bool:
        self.new_mail.clear()  # whatever it announced, this round's sync will find
        return self.address_book(self.mailbox, now) if self.address_book is not None else False

    def wait(self, stop: threading.Event) -> None:
        from .exchange_notify import wait_for_wake

        wait_for_wake(self.new_mail, stop, self.poll_seconds)

    def healthy(self) -> bool:
        return True

    def reset(self) -> None:
        self.mailbox.close()

    def close(self) -> None:
        self.mailbox.close()

    def describe(self) -> str:
        return f"reading {self.mailbox.s.address} on Exchange Server"


def exchange_mailbox(cfg: Config) -> ExchangeMailbox:
    """The EWS client for the panel mailbox: the inbox's and, with ``[outbox] backend =
    "exchange"``, the sender's."""
    from .secrets import read_secret

    m = exchange_settings(cfg)
    if m.auth == "oauth":
        secret = read_secret(m.client_secret_env, m.password_file, what="Exchange OAuth client secret")
        creds: Any = oauth_credentials(str(m.tenant_id), str(m.client_id), secret, str(m.address))
    else:
        creds = password_credentials(str(m.username), read_secret(m.password_env, m.password_file,
                                                                  what="Exchange password"))
    return ExchangeMailbox(ExchangeSettings(
        str(m.address), str(m.service_endpoint), auth=m.auth, folder="inbox" if m.folder.upper() == "INBOX" else m.folder,
        processed_folder=m.processed_folder.replace("/", "-"), version=m.exchange_version, ca_file=m.ca_file), creds)


def exchange_settings(cfg: Config) -> ExchangeConfig:
    if not isinstance(cfg.mailbox.settings, ExchangeConfig):
        raise ConfigError("mailbox.address: the panel mailbox's email address is required for backend = \"exchange\"")
    return cfg.mailbox.settings


def exchange_key(cfg: Config) -> str:
    return f"exchange:{exchange_settings(cfg).address}/{exchange_settings(cfg).folder}"


def open_inbox(cfg: Config, clock: object = None) -> ExchangeInbox:
    notifications = None
    if exchange_settings(cfg).notifications == "streaming":
        def notifications(wake: threading.Event, stop: threading.Event) -> object:
            from .exchange_notify import start_notifications

            return start_notifications(lambda: exchange_mailbox(cfg), wake, stop)

    return ExchangeInbox(exchange_mailbox(cfg), exchange_key(cfg), poll_seconds=cfg.mailbox.poll_seconds,
                         notifications=notifications,
                         address_book=partial(refresh_address_book, cfg) if cfg.directory_exchange_groups else None)


def refresh_address_book(cfg: Config, mailbox: ExchangeMailbox, now: datetime) -> bool:
    """Read the address book again when the copy is due; True when the staff directory changed.
    A failure never stops intake: the last good copy stays in use."""
    from datetime import timedelta

    from ..errors import CarepanelError
    from .exchange_directory import refresh

    try:
        return refresh(mailbox, cfg.data_dir, dict(cfg.directory_exchange_groups),
                       timedelta(hours=cfg.directory_refresh_hours), now)
    except (OSError, ValueError, CarepanelError) as exc:
        log.warning("staff directory refresh failed; keeping the last copy", extra=safe_fields(
            event="directory_refresh_failed", error_type=type(exc).__name__))
        return False


def check(cfg: Config) -> str:
    m = exchange_settings(cfg)
    box = exchange_mailbox(cfg)
    try:
        waiting = box.check()  # MailboxUnavailable says why, in words
        extra = _check_extras(cfg, box)
    finally:
        box.close()
    return (f"signed in to {m.service_endpoint} ({m.auth}); can read {m.address}'s {m.folder} "
            f"({waiting} messages in it) and file into {m.processed_folder.replace('/', '-')}" + extra)


def _check_extras(cfg: Config, box: ExchangeMailbox) -> str:
    """Whether streaming notifications are offered, and whether each address-book list in
    ``[directory] exchange_groups`` can be read."""
    from .exchange_notify import probe_streaming

    out = ""
    if exchange_settings(cfg).notifications == "streaming":
        refused = probe_streaming(box)
        out += ("; streaming notifications: available" if refused is None else
                f"; streaming notifications refused ({refused}): the service will poll every {cfg.mailbox.poll_seconds:g}s")
    if cfg.directory_exchange_groups:
        from .exchange_directory import count_members

        for role, address in cfg.directory_exchange_groups:
            counted = count_members(box, address)
            out += (f"; {role} list {address}: {counted} members" if isinstance(counted, int)
                    else f"; {role} list {address} NOT readable: {counted}")
    return out


def local_processed(cfg: Config) -> None:
    """Processed messages stay in a folder on the server, not on this machine."""
    return None
