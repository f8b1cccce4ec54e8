"""A panel's agenda: the reviews decisions bring back, the items an administrator adds, orders,
withdraws or marks complex, and the packs built from it (a pack is sent in the same transaction
that queues its mail).
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from ..errors import StoreError
from .outgoing import OutgoingMixin
from .rows import AgendaItem, Pack, Review, agenda_item_row, pack_row


class AgendaMixin(OutgoingMixin):
    """The ``reviews``, ``agenda_items`` and ``packs`` tables."""

    def add_review(self, *, child_key: str, panel_date: date, kind: str, reason: str, child_id: str | None = None,
                   decision_id: str | None = None, submission_id: str | None = None, actor: str = "carepanel") -> str:
        """Put a child back on a later panel's agenda; the audit log says which decision asked for it."""
        review_id = "rev_" + uuid.uuid4().hex[:16]
        now = self._now()
        with self.transaction():
            self.db.table("reviews").insert({
                "id": review_id, "child_key": child_key, "child_id": child_id, "panel_date": panel_date.isoformat(),
                "kind": kind, "reason": reason, "decision_id": decision_id, "submission_id": submission_id,
                "status": "due", "created_at": now, "updated_at": now,
            })
            self._audit(actor, "review_added", "review", review_id, reason, {"panel_date": panel_date.isoformat(), "kind": kind})
        return review_id

    def reviews_for(self, panel_date: date, statuses: tuple[str, ...] = ("due", "listed")) -> list[Review]:
        marks = ",".join("?" for _ in statuses)
        return [Review(**r) for r in self.db.query(
            f"SELECT * FROM reviews WHERE panel_date = ? AND status IN ({marks}) ORDER BY created_at, id",
            [panel_date.isoformat(), *statuses],
        )]

    def reviews_before(self, day: date, statuses: tuple[str, ...] = ("due", "listed")) -> list[Review]:
        marks = ",".join("?" for _ in statuses)
        return [Review(**r) for r in self.db.query(
            f"SELECT * FROM reviews WHERE panel_date < ? AND status IN ({marks}) ORDER BY panel_date",
            [day.isoformat(), *statuses])]

    def set_review_status(self, review_id: str, status: str, *, actor: str = "carepanel", reason: str | None = None) -> None:
        with self.transaction():
            self.db.table("reviews").update(review_id, {"status": status, "updated_at": self._now()})
            self._audit(actor, f"review_{status}", "review", review_id, reason, None)

    def agenda_items(self, panel_date: date) -> list[AgendaItem]:
        return [agenda_item_row(r) for r in self.db.query(
            "SELECT * FROM agenda_items WHERE panel_date = ? ORDER BY created_at, id", [panel_date.isoformat()])]

    def _agenda_item_id(self, panel_date: date, ref_id: str, kind: str) -> str:
        """The id of the agenda row for this case, made (listed, not complex) on the first mark."""
        row = self.conn.execute("SELECT id FROM agenda_items WHERE panel_date = ? AND ref_id = ?",
                                (panel_date.isoformat(), ref_id)).fetchone()
        if row:
            return str(row[0])
        item_id = "agi-" + uuid.uuid4().hex[:16]
        self.db.table("agenda_items").insert({
            "id": item_id, "panel_date": panel_date.isoformat(), "kind": kind, "ref_id": ref_id,
            "status": "listed", "complex": 0, "created_at": self._now(), "updated_at": self._now()})
        return item_id

    def add_agenda_item(self, panel_date: date, title: str, *, kind: str = "manual", team: str | None = None,
                        complex_case: bool = False, actor: str, reason: str | None = None) -> str:
        """An item the administrator adds by hand: an emergency decision to ratify, a late form allowed."""
        item_id = "agi-" + uuid.uuid4().hex[:16]
        with self.transaction():
            self.db.table("agenda_items").insert({
                "id": item_id, "panel_date": panel_date.isoformat(), "kind": kind, "ref_id": item_id, "title": title,
                "team": team, "complex": int(complex_case), "status": "listed", "reason": reason,
                "created_at": self._now(), "updated_at": self._now()})
            self._audit(actor, "agenda_item_added", "agenda_item", item_id, reason, {"panel_date": panel_date.isoformat()})
        return item_id

    def set_agenda_order(self, panel_date: date, refs: list[tuple[str, str]], *, actor: str) -> None:
        """The administrator's order: ``refs`` is [(ref_id, kind)], first to last."""
        with self.transaction():
            for position, (ref_id, kind) in enumerate(refs, start=1):
                item_id = self._agenda_item_id(panel_date, ref_id, kind)
                self.db.table("agenda_items").update(item_id, {"position": position, "updated_at": self._now()})
            self._audit(actor, "agenda_reordered", "panel", panel_date.isoformat(), None, {"order": [r for r, _ in refs]})

    def withdraw_from_agenda(self, panel_date: date, ref_id: str, kind: str, *, actor: str, reason: str) -> None:
        with self.transaction():
            item_id = self._agenda_item_id(panel_date, ref_id, kind)
            self.db.table("agenda_items").update(item_id, {"status": "withdrawn", "reason": reason, "updated_at": self._now()})
            self._audit(actor, "agenda_withdrawn", kind, ref_id, reason, {"panel_date": panel_date.isoformat()})

    def mark_complex(self, panel_date: date, ref_id: str, kind: str, complex_case: bool, *, actor: str) -> None:
        with self.transaction():
            item_id = self._agenda_item_id(panel_date, ref_id, kind)
            self.db.table("agenda_items").update(item_id, {"complex": int(complex_case), "updated_at": self._now()})
            self._audit(actor, "agenda_complex" if complex_case else "agenda_not_complex", kind, ref_id, None,
                        {"panel_date": panel_date.isoformat()})

    def move_submission(self, sub_id: str, panel_date: date, *, actor: str, reason: str) -> None:
        """Put a case on another panel (the chair allowed a late form, the family asked to wait)."""
        with self.transaction():
            row = self.conn.execute("SELECT panel_date FROM submissions WHERE id = ?", (sub_id,)).fetchone()
            if row is None:
                raise StoreError(f"no submission {sub_id}")
            self.conn.execute("UPDATE submissions SET panel_date = ?, updated_at = ? WHERE id = ?",
                              (panel_date.isoformat(), self._now(), sub_id))
            self._audit(actor, "submission_moved", "submission", sub_id, reason,
                        {"from": row[0], "to": panel_date.isoformat()})

    def record_pack(self, panel_date: date, path: str, sha256: str, pages: int, agenda: list[dict[str, Any]],
                    warnings: list[str], *, actor: str = "carepanel") -> Pack:
        with self.transaction():
            last = self.conn.execute("SELECT MAX(revision) FROM packs WHERE panel_date = ?", (panel_date.isoformat(),)).fetchone()[0]
            pack_id = "pack-" + uuid.uuid4().hex[:16]
            pack = {"id": pack_id, "panel_date": panel_date.isoformat(), "revision": (last or 0) + 1,
                    "path": path, "sha256": sha256, "pages": pages, "agenda": json.dumps(agenda),
                    "warnings": json.dumps(warnings), "built_at": self._now(), "sent_at": None}
            self.db.table("packs").insert(pack)
            self._audit(actor, "pack_built", "pack", pack_id, None,
                        {"panel_date": panel_date.isoformat(), "revision": pack["revision"], "sha256": sha256})
        return pack_row(pack)

    def packs(self, panel_date: date) -> list[Pack]:
        """Every revision built for this panel, oldest first (the last is the one to send)."""
        return [pack_row(r) for r in
                self.db.query("SELECT * FROM packs WHERE panel_date = ? ORDER BY revision", [panel_date.isoformat()])]

    def mark_pack_sent(self, pack_id: str, outgoing: list[dict[str, Any]], *, actor: str = "carepanel") -> None:
        """The pack and the slot notices are queued in the same transaction that marks it sent."""
        with self.transaction():
            self.conn.execute("UPDATE packs SET sent_at = ? WHERE id = ?", (self._now(), pack_id))
            for item in outgoing:
                self._queue_outgoing(item)
            self._audit(actor, "pack_sent", "pack", pack_id, None, {"mails": len(outgoing)})
