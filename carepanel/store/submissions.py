"""Submissions: a judged form stored with its flags and attachments, superseding an earlier form
for the same children and panel, with its notices queued and its message marked processed, all
in one transaction; and the reads of submissions (by id, by status and panel, the queue).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from ..pipeline.identity import same_children
from ..models import Submission
from .ledger import LedgerMixin
from .outgoing import OutgoingMixin
from .rows import ReceivedSummary, Watermark
from .stored import StoredSubmission, stored_submission


class SubmissionsMixin(LedgerMixin, OutgoingMixin):
    """The ``submissions``, ``flags`` and ``attachments`` tables."""

    def commit_submission(self, sub: Submission, outgoing: list[dict[str, Any]], actor: str = "carepanel",
                          watermark: Watermark | None = None) -> StoredSubmission:
        """Store a judged submission, supersede earlier ones for the same child and panel,
        queue its notices, mark the message processed and move the mailbox's watermark past it:
        all in one transaction."""
        with self.transaction():
            self._advance(watermark)
            existing = self.conn.execute(
                "SELECT id FROM submissions WHERE message_sha256 = ? OR message_id = ?", (sub.message_sha256, sub.message_id)
            ).fetchone()
            if existing:
                self._mark_processed(sub.message_sha256, existing[0])
                sub_id = existing[0]
            else:
                self._insert_submission(sub)
                status = self._supersede(sub)
                self._audit(actor, "submission_created", "submission", sub.id, None,
                            {"status": status, "flags": [f.code for f in sub.flags]})
                for item in outgoing:
                    self._queue_outgoing(item)
                self._mark_processed(sub.message_sha256, sub.id)
                sub_id = sub.id
        result = self.submission(sub_id)
        assert result is not None
        return result

    def _insert_submission(self, sub: Submission) -> None:
        now = self._now()
        doc = sub.to_json()
        self.db.table("submissions").insert({
            "id": sub.id, "message_sha256": sub.message_sha256, "message_id": sub.message_id,
            "received_at": sub.received_at.isoformat(), "sender": sub.sender, "status": sub.status,
            "panel_date": sub.panel_date.isoformat() if sub.panel_date else None,
            "cutoff": sub.cutoff.isoformat() if sub.cutoff else None,
            "child_key": sub.child_key, "superseded_by": None,
            "doc": json.dumps(doc, ensure_ascii=False), "created_at": now, "updated_at": now,
        })
        self.db.table("flags").insert_all([{"submission_id": sub.id, "code": f.code, "detail": f.detail} for f in sub.flags])
        self.db.table("attachments").insert_all([
            {"id": f"{sub.id}-{i}", "submission_id": sub.id, "position": i, "sha256": a.sha256,
             "filename": a.filename, "role": a.role, "readable": int(a.readable), "format": a.format, "problem": a.problem}
            for i, a in enumerate(sub.attachments)
        ])

    def _supersede(self, sub: Submission) -> str:
        """A later form for the same children and panel replaces the earlier one.

        A panel has tens of submissions, so the candidates are compared in Python
        (``same_children``: by ID, or by name and date of birth where an ID is missing).

        "Later" is by receipt time, not processing order, so a retried older message that
        is processed last does not undo the newer form.  Returns the new one's status.
        """
        if not sub.child_key or sub.panel_date is None or sub.request is None:
            return sub.status
        children = sub.request.to_json()["children"]
        rows = [
            (other_id, other_received)
            for other_id, other_received, doc in self.conn.execute(
                "SELECT id, received_at, doc FROM submissions WHERE panel_date = ? AND id != ?"
                " AND status IN ('accepted', 'flagged')",
                (sub.panel_date.isoformat(), sub.id),
            ).fetchall()
            if same_children(children, (json.loads(doc).get("request") or {}).get("children") or [])
        ]
        status = sub.status
        for other_id, other_received in rows:
            if datetime.fromisoformat(other_received) <= sub.received_at:
                self._set_status(other_id, "superseded", superseded_by=sub.id, reason=f"replaced by {sub.id}")
            else:
                self._set_status(sub.id, "superseded", superseded_by=other_id, reason=f"replaced by {other_id}")
                status = "superseded"
        return status

    def _set_status(self, sub_id: str, status: str, *, superseded_by: str | None = None, reason: str | None = None,
                    actor: str = "carepanel") -> None:
        self.conn.execute(
            "UPDATE submissions SET status = ?, superseded_by = COALESCE(?, superseded_by), updated_at = ? WHERE id = ?",
            (status, superseded_by, self._now(), sub_id),
        )
        self._audit(actor, f"submission_{status}", "submission", sub_id, reason, None)

    def submission(self, sub_id: str) -> StoredSubmission | None:
        row = self.conn.execute("SELECT status, doc, panel_date, child_key FROM submissions WHERE id = ?", (sub_id,)).fetchone()
        return stored_submission(row) if row else None

    def submissions(self, status: str | None = None, panel_date: date | None = None) -> list[StoredSubmission]:
        sql = "SELECT status, doc, panel_date, child_key FROM submissions WHERE 1=1"
        args: list[Any] = []
        if status:
            sql += " AND status = ?"
            args.append(status)
        if panel_date:
            sql += " AND panel_date = ?"
            args.append(panel_date.isoformat())
        sql += " ORDER BY received_at, id"
        return [stored_submission(r) for r in self.conn.execute(sql, args).fetchall()]

    def submission_for_message(self, sha256: str, message_id: str) -> StoredSubmission | None:
        """The stored submission for this message: same bytes, or same Message-ID."""
        row = self.conn.execute(
            "SELECT id FROM submissions WHERE message_sha256 = ? OR message_id = ? LIMIT 1", (sha256, message_id)
        ).fetchone()
        return self.submission(row[0]) if row else None

    def counts(self) -> dict[str, int]:
        return self._status_counts("submissions")

    def _status_counts(self, table: str) -> dict[str, int]:
        """Rows by status, from the counters the triggers keep (migration 8)."""
        rows = self.conn.execute("SELECT status, n FROM status_counts WHERE tbl = ? AND n > 0", (table,)).fetchall()
        return {r[0]: r[1] for r in rows}

    def received_summary(self, since: datetime) -> ReceivedSummary:
        """Counts for the dashboard, by SQL (a dashboard must not read every submission)."""
        since_iso = since.isoformat()
        by_status = dict(self.conn.execute(
            "SELECT status, COUNT(*) FROM submissions WHERE received_at >= ? GROUP BY status", (since_iso,)).fetchall())
        late, flagged = self.conn.execute(
            "SELECT COUNT(DISTINCT CASE WHEN f.code = 'late' THEN s.id END), COUNT(DISTINCT f.submission_id)"
            " FROM submissions s JOIN flags f ON f.submission_id = s.id WHERE s.received_at >= ?", (since_iso,)).fetchone()
        return ReceivedSummary(by_status=by_status, total=sum(by_status.values()), late=late or 0, flagged=flagged or 0)

    QUEUE_ORDERS = {
        # The administrator's queue: flagged first, oldest cut-off first (index submissions_queue).
        "queue": "CASE status WHEN 'flagged' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END, cutoff, received_at, id",
        "newest": "received_at DESC, id DESC",
        "oldest": "received_at, id",
    }

    def submissions_page(self, *, status: str | None = None, order: str = "queue", limit: int = 200,
                         offset: int = 0) -> list[StoredSubmission]:
        """One page of the queue, read through an index in the page's order: a page of 50 costs
        the same with 500 or 50,000 submissions in the store (until deep pages, where OFFSET
        walks the index)."""
        by = self.QUEUE_ORDERS.get(order, self.QUEUE_ORDERS["queue"])
        if status and order == "queue":
            by = "cutoff, received_at, id"  # one status: the rank is constant, so (status, cutoff, ...) serves it
        # The page's ids from a covering index (OFFSET steps over index entries, not rows), then
        # only those rows' documents.
        ids = "SELECT id FROM submissions" + (" WHERE status = ?" if status else "") + f" ORDER BY {by} LIMIT ? OFFSET ?"
        args: list[Any] = ([status] if status else []) + [limit, offset]
        sql = f"SELECT status, doc, panel_date, child_key FROM submissions WHERE id IN ({ids}) ORDER BY {by}"
        return [stored_submission(r) for r in self.conn.execute(sql, args).fetchall()]

    def count_submissions(self, status: str | None = None) -> int:
        """How many the queue holds (with its filter), for 'page 3 of 40': from the counters."""
        counts = self.counts()
        return counts.get(status, 0) if status else sum(counts.values())
