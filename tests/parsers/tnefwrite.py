"""A minimal TNEF (winmail.dat) writer for tests, following [MS-OXTNEF] 2.1.3: the signature,
a key, then attributes (level, id, length, data, checksum).  Only what Outlook writes for a
rich-text message with files: the version, OEM code page, subject, body, and per file its
rendering data, title and data.  No library writes TNEF; tnefparse reads it back."""

from __future__ import annotations

import struct

MESSAGE, ATTACHMENT = 0x01, 0x02


def _attr(level: int, ident: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", checksum)


def tnef(subject: str, body: str, files: list[tuple[str, bytes]]) -> bytes:
    out = [struct.pack("<IH", 0x223E9F78, 0x0001)]
    out.append(_attr(MESSAGE, 0x00089006, struct.pack("<I", 0x00010000)))  # attTnefVersion
    out.append(_attr(MESSAGE, 0x00069007, struct.pack("<II", 1252, 0)))    # attOemCodepage
    out.append(_attr(MESSAGE, 0x00078008, b"IPM.Microsoft Mail.Note\x00"))  # attMessageClass
    out.append(_attr(MESSAGE, 0x00018004, subject.encode("cp1252") + b"\x00"))  # attSubject
    out.append(_attr(MESSAGE, 0x0002800C, body.encode("cp1252")))          # attBody
    for name, data in files:
        out.append(_attr(ATTACHMENT, 0x00069002, struct.pack("<HiiiHI", 1, -1, 0, 0, 0, 0)))  # attAttachRendData
        out.append(_attr(ATTACHMENT, 0x00018010, name.encode("cp1252") + b"\x00"))  # attAttachTitle
        out.append(_attr(ATTACHMENT, 0x0006800F, data))                     # attAttachData
    return b"".join(out)
