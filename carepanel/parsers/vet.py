"""The checks every file passes before any reader opens it.

``vet`` returns the file's true type (see ``formats/sniff.py``) or raises:

- ``UnsafeAttachment``: an executable or script (by content, or by a name no form has);
  macros (``vbaProject.bin``, a macro-enabled content type, VBA storage in an OLE file);
  an archive bomb (entries that expand past ``limits.max_decompressed_bytes``, or at a
  ratio no Office file reaches).  A PDF that runs JavaScript or launches a program on opening
  is not refused: no reader here runs either, so it is read as text only (``pdf_active_content``
  says what it carries, for the request's warning) and shown and packed without them.
- ``UnreadableAttachment``: empty; larger than ``limits.max_attachment_bytes``; an encrypted
  Office file; a PDF that needs a password to open (one that opens with the empty password
  is read); a damaged archive or PDF; more pages than ``limits.max_pages``.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError

from ..config import Limits
from ..errors import UnreadableAttachment, UnsafeAttachment
from ..formats.sniff import ole_has_macros, sniff_format

EXECUTABLE_KINDS = frozenset({"exe", "elf", "macho", "script"})
ZIP_KINDS = frozenset({"docx", "docm", "xlsx", "pptx", "odt", "ods", "odp", "zip", "ooxml_macro"})
DANGEROUS_SUFFIXES = (
    ".exe", ".com", ".scr", ".pif", ".bat", ".cmd", ".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh",
    ".ps1", ".psm1", ".msi", ".msp", ".hta", ".jar", ".lnk", ".dll", ".cpl", ".reg", ".sh", ".iso",
    ".docm", ".dotm", ".xlsm", ".pptm",
)
MAX_ENTRIES = 5000
MAX_RATIO = 200  # XML in real Office files compresses ten- to fifty-fold
RATIO_FLOOR = 2 * 1024 * 1024  # entries smaller than this may compress as they like
PDF_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError,
              RecursionError, OverflowError, ZeroDivisionError, OSError, NotImplementedError)


def vet(filename: str, data: bytes, limits: Limits) -> str | None:
    if not data:
        raise UnreadableAttachment("the file is empty")
    if len(data) > limits.max_attachment_bytes:
        raise UnreadableAttachment(f"the file is larger than the {_mb(limits.max_attachment_bytes)} limit")
    if filename.lower().rstrip(" .").endswith(DANGEROUS_SUFFIXES):
        raise UnsafeAttachment("files of this type can carry programs or macros and are not opened")
    kind = sniff_format(data)
    if kind in EXECUTABLE_KINDS:
        raise UnsafeAttachment("the file is a program or script, whatever its name says")
    if kind in ZIP_KINDS:
        check_zip(data, limits)
    if kind in ("docm", "ooxml_macro"):
        raise UnsafeAttachment("the document carries macros")
    if kind == "ooxml_encrypted":
        raise UnreadableAttachment("the document is password-protected")
    if kind in ("doc", "xls", "ppt", "ole", "msg") and ole_has_macros(data):  # an item may hide in a .doc
        raise UnsafeAttachment("the document carries macros")
    if kind == "pdf":
        check_pdf(data, limits)
    return kind


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def check_zip(data: bytes, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableAttachment("the file is damaged: its zip container cannot be opened") from exc
    if len(infos) > MAX_ENTRIES:
        raise UnsafeAttachment(f"the archive holds {len(infos)} entries, more than a document ever has")
    total = sum(i.file_size for i in infos)
    if total > limits.max_decompressed_bytes:
        raise UnsafeAttachment(f"the archive expands to more than {_mb(limits.max_decompressed_bytes)} (an archive bomb)")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeAttachment("an entry expands at a ratio no document has (an archive bomb)")
        if info.flag_bits & 0x1:
            raise UnreadableAttachment("the document is password-protected")
        name = info.filename.lower()
        if name.endswith(("vbaproject.bin", "vbadata.xml")):
            raise UnsafeAttachment("the document carries macros")


def check_pdf(data: bytes, limits: Limits) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise UnreadableAttachment("the PDF is password-protected")
            pages = len(reader.pages)
        except UnreadableAttachment:
            raise
        except PDF_ERRORS as exc:
            if reader_encrypted(exc):
                raise UnreadableAttachment("the PDF is encrypted in a way that cannot be opened") from exc
            raise UnreadableAttachment("the PDF is damaged and cannot be read") from exc
    if pages > limits.max_pages:
        raise UnreadableAttachment(f"the PDF has {pages} pages, more than the {limits.max_pages}-page limit")
    if pages == 0:
        raise UnreadableAttachment("the PDF has no pages")


def pdf_active_content(data: bytes) -> str | None:
    """What a vetted PDF would run on opening ("runs JavaScript", "launches a program"), if anything."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _active_content(PdfReader(io.BytesIO(data), strict=False))
        except PDF_ERRORS:
            return None


def reader_encrypted(exc: Exception) -> bool:
    return "decrypt" in str(exc).lower() or "encrypt" in str(exc).lower()


def _active_content(reader: PdfReader) -> str | None:
    """Document-level JavaScript or a launch action: the PDF runs something on opening."""
    root: Any = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    if not hasattr(root, "get"):
        return None
    names = _resolve(root.get("/Names"))
    if hasattr(names, "get") and names.get("/JavaScript") is not None:
        return "runs JavaScript"
    for action in (_resolve(root.get("/OpenAction")), _resolve(_resolve(root.get("/AA") or {}).get("/O"))):
        kind = _resolve(action.get("/S")) if hasattr(action, "get") else None
        if kind == "/JavaScript":
            return "runs JavaScript"
        if kind == "/Launch":
            return "launches a program"
    return None


def _resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj
