"""Attachment names made safe to show, store and write to disk.

A file name in an email is chosen by whoever sent it.  It may carry a path
(``../../etc/passwd``), a Windows device name (``CON``), control or bidi characters that
disguise the real extension (``form\u202excod.exe``), or be encoded (RFC 2231, RFC 2047).
Everything downstream (the web app, the pack, the upload folder) uses only this cleaned name.
"""

from __future__ import annotations

import re
import unicodedata

from .encoding import decode_words, scrub

DEFAULT_NAME = "attachment.bin"
MAX_NAME_BYTES = 200  # UTF-8 bytes; filesystems allow 255, leaving room for "-12" and ".reason.txt"
_WINDOWS_FORBIDDEN = str.maketrans({c: "_" for c in '<>:"|?*'})
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def safe_filename(name: str | None, default: str = DEFAULT_NAME) -> str:
    """The last path component of ``name``, with nothing in it that a filesystem or a
    reader could misread; ``default`` when nothing usable is left."""
    if not name:
        return default
    text = decode_words(name)
    text = unicodedata.normalize("NFC", scrub(text))
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")  # controls, bidi, unassigned
    parts = [p for p in re.split(r"[/\\]", text) if p.strip(" .")]
    text = parts[-1] if parts else ""
    text = " ".join(text.translate(_WINDOWS_FORBIDDEN).split()).strip(" .")
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text = "_" + text
    return _capped(text) or default


def _capped(text: str) -> str:
    if len(text.encode("utf-8")) <= MAX_NAME_BYTES:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 16 or not stem:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    return stem + suffix
