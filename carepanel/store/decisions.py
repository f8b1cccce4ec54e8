"""Decisions: versioned; a signed version is never altered (a trigger refuses it), and sign-off
writes everything that follows from it (reviews, finance and unmet-need entries, notices) at once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ..errors import StoreError
from .outgoing import OutgoingMixin
from .rows import Decision, FinanceEntry, UnmetNeed


class DecisionsMixin(OutgoingMixin):
    """The ``decisions``, ``finance_log`` and ``unmet_need`` tables."""

    def insert_decision(self, row: dict[str, Any], *, actor: str) -> None:
        with self.transaction():
            self.db.table("decisions").insert({**row, "created_at": self._now()})
            self._audit(actor, "decision_drafted", "decision", row["id"], None,
                        {"series": row["series"], "version": row["version"], "outcome": row["outcome"],
                         "pdf_sha256": row["pdf_sha256"]})

    def decision(self, decision_id: str) -> Decision | None:
        rows = [Decision(**r) for r in self.db.query("SELECT * FROM decisions WHERE id = ?", [decision_id])]
        return rows[0] if rows else None

    def decisions(self, *, panel_date: date | None = None, child_key: str | None = None,
                  status: str | None = None) -> list[Decision]:
        sql, args = "SELECT * FROM decisions WHERE 1=1", []
        for col, val in (("panel_date", panel_date.isoformat() if panel_date else None), ("child_key", child_key),
                         ("status", status)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        return [Decision(**r) for r in self.db.query(sql + " ORDER BY panel_date, created_at, version", args)]

    def latest_version(self, series: str) -> Decision | None:
        rows = [Decision(**r) for r in
                self.db.query("SELECT * FROM decisions WHERE series = ? ORDER BY version DESC LIMIT 1", [series])]
        return rows[0] if rows else None

    def sign_decision(self, decision_id: str, *, chair: str, signed_at: datetime, draft_sha256: str, docx_path: str,
                      pdf_path: str, pdf_sha256: str, upload_dir: str, upload_due: datetime | None, follow_ups: list[dict[str, Any]], finance: dict[str, Any] | None,
                      unmet: dict[str, Any] | None, outgoing: list[dict[str, Any]], actor: str) -> None:
        """Sign-off, and everything that follows from it, in one transaction: the reviews, the
        finance and unmet-need entries, the notices, and the older version marked replaced."""
        with self.transaction():
            row = self.conn.execute("SELECT status, series, version, pdf_sha256 FROM decisions WHERE id = ?",
                                    (decision_id,)).fetchone()
            if row is None:
                raise StoreError(f"no decision {decision_id}")
            if row[0] != "draft":
                raise StoreError(f"decision {decision_id} is already signed")
            if row[3] != draft_sha256:
                raise StoreError(f"decision {decision_id}: the draft is not the one the chair was shown (hash differs)")
            self.conn.execute(
                "UPDATE decisions SET status = 'signed', signed_by = ?, signed_at = ?, upload_dir = ?, upload_due = ?,"
                " docx_path = ?, pdf_path = ?, pdf_sha256 = ? WHERE id = ?",
                (chair, signed_at.isoformat(), upload_dir, upload_due.isoformat() if upload_due else None, docx_path, pdf_path, pdf_sha256, decision_id))
            self.conn.execute("UPDATE decisions SET superseded_by = ? WHERE series = ? AND version < ? AND superseded_by IS NULL",
                              (decision_id, row[1], row[2]))
            self._audit(actor, "decision_signed", "decision", decision_id, None,
                        {"chair": chair, "signed_at": signed_at.isoformat(), "pdf_sha256": pdf_sha256,
                         "draft_sha256": draft_sha256})
            for f in follow_ups:
                review_id = "rev_" + uuid.uuid4().hex[:16]
                self.db.table("reviews").insert({**f, "id": review_id, "decision_id": decision_id, "status": "due",
                                                 "created_at": self._now(), "updated_at": self._now()})
                self._audit(actor, "review_added", "review", review_id, f["reason"], {"panel_date": f["panel_date"]})
            if finance:
                self.db.table("finance_log").insert({**finance, "id": "fin-" + uuid.uuid4().hex[:16],
                                                     "decision_id": decision_id, "created_at": self._now()})
            if unmet:
                self.db.table("unmet_need").insert({**unmet, "id": "unm-" + uuid.uuid4().hex[:16],
                                                    "decision_id": decision_id, "created_at": self._now()})
            for item in outgoing:
                self._queue_outgoing(item)

    def decisions_for_submission(self, submission_id: str) -> list[Decision]:
        return [Decision(**r) for r in
                self.db.query("SELECT * FROM decisions WHERE submission_id = ? ORDER BY version", [submission_id])]

    def mark_uploaded(self, decision_id: str, *, actor: str, at: datetime) -> None:
        with self.transaction():
            self.conn.execute("UPDATE decisions SET uploaded_at = ? WHERE id = ? AND status = 'signed'",
                              (at.isoformat(), decision_id))
            self._audit(actor, "decision_uploaded", "decision", decision_id, None, None)

    def finance_log(self) -> list[FinanceEntry]:
        return [FinanceEntry(**r) for r in self.db.query("SELECT f.*, d.outcome, d.panel_date FROM finance_log f JOIN decisions d ON d.id = f.decision_id"
                                  " WHERE d.superseded_by IS NULL ORDER BY f.decision_date, f.created_at")]

    def unmet_needs(self) -> list[UnmetNeed]:
        return [UnmetNeed(**r) for r in self.db.query("SELECT * FROM unmet_need ORDER BY panel_date, created_at")]
