"""Writing Outlook .msg files for the tests: no permissively licensed library writes them.

Two layers, each following its Microsoft specification:

- ``cfb``: a Compound File Binary file, version 3 ([MS-CFB]): 512-byte sectors, a FAT whose
  sectors the header's DIFAT lists (so files up to about 7 MB), a directory of 128-byte
  entries whose siblings form a binary search tree (all black: readers do not check colours),
  and a mini stream with its own MiniFAT for streams under the 4096-byte cut-off.
- ``msg``: the storages and streams of an Outlook item ([MS-OXMSG]): ``__properties_version1.0``
  (header, then one 16-byte entry per property), ``__substg1.0_XXXXYYYY`` streams for strings
  and binaries, ``__recip_version1.0_#N`` and ``__attach_version1.0_#N`` storages, an
  embedded message as the ``__substg1.0_3701000D`` storage of an attachment (method 5), and the
  ``__nameid_version1.0`` storage every top-level item has.

Strings are written as PtypString (001F, UTF-16LE) or, with ``ansi=True``, as PtypString8
(001E) in Windows-1252 with ``PR_MESSAGE_CODEPAGE`` saying so.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


# --------------------------------------------------------------------------- CFB


@dataclass
class _Node:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Node] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = END
    size: int = 0


def _tree(entries: dict[str, object], name: str, kind: int) -> _Node:
    node = _Node(name, kind)
    for key, value in entries.items():
        if isinstance(value, dict):
            node.children.append(_tree(value, key, 1))
        else:
            assert isinstance(value, bytes)
            node.children.append(_Node(key, 2, value))
    return node


def _flatten(root: _Node) -> list[_Node]:
    out: list[_Node] = []

    def visit(node: _Node) -> None:
        node.sid = len(out)
        out.append(node)
        for kid in node.children:
            visit(kid)

    visit(root)
    return out


def _link_siblings(node: _Node) -> None:
    """A storage's children as a balanced binary search tree, in [MS-CFB]'s name order."""
    kids = sorted(node.children, key=lambda n: (len(n.name), n.name.upper()))

    def build(lo: int, hi: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        kids[mid].left = build(lo, mid)
        kids[mid].right = build(mid + 1, hi)
        return kids[mid].sid

    node.child = build(0, len(kids))
    for kid in node.children:
        _link_siblings(kid)


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else END


def cfb(entries: dict[str, object]) -> bytes:
    """A compound file holding ``entries``: name -> bytes (a stream) or dict (a storage)."""
    root = _tree(entries, "Root Entry", 5)
    nodes = _flatten(root)
    _link_siblings(root)
    streams = [n for n in nodes if n.kind == 2]

    mini = bytearray()
    minifat: list[int] = []
    big: list[_Node] = []
    for n in streams:
        n.size = len(n.data)
        if n.size == 0:
            n.start = END
        elif n.size < CUTOFF:
            n.start = len(mini) // MINI
            count = -(-n.size // MINI)
            minifat.extend(n.start + i + 1 if i < count - 1 else END for i in range(count))
            mini += n.data + b"\0" * (count * MINI - n.size)
        else:
            big.append(n)

    sectors: list[bytes] = []

    def place(data: bytes) -> tuple[int, int]:
        count = -(-len(data) // SECTOR)
        first = len(sectors)
        padded = data + b"\0" * (count * SECTOR - len(data))
        sectors.extend(padded[i * SECTOR:(i + 1) * SECTOR] for i in range(count))
        return first, count

    runs: list[tuple[int, int]] = []
    for n in big:
        n.start, count = place(n.data)
        runs.append((n.start, count))
    if mini:
        root.start, count = place(bytes(mini))
        root.size = len(mini)
        runs.append((root.start, count))
    minifat_start, minifat_count = END, 0
    if minifat:
        minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
        minifat_bytes += struct.pack("<I", FREE) * ((-len(minifat)) % (SECTOR // 4))
        minifat_start, minifat_count = place(minifat_bytes)
        runs.append((minifat_start, minifat_count))
    directory = b"".join(_entry(n) for n in nodes)
    directory += _empty_entry() * ((-len(nodes)) % (SECTOR // 128))
    dir_start, dir_count = place(directory)
    runs.append((dir_start, dir_count))

    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    assert n_fat <= 109, "the test writer keeps every FAT sector in the header's DIFAT"
    fat_start = len(sectors)
    fat = [FREE] * (n_fat * (SECTOR // 4))
    for first, count in runs:
        _chain(fat, first, count)
    for i in range(n_fat):
        fat[fat_start + i] = FATSECT
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    place(fat_bytes)

    difat = [fat_start + i for i in range(n_fat)] + [FREE] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x003E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, n_fat, dir_start, 0, CUTOFF, minifat_start, minifat_count, END, 0,
    ) + b"".join(struct.pack("<I", v) for v in difat)
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _entry(n: _Node) -> bytes:
    name = n.name.encode("utf-16-le") + b"\0\0"
    assert len(name) <= 64
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name), n.kind, 1, n.left, n.right, n.child if n.kind != 2 else NOSTREAM,
        b"\0" * 16, 0, 0, 0, n.start if (n.kind == 2 or n.kind == 5) else 0, n.size,
    )


def _empty_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)


# --------------------------------------------------------------------------- MSG

PT_LONG, PT_BOOLEAN, PT_SYSTIME, PT_OBJECT = 0x0003, 0x000B, 0x0040, 0x000D
PT_STRING8, PT_UNICODE, PT_BINARY = 0x001E, 0x001F, 0x0102


@dataclass
class MsgAttachment:
    filename: str
    data: bytes = b""
    mime: str = "application/octet-stream"
    embedded: MsgItem | None = None  # an Outlook item attached as an item (method 5)


@dataclass
class MsgItem:
    subject: str = ""
    sender_name: str = ""
    sender_email: str = ""  # PR_SENDER_EMAIL_ADDRESS (an X.500 address when addrtype is EX)
    sender_smtp: str = ""  # PR_SENDER_SMTP_ADDRESS
    addrtype: str = "SMTP"
    representing_email: str = ""  # PR_SENT_REPRESENTING_EMAIL_ADDRESS
    sent: datetime | None = None
    delivered: datetime | None = None
    body: str | None = None
    html: str | None = None
    ansi: bool = False
    to: tuple[str, ...] = ()
    attachments: list[MsgAttachment] = field(default_factory=list)


def _filetime(when: datetime) -> int:
    epoch = datetime(1601, 1, 1, tzinfo=timezone.utc)
    return int((when - epoch).total_seconds()) * 10_000_000


class _Props:
    def __init__(self, ansi: bool) -> None:
        self.ansi = ansi
        self.entries: list[bytes] = []
        self.streams: dict[str, object] = {}

    def fixed(self, pid: int, ptype: int, value: int) -> None:
        self.entries.append(struct.pack("<HHIQ", ptype, pid, 6, value))

    def string(self, pid: int, text: str) -> None:
        if self.ansi:
            data, ptype, term = text.encode("cp1252"), PT_STRING8, 1
        else:
            data, ptype, term = text.encode("utf-16-le"), PT_UNICODE, 2
        self.variable(pid, ptype, data, len(data) + term)

    def binary(self, pid: int, data: bytes) -> None:
        self.variable(pid, PT_BINARY, data, len(data))

    def variable(self, pid: int, ptype: int, data: bytes, size: int) -> None:
        self.entries.append(struct.pack("<HHIII", ptype, pid, 6, size, 0))
        self.streams[f"__substg1.0_{pid:04X}{ptype:04X}"] = data

    def stream(self, header: bytes) -> bytes:
        return header + b"".join(self.entries)


def _message_storage(item: MsgItem, *, top: bool) -> dict[str, object]:
    p = _Props(item.ansi)
    p.string(0x001A, "IPM.Note")
    p.string(0x0037, item.subject)
    if item.ansi:
        p.fixed(0x3FFD, PT_LONG, 1252)  # PR_MESSAGE_CODEPAGE
        p.fixed(0x3FDE, PT_LONG, 1252)  # PR_INTERNET_CPID
    else:
        p.fixed(0x340D, PT_LONG, 0x00040000)  # PR_STORE_SUPPORT_MASK: STORE_UNICODE_OK
    if item.sender_name:
        p.string(0x0C1A, item.sender_name)
        p.string(0x0042, item.sender_name)  # PR_SENT_REPRESENTING_NAME
    if item.sender_email:
        p.string(0x0C1F, item.sender_email)
        p.string(0x0C1E, item.addrtype)
    if item.sender_smtp:
        p.string(0x5D01, item.sender_smtp)
    if item.representing_email:
        p.string(0x0065, item.representing_email)
    if item.sent:
        p.fixed(0x0039, PT_SYSTIME, _filetime(item.sent))
    if item.delivered:
        p.fixed(0x0E06, PT_SYSTIME, _filetime(item.delivered))
    if item.body is not None:
        p.string(0x1000, item.body)
    if item.html is not None:
        p.binary(0x1013, item.html.encode("cp1252" if item.ansi else "utf-8"))
        if not item.ansi:
            p.fixed(0x3FDE, PT_LONG, 65001)
    storage: dict[str, object] = dict(p.streams)
    for i, address in enumerate(item.to):
        r = _Props(item.ansi)
        r.string(0x3001, address)
        r.string(0x3003, address)
        r.fixed(0x0C15, PT_LONG, 1)  # PR_RECIPIENT_TYPE: To
        storage[f"__recip_version1.0_#{i:08X}"] = {**r.streams, "__properties_version1.0": r.stream(b"\0" * 8)}
    for i, att in enumerate(item.attachments):
        a = _Props(item.ansi)
        a.string(0x3707, att.filename)
        a.string(0x3704, att.filename[:12])
        a.string(0x370E, att.mime)
        a.fixed(0x0E21, PT_LONG, i)
        entries: dict[str, object]
        if att.embedded is not None:
            a.fixed(0x3705, PT_LONG, 5)  # ATTACH_EMBEDDED_MSG
            a.entries.append(struct.pack("<HHIII", PT_OBJECT, 0x3701, 6, 0xFFFFFFFF, 0))
            entries = {**a.streams, "__substg1.0_3701000D": _message_storage(att.embedded, top=False)}
        else:
            a.fixed(0x3705, PT_LONG, 1)  # ATTACH_BY_VALUE
            a.binary(0x3701, att.data)
            entries = dict(a.streams)
        entries["__properties_version1.0"] = a.stream(b"\0" * 8)
        storage[f"__attach_version1.0_#{i:08X}"] = entries
    n_r, n_a = len(item.to), len(item.attachments)
    header = struct.pack("<8xIIII", n_r, n_a, n_r, n_a) + (b"\0" * 8 if top else b"")
    storage["__properties_version1.0"] = p.stream(header)
    if top:
        storage["__nameid_version1.0"] = {
            "__substg1.0_00020102": b"", "__substg1.0_00030102": b"", "__substg1.0_00040102": b"",
        }
    return storage


def msg(item: MsgItem) -> bytes:
    """The bytes of ``item`` saved as an Outlook .msg file."""
    return cfb(_message_storage(item, top=True))
