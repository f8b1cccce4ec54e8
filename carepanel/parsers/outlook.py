"""Outlook items saved as ``.msg`` files: who sent them, when, what they say, what they carry.

A manager's approval often reaches the panel as an Outlook item the social worker dragged
into her email.  Its text is evidence of a forwarded approval and its files are papers like
any others, so ``read_outlook`` turns the file into an ``OutlookItem``: plain data, picklable,
so that it can come back from the sandboxed reader (``sandbox.py``), where it is read.

Read with python-oxmsg (MIT) over olefile (BSD), not extract-msg (GPL-3.0, which an
Apache-2.0 project cannot take as a runtime dependency).  python-oxmsg loads the compound
file's storages and decodes the property entries; what it leaves out is written here:

- an embedded item (an attachment of method 5, ``__substg1.0_3701000D``), whose property
  stream has a 24-byte header, not the top-level 32 ([MS-OXMSG] 2.4.1.2), read to ``MAX_DEPTH``;
- the sender: the SMTP address, not the Exchange X.500 one (``PR_SENDER_SMTP_ADDRESS``, then
  ``PR_SENDER_EMAIL_ADDRESS`` when its type is SMTP, then ``PR_SENT_REPRESENTING_*``, then
  the ``From:`` of the transport headers);
- strings decoded leniently: PtypString8 (001E) in the item's code page, else Windows-1252;
  a stray terminator or a bad byte is not a reason to lose the text.

Vetted first (``vet``), then limited: the directory's declared stream sizes are summed before
anything is read (``limits.max_decompressed_bytes``), and the number of files and items too.
A damaged, truncated or not-really-Outlook file raises ``UnreadableAttachment``; nothing else
leaves ``read_outlook`` for bad input.  An RTF-only body (``PR_RTF_COMPRESSED`` without
``PR_BODY``, which Outlook itself always writes) is not read: the item then has no text.
"""

from __future__ import annotations

import io
import logging
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.parser import HeaderParser
from email.utils import getaddresses

import olefile
from oxmsg.domain import encodings
from oxmsg.storage import Storage

from ..config import Limits
from ..errors import DocumentError, UnreadableAttachment
from ..logs import safe_fields
from ..formats.htmltext import html_to_text
from .vet import vet

__all__ = ["MAX_DEPTH", "MAX_FILES", "OutlookFile", "OutlookItem", "read_outlook", "walk"]

log = logging.getLogger(__name__)

MAX_DEPTH = 5  # items within items; a real forward chain saved as .msg is two or three deep
MAX_FILES = 200  # files across the item and every item inside it
MAX_ENTRIES = 10_000  # directory entries; an item with a few dozen attachments has hundreds
MAX_TEXT = 1_000_000  # characters of body kept; an approval is a few lines

PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x001E, 0x001F, 0x0102, 0x000D
PT_LONG, PT_SYSTIME = 0x0003, 0x0040
TOP_HEADER, EMBEDDED_HEADER, CHILD_HEADER = 32, 24, 8

SUBJECT, BODY, HTML = 0x0037, 0x1000, 0x1013
SENDER_NAME, SENDER_EMAIL, SENDER_ADDRTYPE, SENDER_SMTP = 0x0C1A, 0x0C1F, 0x0C1E, 0x5D01
REPR_NAME, REPR_EMAIL, REPR_ADDRTYPE, REPR_SMTP = 0x0042, 0x0065, 0x0064, 0x5D02
SUBMIT_TIME, DELIVERY_TIME = 0x0039, 0x0E06
HEADERS, MESSAGE_CODEPAGE, INTERNET_CODEPAGE = 0x007D, 0x3FFD, 0x3FDE
ATTACH_DATA, ATTACH_FILENAME, ATTACH_LONG_FILENAME, ATTACH_METHOD, ATTACH_MIME = 0x3701, 0x3704, 0x3707, 0x3705, 0x370E
BY_VALUE, EMBEDDED_MSG = 1, 5

_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")


@dataclass(frozen=True)
class OutlookFile:
    """A file attached to an Outlook item, by value."""

    filename: str  # as the item names it: made safe by whoever stores it
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutlookItem:
    """One Outlook item, and the items attached to it."""

    subject: str
    sender: str | None  # lower-cased SMTP address, None when the item records none
    sender_name: str | None
    sent: datetime | None  # when it was sent, else when it was delivered
    body: str  # the plain text, else the HTML body as text
    files: tuple[OutlookFile, ...]
    items: tuple[OutlookItem, ...]
    skipped: int = 0  # attachments not read: by reference, OLE objects, or past the limits


