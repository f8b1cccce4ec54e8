"""The audit log: who did what to which record, and why; append-only (triggers refuse changes).

Every write elsewhere in the store records itself here, in its own transaction.
"""

from __future__ import annotations

import json
from typing import Any

from .base import StoreBase
from .rows import AuditEntry, audit_row


class AuditMixin(StoreBase):
    """Writes to the audit log and reads it (entries, views and exports)."""

    def _audit(self, actor: str, action: str, entity: str, entity_id: str, reason: str | None,
               data: dict[str, Any] | None) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, actor, action, entity, entity_id, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self._now(), actor, action, entity, entity_id, reason, json.dumps(data) if data is not None else None),
        )

    def audit(self, actor: str, action: str, entity: str, entity_id: str, reason: str | None = None,
              data: dict[str, Any] | None = None) -> None:
        with self.transaction():
            self._audit(actor, action, entity, entity_id, reason, data)

    def audit_log(self, entity_id: str | None = None) -> list[AuditEntry]:
        sql = "SELECT seq, at, actor, action, entity, entity_id, reason, data FROM audit"
        args: tuple[Any, ...] = ()
        if entity_id:
            sql += " WHERE entity_id = ?"
            args = (entity_id,)
        return [audit_row(r) for r in self.conn.execute(sql + " ORDER BY seq", args).fetchall()]

    def audit_for(self, entity_ids: list[str]) -> list[AuditEntry]:
        if not entity_ids:
            return []
        marks = ",".join("?" for _ in entity_ids)
        rows = self.conn.execute(
            f"SELECT seq, at, actor, action, entity, entity_id, reason, data FROM audit WHERE entity_id IN ({marks})"
            " ORDER BY seq", entity_ids).fetchall()
        return [audit_row(r) for r in rows]

    def record_view(self, actor: str, entity: str, entity_id: str, what: str) -> None:
        """Who looked at which record (the web app calls this per page or file served).

        ``what`` names the view ("submission", "original", "attachment:2", "pack"), never
        its content; the entry is in the append-only audit log beside every change.
        """
        self.audit(actor, "viewed", entity, entity_id, what, None)

    def access_log(self, entity_ids: list[str] | None = None) -> list[AuditEntry]:
        """Views and exports, oldest first; for some records only when ``entity_ids`` is given."""
        rows = self.audit_for(entity_ids) if entity_ids is not None else self.audit_log()
        return [r for r in rows if r.action in ("viewed", "child_exported")]
