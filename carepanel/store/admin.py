"""The administrator's changes to a submission: flags cleared, a sign-off recorded, a panel or a
status chosen, a field corrected; each one audited change, the original message untouched.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..errors import StoreError
from .rows import Correction
from .stored import StoredSubmission
from .submissions import SubmissionsMixin


class AdminMixin(SubmissionsMixin):
    """Amendments to ``submissions`` and the ``corrections`` laid over what was read."""

    def amend_submission(self, sub_id: str, *, actor: str, action: str, reason: str, remove_flags: tuple[str, ...] = (),
                         signoff: dict[str, Any] | None = None, panel_date: date | None = None,
                         status: str | None = None, data: dict[str, Any] | None = None,
                         outgoing: list[dict[str, Any]] | None = None) -> StoredSubmission:
        """One audited change by a person: flags cleared, a sign-off recorded, a panel chosen, a status.

        A submission with no flags left is accepted; the original message and what was read
        from it are untouched (the stored object changes, the audit log says how and why).
        """
        with self.transaction():
            row = self.conn.execute("SELECT doc, status, panel_date FROM submissions WHERE id = ?", (sub_id,)).fetchone()
            if row is None:
                raise StoreError(f"no submission {sub_id}")
            doc = json.loads(row[0])
            if row[1] in ("superseded", "rejected") and status is None:
                raise StoreError(f"submission {sub_id} is {row[1]}")
            doc["flags"] = [f for f in doc["flags"] if f["code"] not in remove_flags]
            if signoff is not None:
                doc["signoff"] = signoff
            new_date = panel_date.isoformat() if panel_date else row[2]
            doc["panel_date"] = new_date
            new_status = status or ("accepted" if not doc["flags"] else "flagged")
            doc["status"] = new_status
            self.conn.execute("UPDATE submissions SET doc = ?, status = ?, panel_date = ?, updated_at = ? WHERE id = ?",
                              (json.dumps(doc, ensure_ascii=False), new_status, new_date, self._now(), sub_id))
            if remove_flags:
                marks = ",".join("?" for _ in remove_flags)
                self.conn.execute(f"DELETE FROM flags WHERE submission_id = ? AND code IN ({marks})", (sub_id, *remove_flags))
            self._audit(actor, action, "submission", sub_id, reason,
                        {**(data or {}), "status": new_status, "panel_date": new_date, "cleared": list(remove_flags)})
            for item in outgoing or []:
                self._queue_outgoing(item)
        result = self.submission(sub_id)
        assert result is not None
        return result

    def add_correction(self, sub_id: str, field: str, value: str | None, *, actor: str, reason: str) -> None:
        with self.transaction():
            self.db.table("corrections").insert({"submission_id": sub_id, "field": field, "value": value, "actor": actor,
                                                 "reason": reason, "at": self._now()})
            self._audit(actor, "field_corrected", "submission", sub_id, reason, {"field": field})

    def corrections(self, sub_id: str) -> list[Correction]:
        """Oldest first, so the last correction of a field is the one that holds."""
        return [Correction(**r) for r in
                self.db.query("SELECT * FROM corrections WHERE submission_id = ? ORDER BY id", [sub_id])]
