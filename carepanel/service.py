"""The running service: the mailbox watcher, the processing loop and the mail sender.

One loop does the work, in one thread, so the store has one writer in this process:
sweep the inbox, process what is new or due for retry, move what was committed, then
send what was queued.  The watcher thread only wakes the loop.  A message is moved out of
the inbox only after its submission is committed; a message whose processing fails stays
in the inbox, on the ledger with its reason, and is retried with backoff.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from datetime import date, datetime, timedelta, timezone
from types import FrameType
from typing import Any

from . import parsers
from .clock import Clock, system_clock
from .config import Config
from .directory import Directory, directory_for
from .logs import safe_fields, setup_logging
from .mailbox.archive import Archive
from .mailbox.folder import FolderInbox, InboxItem, watch
from .mailbox.imap import ImapInbox, MailboxUnavailable
from .mailbox.outbox import FolderOutbox, build_email, outgoing_message_id
from .office import Converter, LazyConverter
from .parsers.sandbox import SandboxedReader
from .pipeline.intake import IntakeContext
from .pipeline.models import sha256_hex
from .pipeline.process import Outcome, Processor
from .errors import CarepanelError, StoreError
from .store import LedgerEntry, Store, Watermark

log = logging.getLogger("carepanel.service")


@dataclass
class Service:
    cfg: Config
    store: Store
    processor: Processor
    clock: Clock = system_clock
    papers_retry_at: dict[date, datetime] = field(default_factory=dict)
    papers_first_try: dict[date, datetime] = field(default_factory=dict)
    # The LibreOffice workers packs are converted on; None starts a converter for each build.
    pack_converter: Converter | None = None
    # The LibreOffice that reads old .doc/.odt/.rtf forms, started on first need.
    office: LazyConverter | None = None
    deadlines_checked_at: datetime | None = None

    # ------------------------------------------------------------------ intake

    def ingest_bytes(self, raw: bytes, *, source: str, source_key: str | None = None,
                     received_at: datetime | None = None, fallback_received_at: datetime | None = None) -> Outcome:
        outcome = self.processor.process(raw, source=source, source_key=source_key, received_at=received_at,
                                         fallback_received_at=fallback_received_at, now=self.clock())
        self.deliver_due()
        return outcome

    def sweep(self, inbox: FolderInbox) -> int:
        """Process every complete message in the inbox that is new or due for retry."""
        done = 0
        for item in inbox.pending():
            if self._handle(inbox, item):
                done += 1
                self.deliver_due()  # answer each sender now, not after the whole batch
        self.deliver_due()
        return done

    def _handle(self, inbox: FolderInbox, item: InboxItem) -> bool:
        try:
            raw = inbox.read(item)
        except FileNotFoundError:
            return False  # moved away between listing and reading
        entry = self.store.ledger_entry(sha256_hex(raw))
        now = self.clock()
        if entry and entry.status == "failed" and entry.next_attempt_at and entry.next_attempt_at > now:
            return False
        if entry and entry.status == "refused":
            inbox.mark_failed(item, entry.error or "refused")
            return False
        arrived = datetime.fromtimestamp(item.mtime, timezone.utc)
        outcome = self.processor.process(raw, source="folder", source_key=item.path.name,
                                         fallback_received_at=arrived, now=now)
        if outcome.submission is not None:
            inbox.mark_processed(item)
            return True
        if outcome.retry_at is None and outcome.error is not None:
            inbox.mark_failed(item, outcome.error.detail)
        return False

    # ------------------------------------------------------------------ a server mailbox

    def sweep_imap(self, inbox: ImapInbox, batch: int = 50) -> int:
        """Read on from the committed watermark; after each commit, file the message on the server."""
        inbox._c()
        state = self.store.mailbox_state(inbox.key)
        if state and state["uidvalidity"] is not None and state["uidvalidity"] != inbox.uidvalidity:
            log.warning("mailbox renumbered; reading it again", extra=safe_fields(event="uidvalidity_changed", backend="imap"))
            self.store.reset_watermark(inbox.key, int(inbox.uidvalidity or 0), previous=state["uidvalidity"])
            state = self.store.mailbox_state(inbox.key)
        after = int(state["last_uid"]) if state and state["uidvalidity"] == inbox.uidvalidity else 0
        if state is None or state["uidvalidity"] is None:
            self.store.reset_watermark(inbox.key, int(inbox.uidvalidity or 0), previous=None)
        done = 0
        for m in inbox.new_messages(after, limit=batch):
            outcome = self.processor.process(
                m.raw, source="imap", source_key=f"{m.uidvalidity}:{m.uid}", fallback_received_at=m.internal_date,
                now=self.clock(), watermark=Watermark(inbox.key, m.uidvalidity, m.uid))
            if outcome.submission is not None:
                inbox.mark_processed(m.uid)
                done += 1
                self.deliver_due()
            elif outcome.retry_at is None:
                inbox.mark_failed(m.uid)
        def move_imap(entry: LedgerEntry) -> None:
            uid = inbox.find_uid(entry.message_id)  # UIDs may have moved on: found by Message-ID
            if uid is not None:
                inbox.mark_processed(uid)

        done += self._retry_from_archive("imap", move_imap)
        self.store.mailbox_health(inbox.key, ok=True)
        self.deliver_due()
        return done

    def _retry_from_archive(self, source: str, move: Callable[[LedgerEntry], object]) -> int:
        """Messages of a server mailbox whose processing failed (a LibreOffice that hung, a bug)
        come in no later round: each is judged again from its archived original once its backoff
        is over, and only then moved on the server by ``move``."""
        done = 0
        for entry in self.store.retry_due(self.clock(), source):
            outcome = self.processor.process(self.processor.archive.get(entry.sha256), source=source,
                                             source_key=entry.source_key, now=self.clock())
            if outcome.submission is not None:
                move(entry)
                done += 1
        return done

    def sweep_graph(self, mailbox: Any, key: str) -> int:
        """One delta round: each new message archived, judged and committed, then moved on the
        server; the round's delta link saved last."""
        state = self.store.mailbox_state(key)
        messages, link = mailbox.messages(state["token"] if state else None)
        done = 0
        for m in messages:
            outcome = self.processor.process(m.raw, source="graph", source_key=m.id, fallback_received_at=m.received,
                                             now=self.clock())
            if outcome.submission is not None:
                mailbox.mark_processed(m.id)
                done += 1
                self.deliver_due()
        self.store.set_sync_token(key, link)
        done += self._retry_from_archive("graph", _move_by_source_key(mailbox))
        self.store.mailbox_health(key, ok=True)
        self.deliver_due()
        return done

    def sweep_exchange(self, mailbox: Any, key: str) -> int:
        """SyncFolderItems from the committed sync state, page by page: each new message archived,
        judged and committed, the page's last one together with the sync state the page ends on;
        then moved to the processed folder on the server."""
        state = self.store.mailbox_state(key)
        done = 0
        for page in mailbox.pages(state["token"] if state else None):
            messages = mailbox.fetch(page.ids)
            for i, m in enumerate(messages):
                mark = Watermark(key, 0, 0, token=page.sync_state) if i == len(messages) - 1 else None
                outcome = self.processor.process(m.raw, source="exchange", source_key=m.id,
                                                 fallback_received_at=m.received, now=self.clock(), watermark=mark)
                if outcome.submission is not None:
                    mailbox.mark_processed(m.id, m.changekey)
                    done += 1
                    self.deliver_due()
            self.store.set_sync_token(key, page.sync_state)  # a page with nothing to commit moves on too
        done += self._retry_from_archive("exchange", _move_by_source_key(mailbox))
        self.store.mailbox_health(key, ok=True)
        self.deliver_due()
        return done

    def use_directory(self, directory: Directory) -> None:
        """A staff directory read again (the Exchange address book refreshed), for what comes next."""
        self.processor = replace(self.processor, directory=directory,
                                 ctx=replace(self.processor.ctx, directory=directory))

    # ------------------------------------------------------------------ papers out

    def send_due_papers(self) -> list[date]:
        """At papers-out time, build and send the pack of each panel whose papers are due.

        A failure is logged and tried again on the next loop; it never stops intake.
        """
        from . import packs

        sent: list[date] = []
        if not self.cfg.pack.send_automatically:
            return sent
        now = self.clock()
        for day in packs.due_papers(self.cfg, self.store, now):
            if self.papers_retry_at.get(day, now) > now:
                continue
            first_try = self.papers_first_try.setdefault(day, now)
            settle = now >= first_try + timedelta(minutes=self.cfg.pack.retry_incomplete_minutes)
            try:
                result = packs.send(self.cfg, self.store, self.processor.archive, self.processor.directory, day,
                                    now=now, converter=self.pack_converter, settle_for_missing=settle)
                packs.tell_administrators(self.cfg, self.store, self.processor.directory, day, result)
                sent.append(day)
            except (CarepanelError, OSError) as exc:
                self.papers_retry_at[day] = now + timedelta(minutes=5)
                log.warning("papers-out failed; will retry", extra=safe_fields(
                    event="papers_out_failed", panel_date=day.isoformat(),
                    error_code=getattr(exc, "code", None) or type(exc).__name__))
        if sent:
            self.deliver_due()
        return sent

    def check_deadlines(self, every: timedelta = timedelta(minutes=10)) -> list[dict[str, object]]:
        """Warn the administrators of uploads due or missed and reviews not heard (each warning once)."""
        from . import decisions

        now = self.clock()
        if self.deadlines_checked_at is not None and now - self.deadlines_checked_at < every:
            return []
        self.deadlines_checked_at = now
        from . import packs

        warnings = decisions.check_deadlines(self.cfg, self.store, self.processor.directory, now)
        warnings += packs.agenda_warnings(self.cfg, self.store, self.processor.directory, now)
        if warnings:
            self.deliver_due()
        return warnings

    # ------------------------------------------------------------------ sending

    def deliver_due(self) -> int:
        sent = 0
        outbox = make_outbox(self.cfg)
        for item in self.store.due_outgoing(self.clock()):
            try:
                files = [(a["filename"], self.cfg.data_path(a["path"]).read_bytes(), a["mime"]) for a in item.attachments]
                msg = build_email(self.cfg.outbox.from_address, item.recipients.get("to", []),
                                  item.recipients.get("cc", []), item.subject, item.body,
                                  in_reply_to=item.in_reply_to, references=item.in_reply_to, attachments=files,
                                  message_id=outgoing_message_id(item.id, self.cfg.outbox.from_address))
                message_id = outbox.send(msg)
            except (OSError, ValueError) as exc:  # the mail server, the disk, or an unsendable item
                delay = self.processor.backoff(item.attempts)
                self.store.mark_send_failed(item.id, f"{type(exc).__name__}: {exc}", self.clock() + delay)
                log.warning("sending failed; will retry", extra=safe_fields(
                    event="send_failed", error_type=type(exc).__name__, delay_seconds=delay.total_seconds()))
                continue
            self.store.mark_sent(item.id, message_id)
            sent += 1
        return sent


