"""Microsoft Graph change notifications: a webhook that wakes the delta round sooner.

Where the council can expose the web app at a public HTTPS URL (``mailbox.notification_url``,
ending in ``/graph/notifications``), the service subscribes to new messages in the panel
folder.  A notification carries no mail and is trusted for nothing: it only wakes the delta
round, and the delta query stays the source of truth, so a lost, late or forged notification
loses nothing.  Delta polling still runs, at ``notification_poll_seconds``.

- the subscription asks for 4,200 minutes, inside Graph's limit for Outlook messages (it was
  4,230 minutes; it is now under 7 days), and is renewed (``PATCH``) once less than a day is left;
  a subscription Graph no longer knows (404) is created again;
- the validation handshake (``?validationToken=``) is answered with the token as text/plain;
- a notification is heeded only if its ``clientState`` is our secret (compared in constant time);
- lifecycle notifications: ``reauthorizationRequired`` renews at once, ``subscriptionRemoved``
  creates the subscription again, ``missed`` runs a delta round.

The webhook and the mailbox loop run in one process (``carepanel run`` serves both), so the
wake-up is an in-process event; a web app run on its own leaves it to the next delta poll.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..logs import safe_fields
from .durable import make_dirs, write_atomic
from .base import MailboxUnavailable

log = logging.getLogger("carepanel.mailbox.graph_notify")
LIFETIME = timedelta(minutes=4200)
RENEW_BEFORE = timedelta(hours=24)


class Signals:
    """What the webhook tells the mailbox loop: mail may have arrived; renew; recreate."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.renew = threading.Event()
        self.recreate = threading.Event()


SIGNALS = Signals()  # shared by the web route and the loop in the same process


@dataclass(frozen=True)
class Answer:
    status: int
    body: str = ""
    content_type: str = "text/plain"


MAX_TOKEN = 2048  # Graph's validation tokens are a few hundred characters
MAX_BODY = 1024 * 1024  # a batch of notifications is a few kilobytes; anything bigger is not Graph


def handle(query: dict[str, str], body: bytes, client_state: str | None, signals: Signals = SIGNALS) -> Answer:
    """One request to the webhook: the validation handshake, or a batch of notifications."""
    if not client_state:  # notifications are not configured here: nothing to validate or heed
        return Answer(404)
    token = query.get("validationToken")
    if token is not None:  # echoed as plain text (nosniff); Graph gives us 10 seconds
        return Answer(200, token) if 0 < len(token) <= MAX_TOKEN else Answer(400)
    if len(body) > MAX_BODY:
        return Answer(413)
    try:
        items = json.loads(body or b"{}").get("value", [])
    except (ValueError, AttributeError):
        return Answer(400)
    heeded = 0
    for item in items if isinstance(items, list) else []:
        theirs = item.get("clientState") if isinstance(item, dict) else None
        if not isinstance(theirs, str) or not hmac.compare_digest(theirs.encode(), client_state.encode()):
            continue  # not ours, or forged: ignored
        heeded += 1
        event = item.get("lifecycleEvent")
        if event == "reauthorizationRequired":
            signals.renew.set()
        elif event == "subscriptionRemoved":
            signals.recreate.set()
        signals.wake.set()  # a new message, a missed batch, or a lifecycle event: run a delta round
    log.info("graph notifications", extra=safe_fields(event="graph_notified", count=heeded,
                                                      warnings=len(items) - heeded if isinstance(items, list) else 0))
    return Answer(202)


class Subscription:
    """Creates, renews and recreates the one subscription, remembered in a small file in
    data_dir (it holds only Graph's subscription id and its expiry)."""

    def __init__(self, mailbox: Any, notification_url: str, client_state: str, state_file: Path,
                 folder: str = "inbox") -> None:
        self.mailbox = mailbox
        self.url = notification_url
        self.client_state = client_state
        self.state_file = state_file
        self.folder = folder

    def _load(self) -> dict[str, str] | None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and "id" in data else None

    def _save(self, sub_id: str, expires: datetime) -> None:
        make_dirs(self.state_file.parent)
        write_atomic(self.state_file, json.dumps({"id": sub_id, "expires": expires.isoformat()}).encode())

    def _subscriptions_url(self) -> str:
        return f"{self.mailbox.s.base_url}/subscriptions"

    def ensure(self, now: datetime, signals: Signals = SIGNALS) -> str:
        """Create the subscription if there is none, renew it if it expires within a day (or
        Graph asked us to), create it again if Graph has lost it.  Returns its id."""
        saved = self._load()
        if saved is None or signals.recreate.is_set():
            signals.recreate.clear()
            return self.create(now)
        expires = datetime.fromisoformat(saved["expires"])
        if signals.renew.is_set() or expires - now < RENEW_BEFORE:
            signals.renew.clear()
            return self.renew(saved["id"], now)
        return saved["id"]

    def create(self, now: datetime) -> str:
        expires = now.astimezone(timezone.utc) + LIFETIME
        body = {"changeType": "created", "notificationUrl": self.url, "lifecycleNotificationUrl": self.url,
                "resource": f"users/{self.mailbox.s.mailbox}/mailFolders('{self.folder}')/messages",
                "expirationDateTime": _graph_time(expires), "clientState": self.client_state}
        resp = self.mailbox.request("POST", self._subscriptions_url(), json=body)
        data = resp.json()
        self._save(str(data["id"]), _parse(data.get("expirationDateTime")) or expires)
        log.info("graph subscription created", extra=safe_fields(event="graph_subscription_created"))
        return str(data["id"])

    def renew(self, sub_id: str, now: datetime) -> str:
        expires = now.astimezone(timezone.utc) + LIFETIME
        resp = self.mailbox.request("PATCH", f"{self._subscriptions_url()}/{sub_id}",
                                    json={"expirationDateTime": _graph_time(expires)}, allow=(404,))
        if resp.status_code == 404:  # Graph removed it (expired, or the app was re-consented): start again
            log.warning("graph subscription gone; creating it again", extra=safe_fields(event="graph_subscription_lost"))
            return self.create(now)
        self._save(sub_id, _parse(resp.json().get("expirationDateTime")) or expires)
        log.info("graph subscription renewed", extra=safe_fields(event="graph_subscription_renewed"))
        return sub_id


def keep_subscribed(sub: Subscription, now: datetime) -> None:
    """The loop's call: trouble with the subscription is logged, never fatal (polling goes on)."""
    try:
        sub.ensure(now)
    except MailboxUnavailable as exc:
        log.warning("graph subscription failed; polling only", extra=safe_fields(
            event="graph_subscription_failed", error_code=exc.code))
    except Exception as exc:  # noqa: BLE001 - a damaged state file or an odd answer must not stop the mailbox
        log.warning("graph subscription failed; polling only", extra=safe_fields(
            event="graph_subscription_failed", error_type=type(exc).__name__))
        with contextlib.suppress(OSError):
            sub.state_file.unlink()  # start afresh next time: a subscription is made again


def _graph_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        text = value.replace("Z", "+00:00")
        if "." in text:  # Graph sends seven decimal places; Python 3.11 reads up to six
            head, _, tail = text.partition(".")
            frac, sign, zone = tail.partition("+") if "+" in tail else (tail, "", "")
            text = f"{head}.{frac[:6]}{sign}{zone}"
        return datetime.fromisoformat(text)
    except ValueError:
        return None
