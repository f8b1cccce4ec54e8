"""The web app's local accounts, and who sits on a panel (everyone its pack was sent to).
"""

from __future__ import annotations

import json
from datetime import date

from .audit import AuditMixin
from .rows import Account


class UsersMixin(AuditMixin):
    """The ``users`` table."""

    def upsert_user(self, email: str, name: str, role: str, password_hash: str | None, *, actor: str) -> None:
        with self.transaction():
            self.db.table("users").upsert({"email": email.lower(), "name": name, "role": role, "password_hash": password_hash,
                                           "disabled": 0, "created_at": self._now()}, pk="email")
            self._audit(actor, "user_saved", "user", email.lower(), None, {"role": role})

    def user(self, email: str) -> Account | None:
        rows = list(self.db.query("SELECT * FROM users WHERE email = ?", [email.lower()]))
        return Account(**{**rows[0], "disabled": bool(rows[0]["disabled"])}) if rows else None

    def pack_recipients(self, panel_date: date) -> set[str]:
        """Everyone a pack for this panel was sent to: the people who sit on it."""
        out: set[str] = set()
        for (recipients,) in self.conn.execute(
                "SELECT o.recipients FROM outgoing o JOIN packs p ON o.id LIKE 'pack-' || p.id || '%'"
                " WHERE p.panel_date = ? AND o.kind = 'pack'", (panel_date.isoformat(),)).fetchall():
            r = json.loads(recipients)
            out |= {a.lower() for a in r.get("to", []) + r.get("cc", [])}
        return out
