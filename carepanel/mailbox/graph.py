"""The ``graph`` backend: the panel mailbox in Exchange Online through Microsoft Graph.

An app registration with client credentials (``msal``) and application permissions that the
council's Exchange admin confines to the panel mailbox alone (RBAC for Applications).  New mail
is found with a delta query on the folder; each message is fetched as its raw MIME (``$value``)
so the archive keeps exactly what arrived, attached items and all; after its submission is
committed it is moved to the processed folder.  Outgoing mail goes through ``sendMail`` as MIME,
keeping our stable Message-ID.  Throttling (429/503 with Retry-After) is waited out; an expired
token is renewed once; an expired delta link (410) starts a fresh round, and what was already
processed is recognised by hash and Message-ID.

The delta link is saved after each round.  A crash mid-round replays the round from the last
saved link, which is safe for the same reason.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import quote

import httpx

from ..config import Config, GraphConfig
from ..errors import ConfigError
from ..logs import safe_fields
from .base import Batch, Fetched, MailboxUnavailable, Mark

log = logging.getLogger("carepanel.mailbox.graph")
GRAPH = "https://graph.microsoft.com/v1.0"
TokenProvider = Callable[[bool], str]  # force_refresh -> bearer token


@dataclass(frozen=True)
class GraphSettings:
    mailbox: str  # the panel mailbox's address (the user whose mail is read)
    folder: str = "inbox"  # a well-known name or a folder id
    processed_folder: str = "carepanel-processed"
    base_url: str = GRAPH
    max_retries: int = 5
    max_wait_seconds: float = 120.0


@dataclass(frozen=True)
class GraphMessage:
    id: str
    internet_message_id: str | None
    received: datetime | None
    raw: bytes


def msal_token_provider(tenant_id: str, client_id: str, client_secret: str,
                        authority_host: str = "https://login.microsoftonline.com") -> TokenProvider:
    """Client-credentials tokens for Graph, cached and renewed by MSAL."""
    import msal

    app = msal.ConfidentialClientApplication(client_id, authority=f"{authority_host}/{tenant_id}",
                                             client_credential=client_secret)

    def token(force: bool) -> str:
        if force and hasattr(app, "remove_tokens_for_client"):
            app.remove_tokens_for_client()  # the cached token was refused: ask for a new one
        result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        if "access_token" not in result:
            raise MailboxUnavailable(f"Entra ID refused the app's credentials: {result.get('error_description', result.get('error'))}")
        return str(result["access_token"])

    return token


class GraphMailbox:
    def __init__(self, settings: GraphSettings, token: TokenProvider, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not settings.mailbox or "@" not in settings.mailbox:
            raise ConfigError("mailbox.address: the panel mailbox's email address is required for backend = \"graph\"")
        self.s = settings
        self.token = token
        self.sleep = sleep
        self.http = httpx.Client(timeout=60.0, transport=transport, follow_redirects=False)
        self._bearer: str | None = None
        self._processed_id: str | None = None

    def close(self) -> None:
        self.http.close()

    # -------------------------------------------------------------- requests

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.s.base_url}/users/{quote(self.s.mailbox)}{path}"

    def request(self, method: str, path: str, *, allow: tuple[int, ...] = (), **kw: Any) -> httpx.Response:
        """One call, with throttling waited out and one token renewal on 401; a status in
        ``allow`` is returned to the caller rather than raised."""
        renewed = False
        for attempt in range(self.s.max_retries + 1):
            if self._bearer is None:
                self._bearer = self.token(False)
            headers = {"Authorization": f"Bearer {self._bearer}", **kw.pop("headers", {})}
            try:
                resp = self.http.request(method, self._url(path), headers=headers, **kw)
            except httpx.HTTPError as exc:
                raise MailboxUnavailable(f"Microsoft Graph cannot be reached ({type(exc).__name__})") from exc
            if resp.status_code == 401 and not renewed:
                self._bearer = self.token(True)
                renewed = True
                continue
            if resp.status_code in (429, 503, 504) and attempt < self.s.max_retries:
                wait = min(self.s.max_wait_seconds, float(resp.headers.get("Retry-After", 2 ** attempt)))
                log.info("graph throttled; waiting", extra=safe_fields(event="graph_throttled", delay_seconds=wait))
                self.sleep(wait)
                continue
            if resp.status_code >= 400 and resp.status_code != 410 and resp.status_code not in allow:
                raise MailboxUnavailable(_error_text(resp))
            return resp
        raise MailboxUnavailable("Microsoft Graph kept throttling the app; will try again later")

    # -------------------------------------------------------------- reading

    def changes(self, delta_link: str | None) -> tuple[list[str], str]:
        """The ids of messages added since ``delta_link`` (all, on a first round), and the new link."""
        url = delta_link or f"/mailFolders/{self.s.folder}/messages/delta?$select=id,internetMessageId,receivedDateTime"
        ids: list[str] = []
        while True:
            resp = self.request("GET", url, headers={"Prefer": "odata.maxpagesize=50"})
            if resp.status_code == 410:  # the sync state expired: start a new round
                log.warning("graph delta link expired; starting again", extra=safe_fields(event="graph_delta_reset"))
                return self.changes(None)
            page = resp.json()
            ids += [m["id"] for m in page.get("value", []) if "@removed" not in m]
            if "@odata.nextLink" in page:
                url = page["@odata.nextLink"]
                continue
            return ids, str(page["@odata.deltaLink"])

    def fetch(self, message_id: str) -> GraphMessage:
        meta = self.request("GET", f"/messages/{message_id}?$select=internetMessageId,receivedDateTime").json()
        raw = self.request("GET", f"/messages/{message_id}/$value").content
        received = meta.get("receivedDateTime")
        return GraphMessage(message_id, meta.get("internetMessageId"),
                            datetime.fromisoformat(received.replace("Z", "+00:00")) if received else None, raw)

    def messages(self, delta_link: str | None) -> tuple[Iterator[GraphMessage], str]:
        ids, link = self.changes(delta_link)
        return (self.fetch(i) for i in ids), link

    # -------------------------------------------------------------- after commit

    def processed_folder_id(self) -> str:
        if self._processed_id is None:
            name = self.s.processed_folder
            found = self.request("GET", f"/mailFolders?$filter=displayName eq '{name}'").json().get("value", [])
            if found:
                self._processed_id = str(found[0]["id"])
            else:
                self._processed_id = str(self.request("POST", "/mailFolders", json={"displayName": name}).json()["id"])
        return self._processed_id

    def mark_processed(self, message_id: str) -> None:
        self.request("POST", f"/messages/{message_id}/move", json={"destinationId": self.processed_folder_id()})

    # -------------------------------------------------------------- sending

    def send(self, msg: EmailMessage) -> str:
        """sendMail with the whole MIME message, so our Message-ID and threading survive."""
        if msg["Message-ID"] is None:
            msg["Message-ID"] = make_msgid()
        body = base64.b64encode(bytes(msg))
        try:
            self.request("POST", "/sendMail", content=body, headers={"Content-Type": "text/plain"})
        except MailboxUnavailable as exc:
            raise OSError(exc.detail) from exc
        return str(msg["Message-ID"])


def _error_text(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error", {})
        code, message = err.get("code", ""), err.get("message", "")
    except ValueError:
        code, message = "", resp.text[:200]
    if resp.status_code == 403 or code in ("ErrorAccessDenied", "Authorization_RequestDenied"):
        return ("Microsoft Graph refused access to the mailbox: check the app's Mail.ReadWrite and Mail.Send "
                "application permissions and the Exchange RBAC scope for the panel mailbox")
    if resp.status_code == 404 or code == "ErrorItemNotFound":
        return f"Microsoft Graph could not find it ({code or resp.status_code}): check mailbox.address and mailbox.folder"
    return f"Microsoft Graph answered {resp.status_code} {code}: {message[:200]}"


@dataclass(frozen=True)
class GraphItem:
    """A new message in a delta round: its Graph id; the bytes are fetched one at a time."""

    id: str

    @property
    def source_key(self) -> str:
        return self.id

    @property
    def mark(self) -> Mark | None:
        return None  # the round's delta link is saved after the round (``Batch.token``)


class GraphInbox:
    """The ``graph`` backend (see ``base.Mailbox``): delta rounds on the panel folder, woken by
    change notifications where the council exposes a webhook (``graph_notify``), else polled."""

    source = "graph"
    relists_failed = False

    def __init__(self, mailbox: GraphMailbox, key: str, *, poll_seconds: float = 60.0,
                 subscription: Any = None, notification_poll_seconds: float = 900.0) -> None:
        self.mailbox = mailbox
        self.key: str | None = key
        self.poll_seconds = poll_seconds
        self.subscription = subscription
        self.notification_poll_seconds = notification_poll_seconds

    def start(self, stop: threading.Event) -> None:
        pass

    def epoch(self) -> int | None:
        return None

    def new_items(self, since: Mark | None) -> Iterator[Batch[GraphItem]]:
        ids, link = self.mailbox.changes(since.token if since is not None else None)
        yield Batch([GraphItem(i) for i in ids], token=link)

    def fetch(self, item: GraphItem) -> Fetched:
        m = self.mailbox.fetch(item.id)
        return Fetched(m.raw, m.received)

    def mark_processed(self, item: GraphItem) -> None:
        self.mailbox.mark_processed(item.id)

    def mark_failed(self, item: GraphItem, reason: str) -> None:
        pass  # a refused message stays in the panel folder, for a person to see

    def find(self, source_key: str | None, message_id: str) -> GraphItem | None:
        return GraphItem(source_key) if source_key else None

    def prepare(self, now: datetime) -> bool:
        if self.subscription is not None:
            from .graph_notify import keep_subscribed

            keep_subscribed(self.subscription, now)
        return False

    def wait(self, stop: threading.Event) -> None:
        """The next delta round: when a notification comes (or the longer poll passes), or
        every ``poll_seconds`` without notifications."""
        if self.subscription is None:
            stop.wait(timeout=self.poll_seconds)
            return
        from .graph_notify import SIGNALS

        deadline = self.notification_poll_seconds
        while deadline > 0 and not stop.is_set():
            if SIGNALS.wake.wait(timeout=min(1.0, deadline)):
                break
            deadline -= 1.0
        SIGNALS.wake.clear()

    def healthy(self) -> bool:
        return True

    def reset(self) -> None:
        pass  # httpx opens a fresh connection by itself

    def close(self) -> None:
        self.mailbox.close()

    def describe(self) -> str:
        return f"reading {self.mailbox.s.mailbox} through Microsoft Graph"


def graph_mailbox(cfg: Config) -> GraphMailbox:
    """The Graph client for the panel mailbox: the inbox's and, with ``[outbox] backend =
    "graph"``, the sender's."""
    from .secrets import read_secret

    m = graph_settings(cfg)
    secret = read_secret(m.client_secret_env, m.password_file, what="Graph client secret")
    return GraphMailbox(GraphSettings(str(m.address), folder=graph_folder(cfg),
                                      processed_folder=m.processed_folder.replace("/", "-"), base_url=m.graph_url),
                        msal_token_provider(str(m.tenant_id), str(m.client_id), secret))


def graph_settings(cfg: Config) -> GraphConfig:
    if not isinstance(cfg.mailbox.settings, GraphConfig):
        raise ConfigError("mailbox.address: the panel mailbox's email address is required for backend = \"graph\"")
    return cfg.mailbox.settings


def graph_folder(cfg: Config) -> str:
    folder = graph_settings(cfg).folder
    return folder if folder != "INBOX" else "inbox"


def graph_subscription(cfg: Config, mailbox: GraphMailbox) -> Any:
    """The change-notification subscription, where the council exposes a webhook URL."""
    m = graph_settings(cfg)
    if not m.notification_url:
        return None
    from .graph_notify import Subscription
    from .secrets import read_secret

    secret = read_secret(m.notification_secret_env, None, what="Graph notification clientState secret")
    return Subscription(mailbox, m.notification_url, secret, cfg.data_dir / "graph-subscription.json",
                        graph_folder(cfg))


def graph_key(cfg: Config) -> str:
    return f"graph:{graph_settings(cfg).address}/{graph_settings(cfg).folder}"


def open_inbox(cfg: Config, clock: object = None) -> GraphInbox:
    mailbox = graph_mailbox(cfg)
    return GraphInbox(mailbox, graph_key(cfg), poll_seconds=cfg.mailbox.poll_seconds,
                      subscription=graph_subscription(cfg, mailbox),
                      notification_poll_seconds=graph_settings(cfg).notification_poll_seconds)


def check(cfg: Config) -> str:
    m = graph_settings(cfg)
    box = graph_mailbox(cfg)
    try:
        folder = graph_folder(cfg)
        count = box.request("GET", f"/mailFolders/{folder}?$select=totalItemCount").json().get("totalItemCount")
        box.processed_folder_id()
    finally:
        box.close()
    return (f"signed in to Microsoft Graph; can read {m.address}'s {folder} ({count} messages in it) "
            f"and file into {m.processed_folder.replace('/', '-')}")


def local_processed(cfg: Config) -> None:
    """Processed messages stay in a folder on the server, not on this machine."""
    return None
