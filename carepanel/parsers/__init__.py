"""Reading request forms: from a file's bytes to a ``Request``.

    vet          true type, size, macros, archive bombs, encryption, pages  (vet.py)
    read layout  one reader per true type -> tables and paragraphs           (docx_reader, pdf_reader)
                 (an Outlook .msg: the first file inside it that reads as a form)  (outlook.py)
    recognise    which council's form, by its markers                        (forms.py)
    read         the form's labels, children tables, values                  (fields, children, values)
    judge        request types, and the fields the profile requires          (request_types, forms)

``read_request`` raises only ``UnreadableAttachment``, ``UnsafeAttachment`` or
``NotARequestForm``; every other error is wrapped here, at the one boundary.  A PDF still
being read after ``limits.parse_timeout_seconds`` is given up between pages (a single
page that never ends needs the caller's own watchdog: a thread cannot be stopped).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from ..config import Limits
from ..profiles import FormSpec, Profile
from ..errors import DocumentError, NotARequestForm, UnreadableAttachment
from ..logs import safe_fields
from ..models import Request, SourceFile, sha256_hex
from . import docx_reader, ocr, pdf_reader
from .forms import read_form, recognise, specs_with_names, to_request
from .generic import read_generic
from .layout import Layout, Paragraph
from .roles import role_of
from ..formats.sniff import sniff_format
from .vet import pdf_active_content, vet

__all__ = ["classify_attachment", "read_request", "sniff_format", "vet"]

log = logging.getLogger(__name__)

# pdfminer and pypdf warn about every quirk of a damaged file, sometimes quoting its
# contents; the outcome is reported as a flag instead, so their chatter is kept out of logs.
for _noisy in ("pdfminer", "pypdf", "pdfplumber"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)


def _read_text(data: bytes) -> Layout:
    text = data.decode("utf-8", errors="replace")
    return Layout("text", tuple(Paragraph(line) for line in text.splitlines()))


READERS: dict[str, Callable[[bytes, float | None, int | None], Layout]] = {
    "docx": lambda data, deadline, max_pages: docx_reader.read(data),
    "pdf": lambda data, deadline, max_pages: pdf_reader.read(data, deadline=deadline, max_pages=max_pages),
    "text": lambda data, deadline, max_pages: _read_text(data),
    "png": lambda data, deadline, max_pages: ocr.read_image(data, deadline, max_pages),
    "jpeg": lambda data, deadline, max_pages: ocr.read_image(data, deadline, max_pages),
    "tiff": lambda data, deadline, max_pages: ocr.read_image(data, deadline, max_pages),
}
NOT_FORMS = {
    "eml": "an email message, not a request form",
    "msg": "an Outlook message, not a request form",
    "xlsx": "a spreadsheet, not a request form",
    "xls": "a spreadsheet, not a request form",
    "ods": "a spreadsheet, not a request form",
    "pptx": "a presentation, not a request form",
    "ppt": "a presentation, not a request form",
    "odp": "a presentation, not a request form",
    "html": "a web page, not a request form",
}
UNREADABLE = {
    "doc": "Word 97-2003 (.doc) files cannot be read yet; please send the form as .docx or PDF",
    "odt": "OpenDocument (.odt) files cannot be read yet; please send the form as .docx or PDF",
    "rtf": "RTF files cannot be read yet; please send the form as .docx or PDF",
    "zip": "archives are not opened; please attach the form itself",
    "gif": "a picture has no text to read; it may be a scan",
}


def read_request(
    filename: str,
    data: bytes,
    *,
    profile: Profile,
    forms: Sequence[FormSpec] = (),
    limits: Limits,
    today: date,
) -> Request:
    """Read one file as a request form, judged against ``profile``'s required fields.

    ``forms``: the form descriptions to recognise besides ``profile``'s own, given by the
    caller (the service passes ``config.builtin_forms()``, so a Bexley form sent to another
    panel is still read as Bexley's); the parsers never load profiles themselves.
    """
    try:
        fmt = vet(filename, data, limits)
        if fmt in ("msg", "tnef") or (fmt == "ole" and filename.lower().endswith(".msg")):
            return _outlook_request(filename, data, profile=profile, forms=forms, limits=limits, today=today)
        layout = read_layout(fmt, data, deadline=time.monotonic() + limits.parse_timeout_seconds)
        source = SourceFile(filename, sha256_hex(data), fmt or "unknown")
        specs = specs_with_names(forms, profile)
        found = recognise(layout, specs)
        reading = read_form(layout, found[0], found[1], today) if found else read_generic(layout, today)
        request = to_request(reading, source, profile, today)
        if layout.format == "ocr":
            request = ocr.tidy_names(request)
            request = replace(request, warnings=(*request.warnings, ocr.OCR_WARNING, *ocr.values_read(request)))
        active = pdf_active_content(data) if fmt == "pdf" else None
        if active:
            request = replace(request, warnings=(*request.warnings, f"the PDF {active} when opened: that was not run; "
                                                 "it was read as text only, and is shown and packed without it"))
        return request
    except DocumentError:
        raise
    except Exception as exc:  # the one boundary: whatever a library raised, the file is unreadable
        log.warning("reader failed", exc_info=True, extra=safe_fields(event="reader_failed", error_type=type(exc).__name__))
        raise UnreadableAttachment("the file could not be read") from exc


def _outlook_request(filename: str, data: bytes, *, profile: Profile, forms: Sequence[FormSpec],
                     limits: Limits, today: date) -> Request:
    """The first file inside an Outlook item (or an item within it) that reads as a form.

    Each file is read as if it had been mailed on its own, vetting and all.  When none is a
    form, a file inside that is unsafe is what the sender most needs to hear about.
    """
    from . import outlook

    item = outlook.read_outlook(filename, data, limits=limits)
    item_is_tnef = sniff_format(data) == "tnef"
    unsafe: DocumentError | None = None
    for inner in outlook.walk(item):
        try:
            request = read_request(inner.filename, inner.data, profile=profile, forms=forms, limits=limits, today=today)
        except DocumentError as exc:
            if exc.code == "unsafe_attachment" and unsafe is None:
                unsafe = exc
            continue
        kind = "tnef" if item_is_tnef else "msg"
        return replace(request, source=SourceFile(filename, sha256_hex(data), kind),
                       warnings=(*request.warnings, f"read from {inner.filename}, attached to an Outlook message"))
    if unsafe is not None:
        raise type(unsafe)(f"a file inside the Outlook message: {unsafe.detail}")
    raise NotARequestForm("the file is an Outlook message with no request form attached to it")


def read_layout(fmt: str | None, data: bytes, *, deadline: float | None = None, max_pages: int | None = None) -> Layout:
    """The file's tables and paragraphs, by its true type; past ``deadline`` a PDF is given up."""
    if fmt in NOT_FORMS:
        raise NotARequestForm(f"the file is {NOT_FORMS[fmt]}")
    if fmt in UNREADABLE:
        raise UnreadableAttachment(UNREADABLE[fmt])
    reader = READERS.get(fmt or "")
    if reader is None:
        raise UnreadableAttachment("the file's type is not one that can be read")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reader(data, deadline, max_pages)


def classify_attachment(filename: str, data: bytes, text: str | None) -> str:
    """The attachment's role (``models.ATTACHMENT_ROLES``) by its name, then its words.

    Without ``text``, a little is read from a Word or PDF file that passes the vetting;
    anything that goes wrong reading it leaves the name alone to decide.  Never raises.
    """
    if text is None and not _role_by_name_only(filename):
        text = _sample_text(data)
    return role_of(filename, text)


def _role_by_name_only(filename: str) -> bool:
    return role_of(filename, None) != "other"


SAMPLE_LIMITS = Limits(max_message_bytes=60 << 20, max_attachment_bytes=30 << 20, max_pages=50,
                       max_decompressed_bytes=200 << 20, parse_timeout_seconds=30)


def _sample_text(data: bytes) -> str | None:
    try:
        fmt = vet("attachment", data, SAMPLE_LIMITS)
        if fmt not in ("docx", "pdf", "text"):
            return None
        return read_layout(fmt, data, deadline=time.monotonic() + 10, max_pages=2).text()[:10000]
    except Exception:  # classification is best effort: the file's own flag comes from read_request
        return None