def _move_by_source_key(mailbox: Any) -> Callable[[LedgerEntry], None]:
    """For Graph and Exchange, whose ledger keeps the server's own id of the message."""
    def move(entry: LedgerEntry) -> None:
        if entry.source_key:
            mailbox.mark_processed(entry.source_key)

    return move


@contextmanager
def open_service(cfg: Config, clock: Clock = system_clock) -> Iterator[Service]:
    setup_logging(cfg.log_dir)
    store = Store(cfg.db_path)
    directory = directory_for(cfg)
    reader = SandboxedReader(cfg.limits.reader_memory_mb, cfg.limits.parse_timeout_seconds + 10)
    office = LazyConverter(workers=1, timeout=cfg.pack.office_timeout_seconds)
    ctx = IntakeContext(cfg.profile, directory, cfg.limits, parsers.forms_for(cfg.learned_forms), reader, office.to_docx,
                        open_outlook=partial(reader.outlook, limits=cfg.limits))
    processor = Processor(cfg, store, Archive(cfg.archive_dir), ctx, directory)
    try:
        yield Service(cfg, store, processor, clock, office=office)
    finally:
        reader.close()
        office.close()
        store.close()


def run_forever(cfg: Config, *, web: bool, host: str, port: int, echo: Callable[[str], None],
                stop: threading.Event | None = None, clock: Clock = system_clock) -> None:
    """Run until SIGTERM or Ctrl-C (or ``stop`` is set, for tests)."""
    stop = stop or threading.Event()
    wake = threading.Event()
    _on_signals(stop, wake)
    if cfg.mailbox.backend == "exchange":
        _run_exchange(cfg, web=web, host=host, port=port, echo=echo, stop=stop, clock=clock)
        return
    if cfg.mailbox.backend == "graph":
        _run_graph(cfg, web=web, host=host, port=port, echo=echo, stop=stop, clock=clock)
        return
    if cfg.mailbox.backend == "imap":
        _run_imap(cfg, web=web, host=host, port=port, echo=echo, stop=stop, clock=clock)
        return
    inbox = FolderInbox(cfg.mailbox)
    watcher = threading.Thread(target=watch, args=(cfg.mailbox, wake.set, stop), name="inbox-watch", daemon=True)
    with open_service(cfg, clock) as service:
        watcher.start()
        echo(f"carepanel: watching {cfg.mailbox.path} for {cfg.profile.title} ({cfg.profile.name}); "
             f"mail out to {cfg.outbox.path}")
        server = _start_web(cfg, host, port, clock) if web else None
        if server is not None:
            echo(f"carepanel: web app on http://{host}:{port}/ (sign in at /login)")
        log.info("service started", extra=safe_fields(event="service_started", profile=cfg.profile.name,
                                                      backend=cfg.mailbox.backend))
        failures = 0
        while not stop.is_set():
            try:
                service.sweep(inbox)
                service.send_due_papers()
                service.check_deadlines()
                failures = 0
                _heartbeat(cfg, inbox, None)
            except (OSError, StoreError) as exc:
                # The inbox share unmounted, the disk full, the database locked by a backup...:
                # nothing is lost (mail stays in the inbox), so wait and sweep again.
                failures += 1
                delay = service.processor.backoff(failures).total_seconds()
                log.warning("sweep failed; will retry", extra=safe_fields(
                    event="sweep_failed", error_type=type(exc).__name__, delay_seconds=delay))
                _heartbeat(cfg, inbox, type(exc).__name__)
                stop.wait(timeout=delay)
            # A file still being copied in is looked at again as soon as it may have settled.
            wait = min(cfg.mailbox.poll_seconds, cfg.mailbox.settle_seconds) if inbox.settling else cfg.mailbox.poll_seconds
            wake.wait(timeout=wait)
            wake.clear()
        watcher.join(timeout=5)
        if server is not None:
            server.should_exit = True
    log.info("service stopped", extra=safe_fields(event="service_stopped"))
    echo("carepanel: stopped")


