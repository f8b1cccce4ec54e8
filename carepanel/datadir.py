"""The data directory's two preconditions for SQLite: one service, on a local disk.

SQLite's "How To Corrupt An SQLite Database File" lists two ways a deployment, not a bug,
loses data: two writers that do not see each other's locks (a data directory on an SMB or NFS
share, whose locking is often broken), and two services that each think they own the mailbox.
The service refuses to start in either case, with a message that says what to do.  The lock
is an ``flock`` on its own file (``run/service.lock``), never on the database: a lock or close
on the database file itself would drop SQLite's locks (see carepanel/store/__init__.py).
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import CarepanelError
from .mailbox.durable import make_dirs

# Kernel names of file systems whose byte-range locks SQLite cannot trust (from /proc/self/mountinfo).
NETWORK_FILESYSTEMS = frozenset({
    "cifs", "smb3", "smbfs", "nfs", "nfs4", "9p", "ceph", "glusterfs", "fuse.glusterfs", "fuse.sshfs",
    "afs", "ncpfs", "coda", "lustre", "gpfs", "beegfs", "fuse.s3fs", "fuse.rclone", "davfs", "fuse.davfs2",
})


class AlreadyRunning(CarepanelError):
    code = "already_running"


class NetworkDataDir(CarepanelError):
    code = "network_data_dir"


def lock_path(data_dir: Path) -> Path:
    return data_dir / "run" / "service.lock"


@dataclass
class ServiceLock:
    """Held for the service's whole life; released by the kernel if the process dies."""

    path: Path
    fd: int

    def release(self) -> None:
        os.close(self.fd)


def acquire(data_dir: Path) -> ServiceLock:
    """Take the data directory for this service, or say which process already has it."""
    path = lock_path(data_dir)
    make_dirs(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_pid(fd)
        os.close(fd)
        who = f" (pid {holder})" if holder else ""
        raise AlreadyRunning(f"another carepanel service{who} is already running on {data_dir}: two services on "
                             "one data directory would each answer the same mail; stop the other one first") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.fsync(fd)
    return ServiceLock(path, fd)


def holder(data_dir: Path) -> int | None:
    """The pid of the service running on ``data_dir``, or None when none is."""
    path = lock_path(data_dir)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def filesystem_type(path: Path, mountinfo: str | None = None) -> str | None:
    """The kernel's name for the file system holding ``path`` (Linux), or None where unknown."""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.realpath(path)
    best, best_type = "", None
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5 or not right.split():
            continue
        point = _unescape(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, right.split()[0]
    return best_type


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in octal (\\040)."""
    return (field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\"))


def check_local(data_dir: Path, policy: str, mountinfo: str | None = None) -> str | None:
    """Refuse (or, with ``policy = "warn"``, return a warning for) a data directory on a network share."""
    probe = data_dir if data_dir.exists() else data_dir.parent
    kind = filesystem_type(probe, mountinfo)
    if kind is None or kind not in NETWORK_FILESYSTEMS:
        return None
    message = (f"the data directory {data_dir} is on a network file system ({kind}); SQLite's locking is not "
               "reliable there and submissions can be lost: put data_dir on a local disk")
    if policy == "warn":
        return message
    raise NetworkDataDir(message + " (or set network_data_dir = \"warn\" to run anyway)")
