"""The running service: the mailbox loop, the processing and the mail sender.

One loop does the work, in one thread, so the store has one writer in this process, and it is
the same loop for every mailbox backend (``mailbox/base.py``, ``mailbox/registry.py``): sweep
the inbox, process what is new or due for retry, move what was committed, send what was
queued, then wait for new mail; on trouble, back off and sweep again.  A watcher thread (the
folder's file events, Exchange's streaming notifications) only wakes the loop.  A message is moved out of
the inbox only after its submission is committed; a message whose processing fails stays
in the inbox, on the ledger with its reason, and is retried with backoff.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from functools import partial
from datetime import date, datetime, timedelta
from types import FrameType
from typing import Any

from . import datadir
from .clock import Clock, system_clock
from .config import Config
from .profiles import forms_for
from .directory import Directory, directory_for
from .directory_watch import LiveDirectory
from .logs import safe_fields, setup_logging
from .pipeline.sender_proof import sender_proven
from .mailbox.archive import Archive
from .mailbox.base import Mailbox, MailboxUnavailable, Mark
from .mailbox.outbox import FolderOutbox, build_email, outgoing_message_id
from .office import Converter, LazyConverter
from .parsers.sandbox import SandboxedReader
from .pipeline.intake import IntakeContext
from .models import sha256_hex
from .jobs.process import Outcome, Processor
from .errors import CarepanelError, StoreError
from .mailbox.registry import backend as mailbox_backend
from .store import Store, Watermark

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
    # The staff directory kept current as its CSV changes (directory_watch.py), so a leaver's
    # address stops counting as a manager's sign-off without a restart; None: read once.
    live_directory: LiveDirectory | None = None

    # ------------------------------------------------------------------ intake

    def ingest_bytes(self, raw: bytes, *, source: str, source_key: str | None = None,
                     received_at: datetime | None = None, fallback_received_at: datetime | None = None) -> Outcome:
        outcome = self.processor.process(raw, source=source, source_key=source_key, received_at=received_at,
                                         fallback_received_at=fallback_received_at, now=self.clock())
        self.deliver_due()
        return outcome

    def sweep(self, mailbox: Mailbox[Any]) -> int:
        """One round of any backend: every new message archived, judged and committed (with its
        watermark), then moved on the server; each batch's sync token saved after the batch;
        messages whose processing failed retried.  The number of submissions committed."""
        done = 0
        for batch in mailbox.new_items(self._resume(mailbox)):
            for item in batch.items:
                done += self._take(mailbox, item)
            if batch.token is not None and mailbox.key is not None:
                self.store.set_sync_token(mailbox.key, batch.token)
        if not mailbox.relists_failed:
            done += self._retry_from_archive(mailbox)
        if mailbox.key is not None:
            self.store.mailbox_health(mailbox.key, ok=True)
        self.deliver_due()
        return done

    def _resume(self, mailbox: Mailbox[Any]) -> Mark | None:
        """The committed watermark to read on from; a renumbered mailbox (IMAP's UIDVALIDITY
        changed) is read again from the start, which the audit log records."""
        if mailbox.key is None:
            return None
        key = mailbox.key
        epoch = mailbox.epoch()
        state = self.store.mailbox_state(key)
        if epoch is not None:
            known = state.uidvalidity if state else None
            if known is not None and known != epoch:
                log.warning("mailbox renumbered; reading it again", extra=safe_fields(
                    event="uidvalidity_changed", backend=mailbox.source))
            if known != epoch:
                self.store.reset_watermark(key, epoch, previous=known)
                state = self.store.mailbox_state(key)
        if state is None:
            return None
        return Mark(int(state.uidvalidity or 0), int(state.last_uid or 0), state.token)

    def _take(self, mailbox: Mailbox[Any], item: Any) -> int:
        """One new message: 1 if its submission was committed (and the message moved)."""
        try:
            got = mailbox.fetch(item)
        except FileNotFoundError:
            return 0  # moved away between listing and reading
        except PermissionError:
            # Left as is, this one file would fail every sweep and stop all intake.
            self._refuse(mailbox, item, "the service's account may not read this file (permission denied)")
            return 0
        if not got.raw:
            self._refuse(mailbox, item, "the file is empty (0 bytes): no message arrived in it")
            return 0
        now = self.clock()
        if mailbox.relists_failed:  # listed again every sweep: the ledger says whether it is due
            entry = self.store.ledger_entry(sha256_hex(got.raw))
            if entry and entry.status == "failed" and entry.next_attempt_at and entry.next_attempt_at > now:
                return 0
            if entry and entry.status == "refused":
                mailbox.mark_failed(item, entry.error or "refused")
                return 0
        mark = item.mark
        watermark = None if mark is None or mailbox.key is None else Watermark(
            mailbox.key, mark.epoch, mark.position, token=mark.token)
        outcome = self.processor.process(got.raw, source=mailbox.source, source_key=item.source_key,
                                         fallback_received_at=got.received, now=now, watermark=watermark)
        if outcome.submission is not None:
            mailbox.mark_processed(item)
            self.deliver_due()  # answer each sender now, not after the whole batch
            return 1
        if outcome.retry_at is None and outcome.error is not None:
            mailbox.mark_failed(item, outcome.error.detail)
        return 0

    def _refuse(self, mailbox: Mailbox[Any], item: Any, reason: str) -> None:
        """A message that can never be read, filed as failed with its reason (not archived:
        there is nothing to keep); if even that is refused it stays, and health shows it waiting."""
        try:
            mailbox.mark_failed(item, reason)
        except OSError as exc:
            log.warning("unreadable message left in the mailbox", extra=safe_fields(
                event="message_unreadable", error_type=type(exc).__name__))

    def _retry_from_archive(self, mailbox: Mailbox[Any]) -> int:
        """Messages of a server mailbox whose processing failed (a LibreOffice that hung, a bug)
        come in no later round: each is judged again from its archived original once its backoff
        is over, and only then found and moved on the server."""
        done = 0
        for entry in self.store.retry_due(self.clock(), mailbox.source):
            outcome = self.processor.process(self.processor.archive.get(entry.sha256), source=mailbox.source,
                                             source_key=entry.source_key, now=self.clock())
            if outcome.submission is not None:
                found = mailbox.find(entry.source_key, entry.message_id)
                if found is not None:
                    mailbox.mark_processed(found)
                done += 1
        return done

    def refresh_directory(self) -> None:
        """Take up the staff directory as it is now, when it changed since the last round."""
        if self.live_directory is None:
            return
        current = self.live_directory.current()
        if current is not self.processor.directory:
            self.use_directory(current)

    def use_directory(self, directory: Directory) -> None:
        """A staff directory read again (the Exchange address book refreshed), for what comes next."""
        self.processor = replace(self.processor, directory=directory,
                                 ctx=replace(self.processor.ctx, directory=directory))

    # ------------------------------------------------------------------ papers out

    def send_due_papers(self) -> list[date]:
        """At papers-out time, build and send the pack of each panel whose papers are due.

        A failure is logged and tried again on the next loop; it never stops intake.
        """
        from .jobs import packs

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
        from .jobs import decisions

        now = self.clock()
        if self.deadlines_checked_at is not None and now - self.deadlines_checked_at < every:
            return []
        self.deadlines_checked_at = now
        from .jobs import packs

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


@contextmanager
def open_service(cfg: Config, clock: Clock = system_clock) -> Iterator[Service]:
    setup_logging(cfg.log_dir)
    store = Store(cfg.db_path, clock)
    directory = directory_for(cfg)
    reader = SandboxedReader(cfg.limits.reader_memory_mb, cfg.limits.parse_timeout_seconds + 10)
    office = LazyConverter(workers=1, timeout=cfg.pack.office_timeout_seconds)
    ctx = IntakeContext(cfg.profile, directory, cfg.limits, forms_for(cfg.learned_forms), reader, office.to_docx,
                        open_outlook=partial(reader.outlook, limits=cfg.limits),
                        sender_check=partial(sender_proven, backend=cfg.mailbox.backend, policy=cfg.unproven_sender))
    processor = Processor(cfg, store, Archive(cfg.archive_dir), ctx, directory)
    store.on_broken = partial(database_alarm, cfg, directory)
    try:
        yield Service(cfg, store, processor, clock, office=office)
    finally:
        reader.close()
        office.close()
        store.close()


def run_forever(cfg: Config, *, web: bool, host: str, port: int, echo: Callable[[str], None],
                stop: threading.Event | None = None, clock: Clock = system_clock) -> None:
    """Run until SIGTERM or Ctrl-C (or ``stop`` is set, for tests), alone on a local data directory.

    umask 077 first, so the logs and every file the service writes are private even without the
    systemd unit; then the data directory's lock (a second service refuses to start) and the
    check that it is not on a network share (datadir.py).
    """
    os.umask(0o077)
    warning = datadir.check_local(cfg.data_dir, cfg.network_data_dir)
    if warning:
        echo(f"carepanel: WARNING: {warning}")
        log.warning("data directory on a network file system", extra=safe_fields(event="network_data_dir"))
    lock = datadir.acquire(cfg.data_dir)
    try:
        _run_backend(cfg, web=web, host=host, port=port, echo=echo, stop=stop, clock=clock)
    finally:
        lock.release()


def _run_backend(cfg: Config, *, web: bool, host: str, port: int, echo: Callable[[str], None],
                 stop: threading.Event | None = None, clock: Clock = system_clock) -> None:
    """Whatever the backend: sweep, send what is due, wait for new mail; on any trouble (the
    server gone, the share unmounted, the database busy) back off and sweep again.  Nothing is
    skipped: a message leaves the inbox only after its commit, and reading resumes from the
    committed watermark."""
    stop = stop or threading.Event()
    mailbox = mailbox_backend(cfg.mailbox.backend).factory(cfg, clock)
    _on_signals(stop)
    with open_service(cfg, clock) as service:
        service.live_directory = LiveDirectory(cfg)
        mailbox.start(stop)
        echo(f"carepanel: {mailbox.describe()} for {cfg.profile.title} ({cfg.profile.name})"
             + (f"; mail out to {cfg.outbox.path}" if cfg.outbox.backend == "folder" else ""))
        server = _start_web(cfg, host, port, clock) if web else None
        if server is not None:
            echo(f"carepanel: web app on http://{host}:{port}/ (sign in at /login)")
        log.info("service started", extra=safe_fields(event="service_started", profile=cfg.profile.name,
                                                      backend=cfg.mailbox.backend))
        failures = 0
        while not stop.is_set():
            error = _one_round(cfg, service, mailbox, lambda: mailbox.wait(stop))
            if error is None:
                failures = 0
                continue
            failures += 1
            delay = backoff(failures)
            log.warning("mailbox unavailable; will retry" if isinstance(error, MailboxUnavailable)
                        else "sweep failed; will retry", extra=safe_fields(
                            event="mailbox_unavailable" if isinstance(error, MailboxUnavailable) else "sweep_failed",
                            backend=cfg.mailbox.backend, error_type=type(error).__name__, reason=_reason(error),
                            attempt=failures, delay_seconds=delay))
            stop.wait(timeout=delay)
        mailbox.close()
        if server is not None:
            server.should_exit = True
    log.info("service stopped", extra=safe_fields(event="service_stopped"))
    echo("carepanel: stopped")


def _one_round(cfg: Config, service: Service, mailbox: Mailbox[Any],
               wait: Callable[[], None]) -> CarepanelError | OSError | None:
    """Sweep the mailbox, do what is due, and wait for new mail; the trouble that stopped the
    round, if any (a connection dropped while waiting too), recorded for ``status`` and ``health``
    (where the store lets us: it may be the trouble)."""
    try:
        if mailbox.prepare(service.clock()):
            service.use_directory(directory_for(cfg))
        else:
            service.refresh_directory()
        service.sweep(mailbox)
        service.send_due_papers()
        service.check_deadlines()
        _heartbeat(cfg, mailbox, None)
        wait()
        return None
    except MailboxUnavailable as exc:
        mailbox.reset()
        with suppress(StoreError):
            if mailbox.key is not None:
                service.store.mailbox_health(mailbox.key, ok=False, error=exc.detail)
        return exc
    except (OSError, StoreError) as exc:
        # The inbox share unmounted, the disk full, the database locked by a backup...: nothing
        # is lost (mail stays in the inbox, the watermark where it was), so wait and sweep again.
        _heartbeat(cfg, mailbox, type(exc).__name__)
        return exc


def backoff(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: 4, 8, 16, ... at most five minutes."""
    return min(300.0, 2.0 * 2 ** min(failures, 8))


