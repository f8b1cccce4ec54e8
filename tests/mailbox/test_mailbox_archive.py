"""The archive of originals: content-addressed, idempotent, durable, and honest about rot."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from carepanel.mailbox import Archive, ArchiveCorrupt

RAW = b"From: sam.carter@example.gov.uk\r\nSubject: x\r\n\r\nbody\r\n"
SHA = hashlib.sha256(RAW).hexdigest()


def test_put_writes_a_fanned_out_file_named_by_hash(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    assert archive.put(RAW) == SHA
    path = tmp_path / "archive" / SHA[:2] / SHA[2:4] / f"{SHA}.eml"
    assert archive.path(SHA) == path and path.read_bytes() == RAW
    assert archive.exists(SHA) and not archive.exists(SHA, "blob")
    assert archive.get(SHA) == RAW
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0  # not readable by other accounts
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_put_is_idempotent(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    archive.put(RAW)
    before = archive.path(SHA).stat().st_mtime_ns
    assert archive.put(RAW) == SHA
    assert archive.path(SHA).stat().st_mtime_ns == before


def test_blobs_use_their_own_suffix(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    sha = archive.put(b"%PDF-1.7", kind="blob")
    assert archive.path(sha, "blob").name == f"{sha}.bin"
    assert archive.get(sha, "blob") == b"%PDF-1.7"
    assert list(archive.shas("blob")) == [sha] and list(archive.shas()) == []


def test_get_detects_corruption(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    archive.put(RAW)
    archive.path(SHA).write_bytes(RAW.replace(b"body", b"bodY"))
    with pytest.raises(ArchiveCorrupt, match=SHA):
        archive.get(SHA)


def test_put_repairs_a_corrupt_copy(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    archive.put(RAW)
    archive.path(SHA).write_bytes(b"rotten")
    assert archive.put(RAW) == SHA
    assert archive.get(SHA) == RAW


def test_get_of_something_never_stored(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Archive(tmp_path).get(SHA)


@pytest.mark.parametrize("sha", ["../../etc/passwd", "ab", "g" * 64, SHA + "0"])
def test_only_real_hashes_become_paths(tmp_path: Path, sha: str) -> None:
    with pytest.raises(ValueError):
        Archive(tmp_path).path(sha)


def test_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        Archive(tmp_path).put(RAW, kind="exe")  # type: ignore[arg-type]


def test_fsync_file_before_rename_then_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    Archive(tmp_path / "new").put(RAW)
    first_file = events.index("fsync-file")
    assert events[first_file:first_file + 3] == ["fsync-file", "rename", "fsync-dir"]
    assert events.count("fsync-dir") >= 3  # the new fan-out folders' names are made durable too


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    archive = Archive(tmp_path)
    with pytest.raises(OSError, match="No space"):
        archive.put(RAW)
    assert not archive.exists(SHA)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
