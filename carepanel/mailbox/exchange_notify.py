"""EWS streaming notifications for the exchange backend: they only wake the sync round.

``SyncFolderItems`` from the committed sync state stays the one source of truth: a notification
carries no mail, it only makes the loop sync now instead of at the next ``poll_seconds``.  So a
notification lost (a dropped stream, a missed event, a restart) loses nothing: the periodic
sync still finds the message, only later.

A daemon thread subscribes to the folder (``Subscribe`` with a ``StreamingSubscriptionRequest``,
Exchange 2010 SP1 and later) and reads ``GetStreamingEvents``; a ``NewMailEvent`` or
``CreatedEvent`` sets the loop's wake event.  When the server ends a stream
(``ConnectionStatus`` ``Closed``, normal after ``connection_timeout`` minutes) the thread asks
again at once; a stream that drops or ends early is asked again with backoff.  A subscription
the server no longer knows (``ErrorSubscriptionNotFound``, expired, unsubscribed) is made again.
A server that refuses streaming (an older version: ``ErrorInvalidServerVersion``,
``ErrorInvalidRequest``, a schema error) leaves the loop polling, and that is logged once, by
its code.  Pull notifications are not used: where streaming is refused, polling with
``SyncFolderItems`` costs the server about what ``GetEvents`` would.

The thread has its own ``Account`` (its stream holds one HTTP connection for minutes) and is
never joined on shutdown: it may sit in a socket read until the server next writes, so the
service stops without waiting for it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from exchangelib import errors as ews  # type: ignore[import-untyped]

from ..logs import safe_fields
from .exchange import ExchangeMailbox
from .base import MailboxUnavailable

log = logging.getLogger("carepanel.mailbox.exchange")

WAKE_EVENTS = frozenset({"NewMailEvent", "CreatedEvent"})
SUBSCRIBED_EVENTS = ["NewMailEvent", "CreatedEvent"]
# The server does not do streaming notifications (or not for us): poll instead.
REFUSED = (ews.ErrorInvalidServerVersion, ews.ErrorInvalidRequest, ews.ErrorInvalidSchemaVersionForMailboxVersion,
           ews.ErrorIncorrectSchemaVersion, ews.ErrorSchemaValidation, ews.ErrorInvalidSubscriptionRequest,
           ews.ErrorSubscriptionDelegateAccessNotSupported, ews.ErrorSubscriptionAccessDenied)
# The subscription is gone on the server: make a new one.
GONE = (ews.ErrorSubscriptionNotFound, ews.ErrorInvalidSubscription, ews.ErrorExpiredSubscription,
        ews.ErrorSubscriptionUnsubsribed, ews.ErrorMissedNotificationEvents, ews.ErrorNewEventStreamConnectionOpened)


class StreamingWaker:
    def __init__(self, mailbox: ExchangeMailbox, wake: threading.Event, stop: threading.Event, *,
                 connection_timeout_minutes: int = 29, quick_close_seconds: float = 5.0,
                 max_backoff_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.mailbox = mailbox
        self.wake = wake
        self.stop = stop
        self.connection_timeout = connection_timeout_minutes  # Exchange allows 1 to 30
        self.quick_close = quick_close_seconds
        self.max_backoff = max_backoff_seconds
        self.clock = clock
        self.mode = "streaming"  # "poll" once the server has refused streaming
        self.subscription: str | None = None
        # The first subscription is made while the first round runs; mail that slips in between
        # that round's sync and the subscription waits for the periodic sync.
        self.subscribed_before = False
        self.thread = threading.Thread(target=self.run, name="exchange-notify", daemon=True)

    def start(self) -> StreamingWaker:
        self.thread.start()
        return self

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - whatever it was, polling goes on without us
            self.mode = "poll"
            log.error("exchange notifications stopped; polling", extra=safe_fields(
                event="exchange_notifications_failed", error_type=type(exc).__name__))

    def _run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            started = self.clock()
            try:
                if self.subscription is None:
                    self.subscription = self._subscribe()
                self._stream(self.subscription)
                if self.clock() - started >= self.quick_close:
                    failures = 0
                    continue  # the server ended a full-length stream: ask again at once
                reason = "closed_early"
            except REFUSED as exc:
                self._give_up(exc)
                return
            except GONE as exc:
                self.subscription = None
                reason = type(exc).__name__
            except (ews.EWSError, requests.RequestException, OSError, MailboxUnavailable) as exc:
                reason = type(exc).__name__
            failures += 1
            delay = min(self.max_backoff, 2.0 ** min(failures, 9) / 2)
            log.info("exchange stream ended; reconnecting", extra=safe_fields(
                event="exchange_stream_reconnect", error_type=reason, attempt=failures, delay_seconds=delay))
            self.stop.wait(timeout=delay)
        self._unsubscribe()

    def _subscribe(self) -> str:
        folder = self.mailbox.folder()
        sub = str(folder.subscribe_to_streaming(event_types=SUBSCRIBED_EVENTS))
        log.info("exchange streaming subscription made", extra=safe_fields(event="exchange_subscribed"))
        if self.subscribed_before:
            self.wake.set()  # mail may have come while there was no subscription
        self.subscribed_before = True
        return sub

    def _stream(self, subscription: str) -> None:
        folder = self.mailbox.folder()
        for notification in folder.get_streaming_events(subscription, connection_timeout=self.connection_timeout):
            if isinstance(notification, Exception):
                raise notification
            if any(type(e).__name__ in WAKE_EVENTS for e in notification.events or ()):
                self.wake.set()
            if self.stop.is_set():
                return

    def _give_up(self, exc: BaseException) -> None:
        self.mode = "poll"
        self.subscription = None
        log.warning("exchange streaming notifications refused; polling", extra=safe_fields(
            event="exchange_streaming_refused", error_code=type(exc).__name__))

    def _unsubscribe(self) -> None:
        if self.subscription is None:
            return
        with contextlib.suppress(Exception):  # it lapses on the server by itself within 30 minutes
            self.mailbox.folder().unsubscribe(self.subscription)
        self.subscription = None


def probe_streaming(mailbox: ExchangeMailbox) -> str | None:
    """For ``carepanel mailbox check``: subscribe and unsubscribe at once.  None when the server
    offers streaming notifications, else the code it refused them with."""
    folder = mailbox.folder()
    try:
        sub = folder.subscribe_to_streaming(event_types=SUBSCRIBED_EVENTS)
    except (ews.EWSError, requests.RequestException, OSError) as exc:
        return type(exc).__name__
    with contextlib.suppress(ews.EWSError, requests.RequestException, OSError):
        folder.unsubscribe(sub)
    return None


def wait_for_wake(wake: threading.Event, stop: threading.Event, seconds: float) -> bool:
    """Until a notification wakes us, ``stop`` is set, or ``seconds`` pass (the periodic sync);
    a second at a time, so SIGTERM is seen at once.  True when a notification woke us."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if wake.wait(timeout=min(1.0, left)):
            return True
    return False


def start_notifications(make_mailbox: Callable[[], Any], wake: threading.Event,
                        stop: threading.Event) -> StreamingWaker:
    return StreamingWaker(make_mailbox(), wake, stop).start()