def _run_imap(cfg: Config, *, web: bool, host: str, port: int, echo: Callable[[str], None], stop: threading.Event,
              clock: Clock) -> None:
    """The loop for a server mailbox: read on, wait (IDLE), and on any connection trouble back off
    and reconnect; nothing is skipped, since reading resumes from the committed watermark."""
    inbox = ImapInbox(cfg.mailbox)
    with open_service(cfg, clock) as service:
        server = _start_web(cfg, host, port, clock) if web else None
        echo(f"carepanel: watching {cfg.mailbox.folder} on {cfg.mailbox.host} for {cfg.profile.title}")
        failures = 0
        while not stop.is_set():
            try:
                service.sweep_imap(inbox)
                service.send_due_papers()
                service.check_deadlines()
                failures = 0
                inbox.wait(cfg.mailbox.poll_seconds, stop.is_set)
            except MailboxUnavailable as exc:
                failures += 1
                service.store.mailbox_health(inbox.key, ok=False, error=exc.detail)
                delay = min(300.0, 2.0 * 2 ** min(failures, 8))
                log.warning("mailbox unavailable; will retry", extra=safe_fields(
                    event="mailbox_unavailable", backend="imap", attempt=failures, delay_seconds=delay))
                stop.wait(timeout=delay)
            except (OSError, StoreError) as exc:
                failures += 1
                log.warning("sweep failed; will retry", extra=safe_fields(event="sweep_failed", error_type=type(exc).__name__))
                stop.wait(timeout=min(300.0, 2.0 * 2 ** min(failures, 8)))
        inbox.close()
        if server is not None:
            server.should_exit = True
    echo("carepanel: stopped")


