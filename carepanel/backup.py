"""One file that can rebuild the service elsewhere: the database and every stored original.

``backup`` takes the database through SQLite's online backup API (a consistent snapshot while
the service keeps writing), then the archive.  The order matters: an original is archived
before any row refers to it, so every hash in the snapshot is already on disk when the
archive is copied after it.  Each member's sha256 goes into ``manifest.json``; the finished
tar is read back and checked against the manifest before it is renamed into place, so a
backup that exists is a backup that verified.

``restore`` reads the whole tar into a staging folder inside an empty data dir, checks
every hash (and that each original still hashes to its own name), checks the database's
integrity, and only then moves the files into place.  A tampered or truncated backup
leaves the data dir as empty as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .errors import CarepanelError
from .logs import safe_fields
from .mailbox.archive import SUFFIXES, Archive, ArchiveCorrupt
from .mailbox.durable import fsync_dir, make_dirs

log = logging.getLogger("carepanel.backup")

FORMAT = "carepanel/backup@1"
DB_MEMBER = "carepanel.db"
MANIFEST = "manifest.json"
_ARCHIVE_MEMBER = re.compile(r"archive/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})(\.eml|\.bin)")
_CHUNK = 1024 * 1024


class BackupError(CarepanelError):
    code = "backup_error"


class RestoreRefused(CarepanelError):
    code = "restore_refused"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    bytes: int
    sha256: str  # of the backup file itself, to note beside it off-site
    schema_version: int
    submissions: int

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "files": self.files, "bytes": self.bytes, "sha256": self.sha256,
                "schema_version": self.schema_version, "submissions": self.submissions}


def backup(db_path: Path, archive_dir: Path, dest: Path) -> BackupResult:
    """Write a verified backup of the database and archive to ``dest`` (replaced atomically)."""
    dest = dest.resolve()
    if not db_path.is_file():
        raise BackupError(f"there is no database at {db_path} to back up")
    make_dirs(dest.parent)
    with tempfile.TemporaryDirectory(prefix=".carepanel-backup-", dir=dest.parent) as tmp:
        snap = Path(tmp) / DB_MEMBER
        schema, count = _snapshot(db_path, snap)
        part = Path(tmp) / "backup.tar"
        manifest: list[dict[str, Any]] = []
        with open(part, "xb") as raw:
            os.chmod(part, 0o600)
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                manifest.append(_add(tar, snap, DB_MEMBER))
                archive = Archive(archive_dir)
                for kind in SUFFIXES:
                    for sha in sorted(archive.shas(kind)):  # type: ignore[arg-type]
                        src = archive.path(sha, kind)  # type: ignore[arg-type]
                        entry = _add(tar, src, f"archive/{src.relative_to(archive_dir).as_posix()}")
                        if entry["sha256"] != sha:
                            raise ArchiveCorrupt(f"archived {kind} {sha} does not match its hash; backup stopped")
                        manifest.append(entry)
                head = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "schema_version": schema, "submissions": count, "files": manifest}
                data = json.dumps(head, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        _verify_tar(part)  # read back before it may be called a backup
        os.replace(part, dest)
        fsync_dir(dest.parent)
    size = dest.stat().st_size
    digest = _file_sha(dest)
    log.info("backup written", extra=safe_fields(event="backup_written", count=len(manifest), size=size,
                                                 message_sha256=digest))
    return BackupResult(dest, len(manifest), size, digest, schema, count)


def restore(src: Path, data_dir: Path) -> dict[str, Any]:
    """Rebuild an empty ``data_dir`` from a backup, checking every hash first."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise RestoreRefused(f"{data_dir} is not empty: restore only into an empty data dir "
                             "(move the old one aside first)")
    if not src.is_file():
        raise RestoreRefused(f"no backup file at {src}")
    make_dirs(data_dir)
    os.chmod(data_dir, 0o700)
    staging = data_dir / ".restore"
    try:
        head = _extract_verified(src, staging)
        _check_database(staging / DB_MEMBER)
        for child in staging.iterdir():
            os.replace(child, data_dir / child.name)
        staging.rmdir()
        fsync_dir(data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("backup restored", extra=safe_fields(event="backup_restored", count=len(head["files"])))
    return {"data_dir": str(data_dir), "files": len(head["files"]), "schema_version": head["schema_version"],
            "submissions": head["submissions"], "created_at": head["created_at"]}


# --------------------------------------------------------------------------- helpers


def _snapshot(db_path: Path, snap: Path) -> tuple[int, int]:
    """A consistent copy of a live WAL database, via the online backup API."""
    try:
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(str(snap))
        try:
            src.execute("PRAGMA busy_timeout=30000")
            src.backup(dst, pages=256)
            dst.execute("PRAGMA journal_mode=DELETE")
            schema = int(dst.execute("PRAGMA user_version").fetchone()[0])
            count = int(dst.execute("SELECT count(*) FROM submissions").fetchone()[0]) if schema else 0
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot snapshot the database: {exc}") from exc
    return schema, count


def _add(tar: tarfile.TarFile, src: Path, name: str) -> dict[str, Any]:
    """Add one file to the tar, hashing exactly the bytes that went in."""
    with open(src, "rb") as fh:
        data = fh.read()
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(src.stat().st_mtime)
    tar.addfile(info, io.BytesIO(data))
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _members(tar: tarfile.TarFile) -> dict[str, Any]:
    head: dict[str, Any] | None = None
    for member in tar:
        if member.name == MANIFEST and member.isfile():
            fh = tar.extractfile(member)
            assert fh is not None
            try:
                head = json.loads(fh.read())
            except ValueError:
                raise BackupError("the backup's manifest is not valid JSON") from None
    if head is None or head.get("format") != FORMAT:
        raise BackupError("not a carepanel backup (no manifest)")
    return head


def _safe_name(name: str) -> bool:
    return name == DB_MEMBER or bool(_ARCHIVE_MEMBER.fullmatch(name))


def _walk_checked(tar: tarfile.TarFile, head: dict[str, Any], sink: Path | None) -> None:
    """Hash every member against the manifest; write them under ``sink`` when given."""
    expected = {f["path"]: f for f in head["files"]}
    seen: set[str] = set()
    for member in tar:
        if member.name == MANIFEST:
            continue
        if not member.isfile() or not _safe_name(member.name) or member.name not in expected:
            raise BackupError(f"the backup holds an unexpected entry {member.name!r}")
        if member.name in seen:
            raise BackupError(f"the backup holds {member.name!r} twice")
        seen.add(member.name)
        fh = tar.extractfile(member)
        assert fh is not None
        digest = _copy(fh, sink / member.name if sink else None)
        if digest != expected[member.name]["sha256"]:
            raise BackupError(f"{member.name} does not match its hash in the manifest: the backup was altered or damaged")
        m = _ARCHIVE_MEMBER.fullmatch(member.name)
        if m and m.group(3) != digest:
            raise BackupError(f"{member.name} does not hash to its own name: the backup was altered")
    missing = set(expected) - seen
    if missing:
        raise BackupError(f"the backup is missing {len(missing)} file(s) its manifest lists, e.g. {min(missing)}")


def _copy(fh: IO[bytes], dest: Path | None) -> str:
    h = hashlib.sha256()
    if dest is None:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
        return h.hexdigest()
    make_dirs(dest.parent)
    with open(dest, "xb") as out:
        os.chmod(dest, 0o600)
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()


def _verify_tar(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:") as tar:
            head = _members(tar)
        with tarfile.open(path, "r:") as tar:
            _walk_checked(tar, head, None)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"the backup file cannot be read: {exc}") from exc
    return head


def _extract_verified(src: Path, staging: Path) -> dict[str, Any]:
    try:
        with tarfile.open(src, "r:") as tar:
            head = _members(tar)
        make_dirs(staging)
        with tarfile.open(src, "r:") as tar:
            _walk_checked(tar, head, staging)
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"the backup file cannot be read: {exc}") from exc
    return head


def _check_database(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"the backed-up database cannot be opened: {exc}") from exc
    finally:
        conn.close()
    if result != "ok":
        raise BackupError("the backed-up database fails SQLite's integrity check")


def _file_sha(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
