"""The content-addressed archive of raw originals: every email byte for byte, and its files.

Archiving is the first thing that happens to a message (before parsing, before the ledger),
so nothing after it can lose the original.  A file's name is its sha256, which makes ``put``
idempotent, lets ``get`` prove the bytes are the ones that arrived, and keeps names free of
anything personal.  Layout: ``root/ab/cd/<sha256>.eml`` for messages, ``.bin`` for blobs
(attachment bytes), two levels of fan-out so no folder grows too large.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from ..errors import StoreError
from ..logs import safe_fields
from ..models import sha256_hex
from .durable import make_dirs, write_atomic

log = logging.getLogger(__name__)

Kind = Literal["message", "blob"]
SUFFIXES: dict[str, str] = {"message": ".eml", "blob": ".bin"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ArchiveCorrupt(StoreError):
    """An archived file no longer hashes to its name: the disk, or someone, changed it."""

    code = "archive_corrupt"


class Archive:
    """Raw originals kept under ``root``, named by their sha256."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str, kind: Kind = "message") -> Path:
        sha = _checked_sha(sha)
        return self.root / sha[:2] / sha[2:4] / f"{sha}{_suffix(kind)}"

    def exists(self, sha: str, kind: Kind = "message") -> bool:
        return self.path(sha, kind).is_file()

    def put(self, data: bytes, kind: Kind = "message") -> str:
        """Store ``data`` durably and return its sha256; storing it again is a no-op.

        An existing copy is re-hashed first: if it has rotted it is replaced by the good
        bytes in hand (atomically), rather than trusted because its name is right.
        """
        sha = sha256_hex(data)
        dest = self.path(sha, kind)
        if dest.is_file():
            if _file_sha(dest) == sha:
                return sha
            log.warning("archived copy was corrupt; rewritten", extra=safe_fields(
                event="archive_repaired", message_sha256=sha))
        make_dirs(dest.parent)
        write_atomic(dest, data)
        return sha

    def get(self, sha: str, kind: Kind = "message") -> bytes:
        """The archived bytes, proven by their hash; ``FileNotFoundError`` if never stored."""
        data = self.path(sha, kind).read_bytes()
        if sha256_hex(data) != sha.lower():
            raise ArchiveCorrupt(f"archived {kind} {sha} does not match its hash")
        return data

    def shas(self, kind: Kind = "message") -> Iterator[str]:
        """Every sha256 stored of this kind (for backups and audits), in no particular order."""
        suffix = _suffix(kind)
        for path in self.root.glob(f"[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*{suffix}"):
            stem = path.name[: -len(suffix)]
            if _SHA256.fullmatch(stem):
                yield stem


def _checked_sha(sha: str) -> str:
    """Only a real sha256 becomes a path: no traversal through a crafted "hash"."""
    sha = sha.lower()
    if not _SHA256.fullmatch(sha):
        raise ValueError("not a sha256 hex digest")
    return sha


def _suffix(kind: str) -> str:
    try:
        return SUFFIXES[kind]
    except KeyError:
        raise ValueError(f"archive kind must be one of {sorted(SUFFIXES)}, not {kind!r}") from None


def _file_sha(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
