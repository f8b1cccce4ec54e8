"""Is the database file SQLite has open still the one every other process sees?

SQLite's WAL mode trusts POSIX advisory locks; anything that breaks them (a stray
``close()`` on the file in the same process, a restore that renames a new file over the old
one, someone deleting ``carepanel.db-wal`` by hand) leaves a process writing into a file that
nobody else will ever read: it commits, acknowledges, and the submission is gone.  This module
notices that from the outside, without opening the database files itself (opening and closing
them is exactly what drops SQLite's locks): it compares the path's inode with the one recorded
when the connection was made, and on Linux reads ``/proc/PID/fd`` for handles on database files
that have since been deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = ("", "-wal", "-shm", "-journal")
_DELETED = " (deleted)"


@dataclass(frozen=True)
class FileIdentity:
    """The (device, inode) pair that names one file whatever its path."""

    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(st.st_dev, st.st_ino)


def database_files(db: Path) -> tuple[str, ...]:
    """The database and the files SQLite keeps beside it, as absolute paths."""
    base = os.path.abspath(db)
    return tuple(base + suffix for suffix in SUFFIXES)


def deleted_handles(db: Path, pid: int | str = "self") -> list[str]:
    """Names of the database's files that process ``pid`` still has open but that were deleted.

    Linux only (``/proc``); elsewhere, and for a process we may not inspect, an empty list:
    the inode comparison in :func:`problem` still catches a replaced file.
    """
    names = set(database_files(db))
    fd_dir = f"/proc/{pid}/fd"
    found: list[str] = []
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue  # closed between listing and reading
        if target.endswith(_DELETED) and target[: -len(_DELETED)] in names:
            found.append(os.path.basename(target[: -len(_DELETED)]))
    return sorted(set(found))


def problem(db: Path, expected: FileIdentity | None, pid: int | str = "self") -> str | None:
    """Why the database at ``db`` can no longer be trusted by this connection, or None."""
    now = FileIdentity.of(db)
    if now is None:
        return f"the database file {os.path.basename(db)} was deleted while in use"
    if expected is not None and now != expected:
        return f"the database file {os.path.basename(db)} was replaced while in use"
    gone = deleted_handles(db, pid)
    if gone:
        return "deleted while in use: " + ", ".join(gone)
    return None
