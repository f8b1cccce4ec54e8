"""A file's true type from its first bytes, never from its name.

Returns a short name: ``pdf``, ``docx``, ``docm``, ``xlsx``, ``pptx``, ``odt``, ``ods``,
``zip``, ``doc``, ``xls``, ``ppt``, ``msg``, ``ooxml_encrypted``, ``ole``, ``rtf``, ``png``,
``jpeg``, ``gif``, ``tiff``, ``tnef``, ``eml``, ``html``, ``exe``, ``elf``, ``macho``, ``script``,
``text``, or ``None`` when the bytes say nothing recognisable.  OLE2 files are told apart
by the names in their directory (UTF-16 in the file), without a full OLE parser.
"""

from __future__ import annotations

import io
import re
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
SIMPLE_MAGICS = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"MZ", "exe"),
    (b"\x7fELF", "elf"),
    (b"\xfe\xed\xfa\xce", "macho"),
    (b"\xfe\xed\xfa\xcf", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xcf\xfa\xed\xfe", "macho"),
    (b"\xca\xfe\xba\xbe", "macho"),
    (b"#!", "script"),
    (b"{\\rtf", "rtf"),
    (b"\x78\x9f\x3e\x22", "tnef"),  # Outlook's rich-text wrapper, winmail.dat
)
OLE_KINDS = (  # first match wins
    ("EncryptionInfo", "ooxml_encrypted"),
    ("EncryptedPackage", "ooxml_encrypted"),
    ("WordDocument", "doc"),
    ("__substg1.0_", "msg"),
    ("__properties_version1.0", "msg"),
    ("Workbook", "xls"),
    ("PowerPoint Document", "ppt"),
)
# Every top-level Outlook item has both ([MS-OXMSG] 2.2.3, 2.4); other OLE files have neither.
OUTLOOK_NAMES = ("__nameid_version1.0", "__properties_version1.0")
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
EMAIL_HEADERS = re.compile(
    rb"^(received|return-path|from|to|subject|date|message-id|mime-version|delivered-to|x-[\w-]+|"
    rb"content-type|reply-to|cc|thread-topic|authentication-results):[ \t]",
    re.I | re.M,
)
SCRIPT_STARTS = re.compile(rb"^\s*(?:@echo off|<job\b|<script\b|<hta:application|powershell\b|set \w+=|wscript\.)", re.I)


def sniff_format(data: bytes) -> str | None:
    head = data[:8]
    if data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if head.startswith(ZIP_MAGICS):
        return _zip_kind(data)
    if head == OLE_MAGIC:
        return ole_kind(data)
    for magic, kind in SIMPLE_MAGICS:
        if data.startswith(magic):
            return kind
    return _text_kind(data[:4096])


def ole_kind(data: bytes) -> str:
    if all(n.encode("utf-16-le") in data for n in OUTLOOK_NAMES):
        return "msg"  # first: an Outlook item carrying a .doc or an encrypted file holds its names too
    for name, kind in OLE_KINDS:
        if name.encode("utf-16-le") in data:
            return kind
    return "ole"


def ole_has_macros(data: bytes) -> bool:
    return any(n.encode("utf-16-le") in data for n in ("_VBA_PROJECT", "VBA\x00", "Macros"))


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            if "mimetype" in names:
                mime = zf.read(names["mimetype"])[:100].decode("ascii", "replace").strip()
                return ODF_TYPES.get(mime, "zip")
            if "[content_types].xml" in names:
                info = zf.getinfo(names["[content_types].xml"])
                types = zf.read(info).decode("utf-8", "replace") if info.file_size < 1_000_000 else ""
                return _ooxml_kind(types, names)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return "zip"
    return "zip"


def _ooxml_kind(types: str, names: dict[str, str]) -> str:
    lowered = types.lower()
    if "macroenabled" in lowered or any(n.endswith("vbaproject.bin") for n in names):
        return "docm" if "wordprocessingml" in lowered or "word/" in "".join(names) else "ooxml_macro"
    if "wordprocessingml.document" in lowered or any(n.startswith("word/") for n in names):
        return "docx"
    if "spreadsheetml" in lowered:
        return "xlsx"
    if "presentationml" in lowered:
        return "pptx"
    return "zip"


def _text_kind(head: bytes) -> str | None:
    if not head:
        return None
    stripped = head.lstrip()
    if EMAIL_HEADERS.match(stripped) and len(EMAIL_HEADERS.findall(head)) >= 2:
        return "eml"
    lowered = stripped[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    if SCRIPT_STARTS.match(stripped):
        return "script"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head[:-3].decode("utf-8")  # a character cut at the end of the sample
        except UnicodeDecodeError:
            return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return "text" if text and printable / len(text) > 0.95 else None
