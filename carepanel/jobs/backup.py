"""``carepanel backup FILE`` and ``carepanel restore FILE``.

One tar file holds a consistent copy of the database (SQLite's online backup API, so the
service may keep running), every stored original, and the signed records, packs and upload
folders, with a manifest of sha256s.  A backup is verified after it is written by reading it
back; a restore checks every hash before anything is put in place, and refuses a data directory
that is not empty, so a restore can never mix two histories.

The tar is then encrypted with age (pyrage, the Python binding of the maintained ``rage``
implementation; no cryptography of our own) to every public key in ``[backup] recipients``, so
a backup copied to a share or taken off site tells nobody anything about a child.  ``restore``
decrypts with ``--identity FILE`` (or ``[backup] identity_file``).  A plain tar is written only
when asked for with ``--plain``, and then with a warning; with no recipients configured and no
``--plain``, ``backup`` refuses rather than write children's records in the clear.

Written by hand on the standard library (tarfile, sqlite3) rather than a backup tool because the
consistency point is SQLite's own backup API and the check is our own content addressing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import datadir
from ..config import Config
from ..errors import CarepanelError
from ..mailbox.durable import make_dirs
from ..store import Store, file_integrity_problems

FORMAT = "carepanel-backup@1"
AGE_MAGIC = b"age-encryption.org/v1\n"
DB_NAME = "carepanel.db"
# What is kept besides the database: the originals and what the service made from them.
FOLDERS = ("archive", "decisions", "uploads", "packs")


class BackupError(CarepanelError):
    code = "backup_error"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp"):
                yield path.relative_to(root).as_posix(), path


def new_identity(path: Path) -> str:
    """Make an age key pair: the private key in ``path`` (0600), the public key returned."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    make_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"# public key: {identity.to_public()}\n{identity}\n")
    return str(identity.to_public())


def public_key(identity_file: Path) -> str:
    """The public key of the first age identity in ``identity_file``."""
    import pyrage

    for line in identity_file.read_text(encoding="ascii").splitlines():
        if line.strip().startswith("AGE-SECRET-KEY-"):
            return str(pyrage.x25519.Identity.from_str(line.strip()).to_public())
    raise BackupError(f"{identity_file.name} holds no age identity (AGE-SECRET-KEY-…)")