def _reason(exc: BaseException) -> str:
    """Why, in words for the log: a mailbox's own account (the server's answer, never message
    content); for anything else only the error's type, as library messages can quote documents."""
    return exc.detail if isinstance(exc, MailboxUnavailable) else type(exc).__name__


def refresh_exchange_directory(cfg: Config, service: Service, mailbox: Any) -> None:
    """Read the Exchange address book again when the copy is due (never stopping intake)."""
    if not cfg.directory_exchange_groups:
        return
    from .mailbox.exchange import refresh_address_book

    if refresh_address_book(cfg, mailbox, service.clock()):
        service.use_directory(directory_for(cfg))


def make_outbox(cfg: Config) -> Any:
    if cfg.outbox.backend == "graph":
        from .mailbox.graph import graph_mailbox

        return graph_mailbox(cfg)
    if cfg.outbox.backend == "exchange":
        from .mailbox.exchange import exchange_mailbox

        return exchange_mailbox(cfg)
    if cfg.outbox.backend == "smtp":
        from .mailbox.smtp import SmtpOutbox

        return SmtpOutbox(cfg.outbox)
    return FolderOutbox(cfg.outbox)


def database_alarm(cfg: Config, directory: Directory, why: str) -> None:
    """The database file was deleted or replaced under the service: say so everywhere, once.

    The store already refuses every write, so no mail is taken in or acknowledged.  The
    administrators are told by a message sent straight through the outbox, since the queue
    lives in the database that can no longer be trusted.
    """
    from .jobs import health

    log.critical("database file replaced under the service; intake stopped", extra=safe_fields(
        event="database_replaced"))
    health.note_database_problem(cfg, why)
    admins = [m.email for m in directory.with_role("administrator")]
    if not admins:
        return
    body = (f"carepanel has stopped taking in mail for the {cfg.profile.title}: {why}.\n\n"
            "Messages stay in the mailbox and nothing more is acknowledged. Stop the service, run\n"
            "'carepanel verify', restore from the last backup if it says so, and start it again\n"
            "(docs/ops.md, 'The database file replaced').\n")
    try:
        make_outbox(cfg).send(build_email(cfg.outbox.from_address, admins, [], "carepanel stopped: database file "
                                          "replaced", body))
    except (OSError, ValueError) as exc:
        log.error("could not tell the administrators", extra=safe_fields(
            event="database_alarm_send_failed", error_type=type(exc).__name__))


def _heartbeat(cfg: Config, mailbox: Mailbox[Any], error: str | None) -> None:
    """For ``carepanel status`` and ``/healthz`` (health.py): when the last sweep of the folder
    inbox ran, and how it went.  A server mailbox's health is its row in the store instead
    (``mailbox_health``), whose wait between rounds may be far longer than ``poll_seconds``."""
    if mailbox.key is not None:
        return
    from .jobs import health

    health.note_sweep(cfg, mailbox_ok=mailbox.healthy(), error=error)


def _start_web(cfg: Config, host: str, port: int, clock: Clock) -> Any:
    """The web app in a thread beside the mailbox loop; it shares nothing but the database."""
    import uvicorn

    from .web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(cfg, clock), host=host, port=port, log_config=None,
                                          access_log=False, server_header=False, proxy_headers=False))
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    return server


def _on_signals(stop: threading.Event) -> None:
    """SIGTERM and Ctrl-C set ``stop``; every backend's wait looks at it at least every second."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)