def _run_graph(cfg: Config, *, web: bool, host: str, port: int, echo: Callable[[str], None], stop: threading.Event,
               clock: Clock) -> None:
    """Delta polling every poll_seconds (change notifications need a public HTTPS endpoint that
    most councils will not open to a case-management server)."""
    mailbox = graph_mailbox(cfg)
    key = f"graph:{cfg.mailbox.address}/{cfg.mailbox.folder}"
    subscription = graph_subscription(cfg, mailbox)
    with open_service(cfg, clock) as service:
        server = _start_web(cfg, host, port, clock) if web else None
        echo(f"carepanel: reading {cfg.mailbox.address} through Microsoft Graph for {cfg.profile.title}")
        failures = 0
        while not stop.is_set():
            try:
                if subscription is not None:
                    from .mailbox.graph_notify import keep_subscribed

                    keep_subscribed(subscription, clock())
                service.sweep_graph(mailbox, key)
                service.send_due_papers()
                service.check_deadlines()
                failures = 0
                if subscription is None:
                    stop.wait(timeout=cfg.mailbox.poll_seconds)
                else:
                    _wait_for_notification(stop, cfg.mailbox.notification_poll_seconds)
            except MailboxUnavailable as exc:
                failures += 1
                service.store.mailbox_health(key, ok=False, error=exc.detail)
                stop.wait(timeout=min(300.0, 2.0 * 2 ** min(failures, 8)))
        mailbox.close()
        if server is not None:
            server.should_exit = True
    echo("carepanel: stopped")


