"""``carepanel verify``: do the database, the archive and the mail folders tell one story?

Every message the service took in must be in the archive byte for byte and on the ledger;
every processed message must be exactly one submission; every file filed in ``processed/``
must be a message the ledger says was processed; SQLite must find its own file sound; and no
running service may be writing into a database file that was deleted or replaced under it.
A problem is described by ids and hashes only, never by a child's name or a file's contents.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import datadir
from . import health
from ..config import Config
from ..mailbox import registry
from ..mailbox.archive import Archive
from ..store import Store

# An original archived this recently may still be on its way to the ledger (archive comes first).
IN_FLIGHT_SECONDS = 15 * 60


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": self.problems, "counts": self.counts}


def verify(cfg: Config, *, now: float | None = None) -> Report:
    report = Report()
    now = time.time() if now is None else now
    pid = datadir.holder(cfg.data_dir)
    report.problems += health.database_problems(cfg, pid if pid and pid > 0 else None)
    if not cfg.db_path.exists():
        report.problems.append("database: there is no database file")
        return report
    with Store(cfg.db_path) as store:
        report.problems += [f"database: SQLite integrity check: {p}" for p in store.integrity_problems()[:20]]
        ledger = {m.sha256: (m.status, m.submission_id) for m in store.message_links()}
        submissions = store.submission_hashes()
    report.counts = {"ledger": len(ledger), "submissions": len(submissions)}
    _check_ledger(ledger, submissions, report)
    _check_archive(Archive(cfg.archive_dir), ledger, now, report)
    processed = registry.backend(cfg.mailbox.backend).local_processed(cfg)
    if processed is not None:
        _check_processed_folder(processed, ledger, report)
    return report


def _check_ledger(ledger: dict[str, tuple[str, str | None]], submissions: dict[str, str], report: Report) -> None:
    for sha, (status, sub) in ledger.items():
        if status == "processed" and (sub is None or sub not in submissions):
            report.problems.append(f"ledger: message {sha[:12]} is processed but its submission is missing")
    for sub, sha in submissions.items():
        if ledger.get(sha, ("", None))[0] != "processed":
            report.problems.append(f"submission {sub}: its message {sha[:12]} is not processed on the ledger")


def _check_archive(archive: Archive, ledger: dict[str, tuple[str, str | None]], now: float, report: Report) -> None:
    archived = 0
    for sha in archive.shas("message"):
        archived += 1
        path = archive.path(sha)
        if _sha_file(path) != sha:
            report.problems.append(f"archive: original {sha[:12]} no longer matches its hash")
        elif sha not in ledger and now - _mtime(path) > IN_FLIGHT_SECONDS:
            report.problems.append(f"archive: original {sha[:12]} is on no ledger entry")
    report.counts["archived"] = archived
    for sha in ledger:
        if not archive.exists(sha):
            report.problems.append(f"archive: message {sha[:12]} on the ledger has no original in the archive")


def _check_processed_folder(folder: Path, ledger: dict[str, tuple[str, str | None]], report: Report) -> None:
    filed = 0
    for path in _files(folder):
        filed += 1
        sha = _sha_file(path)
        if ledger.get(sha or "", ("", None))[0] != "processed":
            report.problems.append(f"mail folder: processed/{path.relative_to(folder).as_posix()} "
                                   f"({(sha or '?')[:12]}) is not a processed message on the ledger")
    report.counts["processed_files"] = filed


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def _sha_file(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
