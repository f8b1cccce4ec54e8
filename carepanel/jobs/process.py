"""One message, end to end, in the order that keeps it safe.

    1. archive the raw bytes (content-addressed, fsynced)   nothing can be lost after this
    2. parse the MIME message                               a refusal is kept with its reason
    3. note it in the ledger                                every message seen is on record
    4. if already judged, return that submission            the same message twice is one
    5. judge it (intake.py, pure)
    6. commit submission + flags + queued notices           one transaction
Only after this returns does the caller move the mail or send anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..config import Config
from ..directory import Directory
from ..errors import CarepanelError, MessageError
from ..logs import safe_fields
from ..mailbox.archive import Archive
from ..mailbox.message import parse_message
from ..outputs import notices
from ..store import Store, StoredSubmission, Watermark
from ..pipeline.intake import IntakeContext, intake

log = logging.getLogger("carepanel.process")


TRANSIENT_RETRIES = 2  # tries after the first before a conversion LibreOffice hangs on is flagged


@dataclass(frozen=True)
class Outcome:
    """What became of one message: a submission, or a reason it has none (yet)."""

    sha256: str
    submission: StoredSubmission | None
    created: bool
    error: CarepanelError | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Processor:
    cfg: Config
    store: Store
    archive: Archive
    ctx: IntakeContext
    directory: Directory

    def process(self, raw: bytes, *, source: str, source_key: str | None = None,
                received_at: datetime | None = None, fallback_received_at: datetime | None = None,
                now: datetime, watermark: Watermark | None = None) -> Outcome:
        sha = self.archive.put(raw)
        try:
            message = parse_message(raw, received_at=received_at, max_bytes=self.cfg.limits.max_message_bytes,
                                    open_outlook=self.ctx.open_outlook)
        except MessageError as exc:
            self.store.note_message(sha, f"<{sha}@carepanel.invalid>", source, source_key, len(raw))
            self.store.note_failure(sha, exc.code or "unreadable_message", exc.detail, None, refused=True, watermark=watermark)
            log.warning("message refused", extra=safe_fields(event="message_refused", message_sha256=sha,
                                                             error_code=exc.code))
            return Outcome(sha, None, False, exc)
        entry = self.store.note_message(sha, message.message_id, source, source_key, len(raw))
        existing = self.store.submission_for_message(sha, message.message_id)
        if existing is not None:
            if entry.status != "processed" or watermark is not None:
                self.store.commit_submission_seen(sha, existing.id, watermark=watermark)
            log.info("message already judged", extra=safe_fields(event="duplicate", message_sha256=sha,
                                                                 submission_id=existing.id))
            return Outcome(sha, existing, False)
        when = message.received_at or fallback_received_at or now
        # A LibreOffice that hung or died is the machine's fault: the first tries leave the message
        # for a retry; after that the file is flagged, so a file that always hangs it is still seen.
        ctx = replace(self.ctx, retry_transient=entry.attempts < TRANSIENT_RETRIES)
        try:
            sub = intake(message, when, ctx)
            notice = (notices.acknowledgement(sub, message, self.cfg, self.directory)
                      or notices.outside_sender_notice(sub, message, self.cfg, self.directory))
        except Exception as exc:  # noqa: BLE001 - the one place a bug must not lose a message
            delay = self.backoff(entry.attempts)
            self.store.note_failure(sha, "processing_error", f"{type(exc).__name__}: {exc}", now + delay, watermark=watermark)
            log.exception("processing failed; will retry",
                          extra=safe_fields(event="processing_failed", message_sha256=sha,
                                            error_type=type(exc).__name__, attempt=entry.attempts + 1,
                                            delay_seconds=delay.total_seconds()))
            return Outcome(sha, None, False, CarepanelError(f"processing failed: {type(exc).__name__}",
                                                            code="processing_error"), now + delay)
        for att in message.attachments:
            self.archive.put(att.data, kind="blob")
        stored = self.store.commit_submission(sub, [notice.as_row()] if notice else [], watermark=watermark)
        log.info("submission stored", extra=safe_fields(
            event="submission_stored", message_sha256=sha, submission_id=sub.id, status=stored.status,
            flags=[f.code for f in sub.flags], panel_date=stored.panel_date))
        return Outcome(sha, stored, True)

    def backoff(self, attempts: int) -> timedelta:
        first = self.cfg.retry.first_delay_seconds
        return timedelta(seconds=min(self.cfg.retry.max_delay_seconds, first * (2 ** min(attempts, 20))))
