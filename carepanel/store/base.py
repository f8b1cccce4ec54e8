"""What every part of the store stands on: the connection, its transactions and the time.

The connection is opened, checked and closed only by ``Store`` (in ``__init__.py``); the parts
(one class per table or group of tables) declare here what they use of it, so each part reads
on its own and a type checker sees the whole.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import timezone
from pathlib import Path

import sqlite_utils

from ..clock import Clock


class StoreBase:
    """The connection the parts share; ``Store`` provides it."""

    path: Path
    conn: sqlite3.Connection
    db: sqlite_utils.Database
    clock: Clock  # the one source of "now" for every time the store writes

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError  # Store.transaction: BEGIN IMMEDIATE, checked before and after

    def ensure_intact(self) -> None:
        raise NotImplementedError  # Store.ensure_intact: the database file is still the one opened

    def _now(self) -> str:
        """The time every row and audit entry is stamped with (UTC, to the second): read here only."""
        return self.clock().astimezone(timezone.utc).isoformat(timespec="seconds")