def backup(cfg: Config, target: Path, *, plain: bool = False) -> dict[str, Any]:
    """Write one verified backup of ``cfg.data_dir`` to ``target``: encrypted to ``[backup]
    recipients``, or a plain tar when ``plain`` is asked for."""
    if not cfg.db_path.exists():
        raise BackupError(f"there is nothing to back up: no database at {cfg.db_path}")
    if not plain and not cfg.backup_recipients:
        raise BackupError("no [backup] recipients are configured: give the age public key(s) backups are encrypted to, "
                          "or ask for an unencrypted backup with --plain")
    recipients = [] if plain else _recipients(cfg.backup_recipients)
    make_dirs(target.parent)
    with tempfile.TemporaryDirectory(prefix="carepanel-backup-", dir=target.parent) as tmp:
        snapshot = Path(tmp) / DB_NAME
        with Store(cfg.db_path) as store:
            store.backup_to(snapshot)  # SQLite's online backup API: consistent while the service writes
        manifest: dict[str, Any] = {"format": FORMAT, "made_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                    "profile": cfg.profile.name, "files": {}}
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            data = snapshot.read_bytes()
            manifest["files"][DB_NAME] = _sha(data)
            _add(tar, DB_NAME, data)
            for name, path in _files(cfg.data_dir):
                content = path.read_bytes()
                manifest["files"][name] = _sha(content)
                _add(tar, name, content)
            _add(tar, "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        checked = verify(partial)
        if recipients:
            partial = _encrypt(partial, recipients)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    return {"path": str(target), "files": checked, "bytes": target.stat().st_size, "encrypted": bool(recipients)}


def _recipients(keys: tuple[str, ...]) -> list[Any]:
    import pyrage

    try:
        return [pyrage.x25519.Recipient.from_str(k) for k in keys]
    except pyrage.RecipientError as exc:
        raise BackupError("a [backup] recipient is not a valid age public key") from exc


def _encrypt(plain: Path, recipients: list[Any]) -> Path:
    import pyrage

    sealed = plain.with_suffix(".age")
    pyrage.encrypt_file(str(plain), str(sealed), recipients)
    with open(sealed, "rb") as fh:
        os.fsync(fh.fileno())
    plain.unlink()
    return sealed


def encrypted(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(AGE_MAGIC)) == AGE_MAGIC


def _decrypt(source: Path, identity_file: Path | None, into: Path) -> Path:
    """The backup's tar, decrypted into ``into`` (a private staging folder)."""
    import pyrage

    if identity_file is None:
        raise BackupError(f"{source.name} is encrypted: give the private key with --identity FILE "
                          "(or [backup] identity_file)")
    try:
        lines = identity_file.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"cannot read the identity file {identity_file.name}") from exc
    try:
        identities = [pyrage.x25519.Identity.from_str(ln.strip()) for ln in lines if ln.strip().startswith("AGE-SECRET-KEY-")]
    except pyrage.IdentityError as exc:
        raise BackupError(f"{identity_file.name} holds no valid age identity") from exc
    if not identities:
        raise BackupError(f"{identity_file.name} holds no age identity (AGE-SECRET-KEY-…)")
    out = into / "backup.tar"
    try:
        pyrage.decrypt_file(str(source), str(out), identities)
    except pyrage.DecryptError as exc:  # the header: not for this key, or altered
        raise BackupError(f"{source.name} cannot be decrypted with this identity, or it has been altered") from exc
    except OSError as exc:  # the body (age authenticates every chunk), or the disk
        raise BackupError(f"{source.name} could not be decrypted to the end: it is damaged or has been altered "
                          f"({exc.strerror or exc})") from exc
    return out


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def verify(path: Path) -> int:
    """Read a backup back and check every member against the manifest; return the file count."""
    try:
        with tarfile.open(path, "r") as tar:
            manifest = _manifest(tar)
            seen = 0
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    continue
                _check_member(member, manifest)
                fh = tar.extractfile(member)
                if fh is None or _sha(fh.read()) != manifest["files"][member.name]:
                    raise BackupError(f"{path.name}: {member.name} does not match its recorded hash")
                seen += 1
    except (tarfile.TarError, OSError, ValueError, KeyError) as exc:
        raise BackupError(f"{path.name} is not a readable carepanel backup ({type(exc).__name__})") from exc
    if seen != len(manifest["files"]):
        raise BackupError(f"{path.name}: {len(manifest['files']) - seen} recorded files are missing")
    return seen


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    fh = tar.extractfile("manifest.json")
    if fh is None:
        raise BackupError("the backup has no manifest")
    manifest: dict[str, Any] = json.loads(fh.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _check_member(member: tarfile.TarInfo, manifest: dict[str, Any]) -> None:
    """Only regular files we recorded, inside the data directory: no links, no '..', no absolutes."""
    name = member.name
    if not member.isfile() or name.startswith("/") or ".." in Path(name).parts or name not in manifest["files"]:
        raise BackupError(f"the backup holds an unexpected entry: {name!r}")
    if name != DB_NAME and Path(name).parts[0] not in FOLDERS:
        raise BackupError(f"the backup holds an unexpected entry: {name!r}")


def restore(cfg: Config, source: Path, *, identity: Path | None = None) -> dict[str, Any]:
    """Rebuild an empty data directory from ``source``, every hash checked first; an encrypted
    backup is decrypted with ``identity`` (else ``[backup] identity_file``)."""
    data_dir = cfg.data_dir
    # The command's own log folder may already be there; anything else means another history.
    if data_dir.exists() and any(p.name != "logs" for p in data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty: restore only into an empty data directory")
    running = datadir.holder(data_dir)
    if running:
        raise BackupError(f"a carepanel service (pid {running}) is running on {data_dir}: stop it before restoring")
    make_dirs(data_dir.parent)
    if encrypted(source):
        with tempfile.TemporaryDirectory(prefix=".carepanel-decrypt-", dir=data_dir.parent) as tmp:
            return _restore_tar(cfg, _decrypt(source, identity or cfg.backup_identity_file, Path(tmp)))
    return _restore_tar(cfg, source)


def _restore_tar(cfg: Config, source: Path) -> dict[str, Any]:
    data_dir = cfg.data_dir
    count = verify(source)
    staging = Path(tempfile.mkdtemp(prefix=".carepanel-restore-", dir=data_dir.parent))
    try:
        with tarfile.open(source, "r") as tar:
            manifest = _manifest(tar)
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    continue
                _check_member(member, manifest)
                fh = tar.extractfile(member)
                assert fh is not None
                content = fh.read()
                if _sha(content) != manifest["files"][member.name]:
                    raise BackupError(f"{member.name} changed while restoring")
                dest = staging / member.name
                make_dirs(dest.parent)
                dest.write_bytes(content)
                os.chmod(dest, 0o600)
        _check_archive(staging)
        if file_integrity_problems(staging / DB_NAME):
            raise BackupError("the database in the backup fails SQLite's integrity check")
        make_dirs(data_dir)
        os.chmod(data_dir, 0o700)
        for item in staging.iterdir():
            os.replace(item, data_dir / item.name)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return {"data_dir": str(data_dir), "files": count}


def _check_archive(root: Path) -> None:
    """The archive is content-addressed: every original must still hash to its own name."""
    for path in (root / "archive").rglob("*") if (root / "archive").is_dir() else ():
        if path.is_file():
            stem = path.name.split(".")[0]
            if len(stem) == 64 and _sha(path.read_bytes()) != stem:
                raise BackupError(f"archived original {stem[:12]}… does not match its hash")
