"""Records governance (ops): legal holds, the retention purge, what a per-child export reads, and
the counts ``carepanel status`` and the health check show.
"""

from __future__ import annotations


from .rows import Hold, MessageLink, OpsFigures, Overdue, Purged, SubmissionKeys
from .schema import SchemaMixin
from .submissions import SubmissionsMixin


class GovernanceMixin(SubmissionsMixin, SchemaMixin):
    """The ``holds`` table, purges across every table, and the ops figures."""

    def add_hold(self, key: str, reason: str, actor: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO holds (key, reason, placed_by, placed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET reason = excluded.reason",
                (key, reason, actor, self._now()))
            self._audit(actor, "hold_added", "hold", key, reason, None)

    def remove_hold(self, key: str, reason: str, actor: str) -> bool:
        with self.transaction():
            gone = self.conn.execute("DELETE FROM holds WHERE key = ?", (key,)).rowcount
            if gone:
                self._audit(actor, "hold_removed", "hold", key, reason, None)
        return bool(gone)

    def holds(self) -> list[Hold]:
        rows = self.conn.execute("SELECT key, reason, placed_by, placed_at FROM holds ORDER BY placed_at, key")
        return [Hold(*r) for r in rows.fetchall()]

    def submission_rows(self) -> list[SubmissionKeys]:
        """Every submission with what governance needs: ids, hashes, child key, receipt, document."""
        rows = self.conn.execute(
            "SELECT id, message_sha256, message_id, child_key, received_at, status, doc FROM submissions"
            " ORDER BY received_at, id").fetchall()
        return [SubmissionKeys(*r) for r in rows]

    def message_shas_for(self, sub_id: str, message_sha256: str) -> list[str]:
        rows = self.conn.execute("SELECT sha256 FROM messages WHERE submission_id = ? OR sha256 = ?",
                                 (sub_id, message_sha256)).fetchall()
        return sorted({r[0] for r in rows})

    def purge_submission(self, sub_id: str, actor: str, reason: str) -> Purged | None:
        """Delete one submission and everything recorded with it, in one transaction.

        Returns the hashes of originals no remaining row refers to, for the caller to
        remove from the archive after the commit (side effects last); None when there is no such
        submission or a decision record keeps it.  The audit entry
        keeps ids and hashes only: the record of a purge must not keep what was purged.
        """
        with self.transaction():
            row = self.conn.execute("SELECT message_sha256 FROM submissions WHERE id = ?", (sub_id,)).fetchone()
            if row is None or self.conn.execute("SELECT 1 FROM decisions WHERE submission_id = ?", (sub_id,)).fetchone():
                # a decision record (signed ones are final by trigger) keeps its submission with it
                return None
            messages = self.message_shas_for(sub_id, row[0])
            blobs = sorted({r[0] for r in self.conn.execute(
                "SELECT sha256 FROM attachments WHERE submission_id = ?", (sub_id,)).fetchall()})
            self.conn.execute("DELETE FROM flags WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM attachments WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM outgoing WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM corrections WHERE submission_id = ?", (sub_id,))
            self.conn.execute("DELETE FROM agenda_items WHERE ref_id = ?", (sub_id,))
            self.conn.execute("UPDATE submissions SET superseded_by = NULL WHERE superseded_by = ?", (sub_id,))
            self.conn.execute("DELETE FROM submissions WHERE id = ?", (sub_id,))
            marks = ",".join("?" for _ in messages)
            self.conn.execute(f"DELETE FROM messages WHERE sha256 IN ({marks})", messages)
            still = {r[0] for r in self.conn.execute(
                f"SELECT sha256 FROM attachments WHERE sha256 IN ({','.join('?' for _ in blobs)})", blobs).fetchall()}
            free_blobs = [b for b in blobs if b not in still]
            self._audit(actor, "submission_purged", "submission", sub_id, reason,
                        {"message_sha256": messages, "attachment_sha256": blobs})
        return Purged(messages=tuple(messages), blobs=tuple(free_blobs))

    def ops_figures(self) -> OpsFigures:
        """Counts for ``carepanel status`` and the health check, in one read."""
        q = self.conn.execute
        ledger = self._status_counts("messages")
        out = {r[0]: r[1] for r in q("SELECT status, count(*) FROM outgoing GROUP BY status").fetchall()}
        last = q("SELECT max(first_seen_at) FROM messages").fetchone()[0]
        last_received = q("SELECT max(received_at) FROM submissions").fetchone()[0]
        return OpsFigures(ledger=ledger, outgoing=out, last_message_seen_at=last, last_received_at=last_received,
                          submissions=self.counts(), schema_version=self.schema_version)

    def overdue(self, before: str, today: str) -> Overdue:
        """What has waited since before ``before`` (ISO time): messages not processed and mail
        not sent; and reviews still due for a panel before ``today`` (ISO date)."""
        q = self.conn.execute
        messages = q("SELECT count(*) FROM messages WHERE status IN ('received', 'failed') AND first_seen_at < ?",
                     (before,)).fetchone()[0]
        mail = q("SELECT count(*) FROM outgoing WHERE status != 'sent' AND created_at < ?", (before,)).fetchone()[0]
        reviews = q("SELECT count(*) FROM reviews WHERE status = 'due' AND panel_date < ?", (today,)).fetchone()[0]
        return Overdue(messages=messages, outgoing=mail, reviews=reviews)

    def message_links(self) -> list[MessageLink]:
        """Every ledger line with its submission (``carepanel verify`` checks the two agree)."""
        return [MessageLink(*r) for r in self.conn.execute("SELECT sha256, status, submission_id FROM messages")]

    def submission_hashes(self) -> dict[str, str]:
        """Each submission's id with its message's SHA-256 (``carepanel verify``)."""
        return dict(self.conn.execute("SELECT id, message_sha256 FROM submissions").fetchall())