def read_outlook(filename: str, data: bytes, *, limits: Limits) -> OutlookItem:
    """The item in ``data`` (a ``.msg``, or a TNEF ``winmail.dat``); raises ``UnreadableAttachment`` (or ``UnsafeAttachment`` from the
    vetting) and nothing else for a bad file."""
    kind = vet(filename, data, limits)
    if kind == "tnef":  # Outlook's rich-text wrapper (winmail.dat): its text and files
        from .tnef import read_tnef

        return read_tnef(filename, data, limits=limits)
    if kind == "ole":  # a compound file without an item's parts in it: cut short, or damaged
        raise UnreadableAttachment("the Outlook message is damaged or incomplete and cannot be read")
    if kind != "msg":
        raise UnreadableAttachment("the file is not an Outlook message")
    try:
        root = _load(data, limits)
        return _Reader().item(root, TOP_HEADER, depth=0)
    except DocumentError:
        raise
    except Exception as exc:  # olefile and python-oxmsg raise many kinds for a damaged file
        log.warning("outlook item unreadable", extra=safe_fields(event="reader_failed", error_type=type(exc).__name__))
        raise UnreadableAttachment("the Outlook message is damaged and cannot be read") from exc


def walk(item: OutlookItem) -> Iterator[OutlookFile]:
    """Every file in the item, then in each item inside it, in order."""
    yield from item.files
    for inner in item.items:
        yield from walk(inner)


def _load(data: bytes, limits: Limits) -> Storage:
    if len(data) < 1536:  # a header, a directory sector and a FAT sector at the very least
        raise UnreadableAttachment("the Outlook message is truncated")
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        entries = [e for e in ole.direntries if e is not None]
        if len(entries) > MAX_ENTRIES:
            raise UnreadableAttachment(f"the Outlook message has {len(entries)} parts, more than any message has")
        declared = sum(e.size for e in entries if e.entry_type == olefile.STGTY_STREAM)
        if declared > limits.max_decompressed_bytes:
            raise UnreadableAttachment("the Outlook message's parts add up to more than the size limit")
        if not ole.exists("__properties_version1.0"):
            raise UnreadableAttachment("the Outlook message is damaged: its message properties cannot be found")
        return Storage.from_ole(ole)
    finally:
        ole.close()


@dataclass(frozen=True)
class _Prop:
    ptype: int
    value: bytes  # the 8-byte value field