def _run_exchange(cfg: Config, *, web: bool, host: str, port: int, echo: Callable[[str], None],
                  stop: threading.Event, clock: Clock) -> None:
    """SyncFolderItems every poll_seconds, and at once when a streaming notification says new
    mail has come (``mailbox.notifications``, exchange_notify.py); on trouble, back off and try
    again from the committed sync state, so nothing is skipped."""
    from .mailbox.exchange_notify import start_notifications, wait_for_wake

    mailbox = exchange_mailbox(cfg)
    mailbox.sleep = stop.wait  # a throttling wait ends at once on SIGTERM
    key = exchange_key(cfg)
    new_mail = threading.Event()
    with open_service(cfg, clock) as service:
        server = _start_web(cfg, host, port, clock) if web else None
        echo(f"carepanel: reading {cfg.mailbox.address} on Exchange Server for {cfg.profile.title}")
        if cfg.mailbox.notifications == "streaming":
            start_notifications(lambda: exchange_mailbox(cfg), new_mail, stop)
        failures = 0
        while not stop.is_set():
            try:
                new_mail.clear()  # whatever it announced, this round's sync will find
                refresh_exchange_directory(cfg, service, mailbox)
                service.sweep_exchange(mailbox, key)
                service.send_due_papers()
                service.check_deadlines()
                failures = 0
                wait_for_wake(new_mail, stop, cfg.mailbox.poll_seconds)
            except MailboxUnavailable as exc:
                failures += 1
                service.store.mailbox_health(key, ok=False, error=exc.detail)
                delay = min(300.0, 2.0 * 2 ** min(failures, 8))
                log.warning("mailbox unavailable; will retry", extra=safe_fields(
                    event="mailbox_unavailable", backend="exchange", attempt=failures, delay_seconds=delay))
                mailbox.close()
                stop.wait(timeout=delay)
            except (OSError, StoreError) as exc:
                failures += 1
                log.warning("sweep failed; will retry", extra=safe_fields(event="sweep_failed", error_type=type(exc).__name__))
                stop.wait(timeout=min(300.0, 2.0 * 2 ** min(failures, 8)))
        mailbox.close()
        if server is not None:
            server.should_exit = True
    echo("carepanel: stopped")


def refresh_exchange_directory(cfg: Config, service: Service, mailbox: Any) -> None:
    """Read the address book again when the copy is due (never stopping intake when it fails)."""
    if not cfg.directory_exchange_groups:
        return
    from .mailbox.exchange_directory import refresh

    try:
        if refresh(mailbox, cfg.data_dir, dict(cfg.directory_exchange_groups),
                   timedelta(hours=cfg.directory_refresh_hours), service.clock()):
            service.use_directory(directory_for(cfg))
    except (OSError, ValueError, CarepanelError) as exc:  # the last good copy stays in use
        log.warning("staff directory refresh failed; keeping the last copy", extra=safe_fields(
            event="directory_refresh_failed", error_type=type(exc).__name__))


