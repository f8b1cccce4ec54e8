"""Outlook's rich-text wrapper (TNEF: ``winmail.dat``, ``application/ms-tnef``) opened into an
``OutlookItem``: its text and the files inside it, read like any other attachments.

Outlook sends a message in "Rich Text" as one opaque ``winmail.dat`` to a server that is not
Exchange; the form the social worker attached is inside it.  Read with tnefparse (LGPL-3.0, used
as a library and not modified), which decodes the TNEF attributes and MAPI properties; limits
(files, bytes) are ours.  A damaged file raises ``UnreadableAttachment`` and nothing else.
"""

from __future__ import annotations

import logging
import mimetypes
import struct

from ..config import Limits
from ..errors import DocumentError, UnreadableAttachment
from ..logs import safe_fields
from ..formats.htmltext import html_to_text
from .outlook import MAX_FILES, MAX_TEXT, OutlookFile, OutlookItem

__all__ = ["TNEF_MAGIC", "is_tnef", "read_tnef"]

log = logging.getLogger(__name__)
TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian ([MS-OXTNEF] 2.1.3.1)


def is_tnef(data: bytes) -> bool:
    return data.startswith(TNEF_MAGIC)


def read_tnef(filename: str, data: bytes, *, limits: Limits) -> OutlookItem:
    """The wrapped message's text and files; a file past the limits is counted as skipped."""
    if not is_tnef(data):
        raise UnreadableAttachment("the file is not an Outlook rich-text (TNEF) attachment")
    if not _whole(data):
        raise UnreadableAttachment("the Outlook rich-text attachment (winmail.dat) is cut short or damaged")
    try:
        from tnefparse import TNEF  # type: ignore[import-untyped]

        tnef = TNEF(data, do_checksum=True)
        files: list[OutlookFile] = []
        skipped, total = 0, 0
        for att in tnef.attachments:
            content = bytes(att.data or b"")
            name = _name(att)
            if not content:
                skipped += 1
                continue
            total += len(content)
            if len(files) >= MAX_FILES or total > limits.max_decompressed_bytes:
                skipped += 1
                continue
            files.append(OutlookFile(name, mimetypes.guess_type(name)[0] or "application/octet-stream", content))
        return OutlookItem(subject=_subject(tnef), sender=None, sender_name=None, sent=None,
                           body=_body(tnef)[:MAX_TEXT], files=tuple(files), items=(), skipped=skipped)
    except DocumentError:
        raise
    except Exception as exc:  # tnefparse raises ValueError, struct.error, IndexError... for a damaged file
        log.warning("tnef unreadable", extra=safe_fields(event="reader_failed", error_type=type(exc).__name__))
        raise UnreadableAttachment("the Outlook rich-text attachment (winmail.dat) is damaged and cannot be read") from exc


def _whole(data: bytes) -> bool:
    """Every attribute's declared length fits in the file.  tnefparse reads a truncated file
    without complaint (a form cut short would be read as a damaged .docx, or not at all), so
    the framing ([MS-OXTNEF] 2.1.3.3: level, id, length, data, checksum) is walked here first."""
    offset = 6
    while offset + 9 <= len(data):  # real files end with a stray byte or two (a line break): allowed
        (length,) = struct.unpack_from("<I", data, offset + 5)
        offset += 9 + length + 2
        if offset > len(data):
            return False
    return True


def _name(att: object) -> str:
    for getter in ("long_filename",):
        try:
            value = getattr(att, getter)()
        except Exception:  # noqa: BLE001 - a badly encoded name: fall back to the short one
            value = None
        if value:
            return str(value)
    raw = getattr(att, "name", None)
    if isinstance(raw, bytes):
        raw = raw.decode("cp1252", "replace")
    return str(raw).strip("\x00") if raw else "attachment"


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace") if _utf8(value) else value.decode("cp1252", "replace")
    return str(value) if value else ""


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _body(tnef: object) -> str:
    plain = _text(getattr(tnef, "body", None)).strip("\x00")
    if plain.strip():
        return plain
    html = _text(getattr(tnef, "htmlbody", None)).strip("\x00")
    return html_to_text(html) if html.strip() else ""


def _subject(tnef: object) -> str:
    for obj in getattr(tnef, "msgprops", ()):
        if getattr(obj, "name", None) == 0x8004 and isinstance(obj.data, str):
            return obj.data
    return ""