class _Props:
    """The property entries of one storage, and its streams, read leniently."""

    def __init__(self, storage: Storage, header: int, codepage: str | None = None) -> None:
        self.storage = storage
        self.streams = {s.name: s.bytes_ for s in storage.streams}
        raw = self.streams.get("__properties_version1.0")
        if raw is None:
            raise UnreadableAttachment("a part of the Outlook message has no properties")
        self.props: dict[int, _Prop] = {}
        for off in range(header, len(raw) - 15, 16):
            ptype, pid = struct.unpack_from("<HH", raw, off)
            self.props.setdefault(pid, _Prop(ptype, raw[off + 8:off + 16]))
        self.codepage = codepage or self._codepage(MESSAGE_CODEPAGE) or "cp1252"
        self.body_codepage = self._codepage(INTERNET_CODEPAGE) or self.codepage

    def _codepage(self, pid: int) -> str | None:
        number = self.long(pid)
        if number is None:
            return None
        try:
            return encodings.encoding_from_codepage(number)
        except Exception:  # noqa: BLE001 - an unknown code page: Windows-1252, as Outlook in England uses
            return None

    def long(self, pid: int) -> int | None:
        prop = self.props.get(pid)
        if prop is None or prop.ptype != PT_LONG:
            return None
        return int(struct.unpack("<I", prop.value[:4])[0])

    def time(self, pid: int) -> datetime | None:
        prop = self.props.get(pid)
        if prop is None or prop.ptype != PT_SYSTIME:
            return None
        ticks = int(struct.unpack("<Q", prop.value)[0])
        try:
            when = datetime(1601, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=ticks // 10_000_000)
        except OverflowError:
            return None
        return when if 1970 <= when.year <= 2200 else None

    def string(self, pid: int, codepage: str | None = None) -> str | None:
        prop = self.props.get(pid)
        if prop is None:
            return None
        data = self.streams.get(f"__substg1.0_{pid:04X}{prop.ptype:04X}")
        if data is None:
            return None
        if prop.ptype == PT_UNICODE:
            text = data[: len(data) & ~1].decode("utf-16-le", "replace")
        elif prop.ptype in (PT_STRING8, PT_BINARY):
            text = _decode8(data, codepage or self.codepage)
        else:
            return None
        return text.replace("\x00", "")

    def binary(self, pid: int) -> bytes | None:
        prop = self.props.get(pid)
        if prop is None or prop.ptype != PT_BINARY:
            return None
        return self.streams.get(f"__substg1.0_{pid:04X}{PT_BINARY:04X}")

    def substorage(self, pid: int) -> Storage | None:
        name = f"__substg1.0_{pid:04X}{PT_OBJECT:04X}"
        return next((s for s in self.storage.storages if s.name == name), None)


def _decode8(data: bytes, codepage: str) -> str:
    for name in (codepage, "cp1252"):
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace")


class _Reader:
    def __init__(self) -> None:
        self.files = 0

    def item(self, storage: Storage, header: int, *, depth: int) -> OutlookItem:
        props = _Props(storage, header)
        files: list[OutlookFile] = []
        items: list[OutlookItem] = []
        skipped = 0
        attachments = sorted((s for s in storage.storages if s.name.startswith("__attach_version1.0_#")), key=lambda s: s.name)
        for att_storage in attachments:
            att = _Props(att_storage, CHILD_HEADER, props.codepage)
            method = att.long(ATTACH_METHOD)
            inner = att.substorage(ATTACH_DATA) if method == EMBEDDED_MSG else None
            if inner is not None:
                if depth + 1 > MAX_DEPTH:
                    raise UnreadableAttachment(f"the Outlook message holds messages nested more than {MAX_DEPTH} deep")
                items.append(self.item(inner, EMBEDDED_HEADER, depth=depth + 1))
                continue
            data = att.binary(ATTACH_DATA) if method in (None, BY_VALUE) else None
            if data is None or self.files >= MAX_FILES:
                skipped += 1
                continue
            self.files += 1
            filename = att.string(ATTACH_LONG_FILENAME) or att.string(ATTACH_FILENAME) or "attachment.bin"
            files.append(OutlookFile(filename, att.string(ATTACH_MIME) or "application/octet-stream", data))
        name, address = _sender(props)
        return OutlookItem(
            subject=" ".join((props.string(SUBJECT) or "").split()),
            sender=address,
            sender_name=name,
            sent=props.time(SUBMIT_TIME) or props.time(DELIVERY_TIME),
            body=_body(props)[:MAX_TEXT],
            files=tuple(files),
            items=tuple(items),
            skipped=skipped,
        )


def _body(props: _Props) -> str:
    text = props.string(BODY, props.body_codepage)
    if text and text.strip():
        return text.replace("\r\n", "\n").replace("\r", "\n")
    html = props.string(HTML, props.body_codepage)
    return html_to_text(html) if html and html.strip() else ""


def _sender(props: _Props) -> tuple[str | None, str | None]:
    """(display name, SMTP address): Exchange records its own X.500 address in the plain
    sender field, so the SMTP fields come first, then the transport headers."""
    candidates = [
        props.string(SENDER_SMTP),
        props.string(SENDER_EMAIL) if (props.string(SENDER_ADDRTYPE) or "SMTP").upper() == "SMTP" else None,
        props.string(REPR_SMTP),
        props.string(REPR_EMAIL) if (props.string(REPR_ADDRTYPE) or "SMTP").upper() == "SMTP" else None,
    ]
    name = (props.string(SENDER_NAME) or props.string(REPR_NAME) or "").strip() or None
    headers = props.string(HEADERS)
    if headers:
        parsed = getaddresses(HeaderParser().parsestr(headers).get_all("From") or [])
        candidates.extend(addr for _, addr in parsed)
        if name is None and parsed and parsed[0][0]:
            name = parsed[0][0]
    for candidate in candidates:
        address = (candidate or "").strip().strip("<>").lower()
        if _ADDRESS.fullmatch(address):
            return name, address
    return name, None
