"""The only package that speaks SQL.

SQLite through sqlite-utils, in WAL mode with ``synchronous=FULL`` so that a committed
submission survives a power cut.  ``Store`` owns the connection (here) and is made of one part
per seam, each in its own module:

- ``schema``: ``MIGRATIONS`` (append a new one at the end) and the migration on open;
- ``ledger``: every message seen, with its failures and retries;
- ``mailboxes``: server mailboxes' watermarks, sync tokens and health;
- ``submissions``: judged forms, superseding, and the reads of them;
- ``outgoing``: the queue of mail to send;
- ``audit``: the append-only audit log and the views and exports in it;
- ``agenda``: reviews, agenda items and packs;
- ``decisions``: decisions, sign-off, finance and unmet-need logs;
- ``admin``: the administrator's amendments and corrections;
- ``users``: local accounts; ``governance``: holds, purge, ops figures;
- ``sessions``: web sessions and sign-in throttles (their policy is the web's);
- ``rows``: the frozen rows the store returns; ``stored``: a submission as the store returns it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from .. import dbfile
from ..clock import Clock, system_clock
from ..errors import DatabaseReplaced, StoreError
from .admin import AdminMixin
from .agenda import AgendaMixin
from .audit import AuditMixin
from .decisions import DecisionsMixin
from .governance import GovernanceMixin
from .ledger import LedgerMixin
from .mailboxes import MailboxesMixin
from .outgoing import OutgoingMixin
from .rows import (
    Account,
    AgendaItem,
    AuditEntry,
    Correction,
    Decision,
    FinanceEntry,
    Hold,
    LedgerEntry,
    MailboxState,
    MailSent,
    MessageLink,
    OpsFigures,
    Outgoing,
    Overdue,
    Pack,
    Purged,
    ReceivedSummary,
    Review,
    SubmissionKeys,
    Throttle,
    UnmetNeed,
    Watermark,
    WebSession,
)
from .sessions import SessionsMixin
from .schema import MIGRATIONS, SCHEMA_VERSION, SchemaMixin, _statements
from .stored import StoredSubmission
from .submissions import SubmissionsMixin
from .users import UsersMixin

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Account", "AgendaItem", "AuditEntry", "Correction", "Decision", "FinanceEntry",
           "Hold", "LedgerEntry", "MailSent", "MailboxState", "MessageLink", "OpsFigures", "Outgoing", "Overdue", "Pack",
           "Purged", "ReceivedSummary", "Review", "Store", "StoredSubmission", "SubmissionKeys", "Throttle", "UnmetNeed",
           "Watermark", "WebSession", "_statements", "file_integrity_problems"]


class Store(AdminMixin, GovernanceMixin, SubmissionsMixin, AgendaMixin, DecisionsMixin, UsersMixin, SessionsMixin,
            LedgerMixin, MailboxesMixin, OutgoingMixin, AuditMixin, SchemaMixin):
    """A handle on the database; cheap to open, one per thread.  Its methods are in one part per
    table or group of tables (the mixins above); the connection is owned here.

    This is the only place that connects to the database, and nothing in carepanel opens,
    copies, renames or chmods the database or its ``-wal``/``-shm`` files: on POSIX, closing
    any descriptor of a file drops every lock the process holds on it, SQLite's included, and
    the next process to close the database would then delete the WAL under a running service.
    The file is created by SQLite itself, under a umask that keeps it private.
    """

    def __init__(self, path: Path, clock: Clock = system_clock) -> None:
        self.clock = clock
        _private_folder(path.parent)
        try:
            with _private_umask():
                conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        # The file this connection opened: if the path later names another file (or none), every
        # write from here on would go where no other process looks, so the store stops instead.
        self._identity = dbfile.FileIdentity.of(path)
        self._broken: str | None = None
        # Told once, with the reason, when the file is found replaced (the service alarms on it).
        self.on_broken: Callable[[str], None] | None = None
        self._migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure_intact(self) -> None:
        """Raise DatabaseReplaced once the database file was deleted or replaced under us.

        Checked before and after every write transaction and before mail is sent, so a message
        whose submission went into an orphaned file is never moved or acknowledged.  It stays
        broken: a process whose database vanished must be restarted by a person who knows why.
        """
        if self._broken is None:
            self._broken = dbfile.problem(self.path, self._identity)
            if self._broken is not None and self.on_broken is not None:
                self.on_broken(self._broken)
        if self._broken is not None:
            raise DatabaseReplaced(self._broken)

    def backup_to(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API, safe while the service writes."""
        self.ensure_intact()
        dst = sqlite3.connect(str(target))
        try:
            self.conn.backup(dst)
        finally:
            dst.close()

    def integrity_problems(self, *, quick: bool = False) -> list[str]:
        """SQLite's own check of its pages and indexes: [] when the file is sound."""
        pragma = "quick_check" if quick else "integrity_check"
        rows = [str(r[0]) for r in self.conn.execute(f"PRAGMA {pragma}").fetchall()]
        return [] if rows == ["ok"] else rows

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE, so two processes never interleave a read-then-write."""
        self.ensure_intact()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the database is busy: {exc}") from exc
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
            self.ensure_intact()  # committed into a file nobody else sees: the caller must not act on it



def file_integrity_problems(path: Path) -> list[str]:
    """SQLite's integrity check of a database file that is not (yet) the service's: a backup
    being restored, checked in its staging folder before it replaces anything.  Not through
    ``Store``, which would migrate it and take the data folder's locks; [] when it is sound."""
    conn = sqlite3.connect(str(path))
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows

def _private_folder(folder: Path) -> None:
    """The database's folder is the service account's alone (0700): a folder, never the database file."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the database at {folder}: {exc.strerror}") from exc


@contextmanager
def _private_umask() -> Iterator[None]:
    """SQLite creates the database (and gives its -wal and -shm the same mode) under umask 077,
    so it is never readable by others, not even for a moment, and no chmod is needed."""
    if os.name != "posix":
        yield
        return
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)