def exchange_key(cfg: Config) -> str:
    return f"exchange:{cfg.mailbox.address}/{cfg.mailbox.folder}"


def exchange_mailbox(cfg: Config) -> Any:
    from .mailbox.exchange import ExchangeMailbox, ExchangeSettings, oauth_credentials, password_credentials
    from .mailbox.secrets import read_secret

    m = cfg.mailbox
    if m.auth == "oauth":
        secret = read_secret(m.client_secret_env, m.password_file, what="Exchange OAuth client secret")
        creds: Any = oauth_credentials(str(m.tenant_id), str(m.client_id), secret, str(m.address))
    else:
        creds = password_credentials(str(m.username), read_secret(m.password_env, m.password_file,
                                                                  what="Exchange password"))
    return ExchangeMailbox(ExchangeSettings(
        str(m.address), str(m.service_endpoint), auth=m.auth, folder="inbox" if m.folder.upper() == "INBOX" else m.folder,
        processed_folder=m.processed_folder.replace("/", "-"), version=m.exchange_version, ca_file=m.ca_file), creds)


def graph_subscription(cfg: Config, mailbox: Any) -> Any:
    """The change-notification subscription, where the council exposes a webhook URL."""
    if not cfg.mailbox.notification_url:
        return None
    from .mailbox.graph_notify import Subscription
    from .mailbox.secrets import read_secret

    secret = read_secret(cfg.mailbox.notification_secret_env, None, what="Graph notification clientState secret")
    folder = cfg.mailbox.folder if cfg.mailbox.folder != "INBOX" else "inbox"
    return Subscription(mailbox, cfg.mailbox.notification_url, secret, cfg.data_dir / "graph-subscription.json", folder)


def _wait_for_notification(stop: threading.Event, seconds: float) -> None:
    """Until a notification (or a lifecycle event) arrives, or the longer poll interval passes."""
    from .mailbox.graph_notify import SIGNALS

    deadline = seconds
    while deadline > 0 and not stop.is_set():
        if SIGNALS.wake.wait(timeout=min(1.0, deadline)):
            break
        deadline -= 1.0
    SIGNALS.wake.clear()


def graph_mailbox(cfg: Config) -> Any:
    from .mailbox.graph import GraphMailbox, GraphSettings, msal_token_provider
    from .mailbox.secrets import read_secret

    m = cfg.mailbox
    secret = read_secret(m.client_secret_env, m.password_file, what="Graph client secret")
    return GraphMailbox(GraphSettings(str(m.address), folder=m.folder if m.folder != "INBOX" else "inbox",
                                      processed_folder=m.processed_folder.replace("/", "-"), base_url=m.graph_url),
                        msal_token_provider(str(m.tenant_id), str(m.client_id), secret))


def make_outbox(cfg: Config) -> Any:
    if cfg.outbox.backend == "graph":
        return graph_mailbox(cfg)
    if cfg.outbox.backend == "exchange":
        return exchange_mailbox(cfg)
    if cfg.outbox.backend == "smtp":
        from .mailbox.smtp import SmtpOutbox

        return SmtpOutbox(cfg.outbox)
    return FolderOutbox(cfg.outbox)
def _heartbeat(cfg: Config, inbox: FolderInbox, error: str | None) -> None:
    """For ``carepanel status`` and ``/healthz`` (health.py): when the last sweep ran, and how it went."""
    from . import health

    health.note_sweep(cfg, mailbox_ok=inbox.path.is_dir(), error=error)


def _start_web(cfg: Config, host: str, port: int, clock: Clock) -> Any:
    """The web app in a thread beside the mailbox loop; it shares nothing but the database."""
    import uvicorn

    from .web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(cfg, clock), host=host, port=port, log_config=None,
                                          access_log=False, server_header=False, proxy_headers=False))
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    return server


def _on_signals(stop: threading.Event, wake: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)

