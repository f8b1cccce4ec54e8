"""Writes that survive a crash or a power cut: temp file, fsync, atomic rename, fsync the folder.

An email archived, moved or queued here is the only copy the council may have of a referral
about a child, so "written" must mean "on the disk": the bytes are fsynced before the rename
makes them visible, and the folder is fsynced after it so the new name itself is durable.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path

FILE_MODE = 0o600  # council data: readable by the service account only
_DIR_FSYNC_UNSUPPORTED = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EISDIR}


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new, renamed or removed names) durable.

    Windows cannot open a folder for fsync and NTFS journals names itself; some network
    filesystems refuse it too.  Those cases are skipped rather than failing the write.
    """
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _DIR_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` that also makes each newly created folder's name durable."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            folder.mkdir(mode=0o700)
        fsync_dir(folder.parent)


def temp_name(dest: Path) -> Path:
    """A hidden, unique sibling of ``dest``: ignored by the inbox sweep, removed on failure."""
    return dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.tmp")


def write_atomic(dest: Path, data: bytes) -> None:
    """Write ``dest`` so that it either holds all of ``data`` or is untouched, even after a crash."""
    tmp = temp_name(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(dest.parent)


def place_exclusive(src: Path, dest: Path) -> None:
    """Give ``src``'s file the name ``dest`` as well, never replacing a file already there.

    A hard link is atomic and refuses an existing name (``FileExistsError``).  Where links are
    not possible (another filesystem, FAT, some network shares) the bytes are copied into a
    file opened with O_EXCL instead, so an existing file is still never overwritten.  The
    caller removes ``src`` only after this returns, so a crash leaves two copies, never none.
    """
    try:
        os.link(src, dest)
    except FileExistsError:
        raise
    except OSError:
        _copy_exclusive(src, dest)
    fsync_dir(dest.parent)


def _copy_exclusive(src: Path, dest: Path) -> None:
    with open(src, "rb") as fin:
        fout = open(dest, "xb")  # O_EXCL: raises FileExistsError rather than overwrite
        try:
            with fout:
                shutil.copyfileobj(fin, fout, 1024 * 1024)
                fout.flush()
                os.fsync(fout.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                dest.unlink()
            raise
    shutil.copystat(src, dest)
