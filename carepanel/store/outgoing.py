"""Outgoing mail: queued in the transaction that decides it, sent later by the service, retried
with backoff; never sent from a database file that is no longer the one on disk.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .audit import AuditMixin
from .rows import MailSent, Outgoing


class OutgoingMixin(AuditMixin):
    """The ``outgoing`` table: the queue of mail to send."""

    def _queue_outgoing(self, item: dict[str, Any]) -> None:
        self.db.table("outgoing").insert({
            "id": item["id"], "kind": item["kind"], "submission_id": item.get("submission_id"),
            "recipients": json.dumps(item["recipients"]), "subject": item["subject"], "body": item["body"],
            "in_reply_to": item.get("in_reply_to"), "status": "pending", "created_at": self._now(),
            "attachments": json.dumps(item["attachments"]) if item.get("attachments") else None,
        }, ignore=True)

    def queue_outgoing(self, items: list[dict[str, Any]], actor: str = "carepanel") -> None:
        """Mail to send that no submission commit carries (packs, slot times, notices)."""
        with self.transaction():
            for item in items:
                self._queue_outgoing(item)
                self._audit(actor, "mail_queued", "outgoing", item["id"], item["kind"], None)

    def due_outgoing(self, now: datetime) -> list[Outgoing]:
        self.ensure_intact()  # never send what may exist only in an orphaned file
        rows = self.conn.execute(
            "SELECT id, kind, submission_id, recipients, subject, body, in_reply_to, attempts, attachments FROM outgoing"
            " WHERE status IN ('pending', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at",
            (now.isoformat(),),
        ).fetchall()
        return [Outgoing(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7], tuple(json.loads(r[8] or "[]")))
                for r in rows]

    def mark_sent(self, outgoing_id: str, sent_message_id: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE outgoing SET status = 'sent', sent_at = ?, sent_message_id = ?, error = NULL WHERE id = ?",
                (self._now(), sent_message_id, outgoing_id),
            )
            self._audit("carepanel", "mail_sent", "outgoing", outgoing_id, None, None)

    def mark_send_failed(self, outgoing_id: str, error: str, next_attempt_at: datetime) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE outgoing SET status = 'failed', attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE id = ?",
                (error[:2000], next_attempt_at.isoformat(), outgoing_id),
            )

    def outgoing_for(self, submission_id: str) -> list[MailSent]:
        rows = self.conn.execute(
            "SELECT id, kind, status, recipients, subject FROM outgoing WHERE submission_id = ? ORDER BY created_at",
            (submission_id,),
        ).fetchall()
        return [MailSent(id=r[0], kind=r[1], status=r[2], recipients=json.loads(r[3]), subject=r[4]) for r in rows]
