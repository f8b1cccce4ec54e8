"""Raw email bytes into a ``Message``: who sent it, when it arrived, what it says, what it carries.

Mail arrives from many clients, some broken, some hostile, so reading is defensive.  The
stdlib parser (``policy.default``) does the MIME work; every header is read through a helper
that falls back to the raw value when the modern header classes choke, every text is decoded
with a fallback chain, and the only exception that leaves ``parse_message`` for bad input is
``MessageError`` (the raw bytes stay archived either way, see ``archive.py``).

What goes where:

- ``body``: the message's text/plain parts, else its text/html parts turned into text.
- ``attachments``: every other leaf part (anything with a file name, or not text/plain or
  text/html), including the files inside attached messages (``forwarded=True``).
- ``quoted``: the messages quoted in the body (``quotes.py``), then each attached message
  (``message/rfc822``, or an ``.eml`` file), each with its sender and own words.  An
  attached message is read for its text and files; it is not itself an attachment.
  So is an Outlook item (``.msg``) when the caller passes ``open_outlook`` (the service
  passes its sandboxed reader, see ``parsers/outlook.py``); without it, or when the item
  cannot be read, the ``.msg`` stays one attachment, which the reading then flags.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email.errors
import quopri
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.headerregistry import AddressHeader
from email.message import Message as MimePart
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Protocol, cast

from ..errors import DocumentError, MessageError
from ..formats.htmltext import html_to_text
from ..formats.sniff import sniff_format
from ..models import Attachment, AuthResults, Message, QuotedMessage, sha256_hex
from .encoding import decode_words, scrub
from .filenames import safe_filename
from .quotes import find_quotes, own_text


class OutlookFile(Protocol):
    """A file inside an Outlook item, as ``open_outlook`` gives it."""

    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def data(self) -> bytes: ...


class OutlookItem(Protocol):
    """What this module reads of an Outlook item: ``parsers.outlook.OutlookItem`` has this
    shape.  Declared here so the mailbox needs no parser (the caller passes the reader)."""

    @property
    def sender(self) -> str | None: ...
    @property
    def body(self) -> str: ...
    @property
    def files(self) -> Sequence[OutlookFile]: ...
    @property
    def items(self) -> Sequence[OutlookItem]: ...


OpenOutlook = Callable[[str, bytes], OutlookItem]

__all__ = ["MAX_DEPTH", "MAX_PARTS", "parse_message", "safe_filename"]

MAX_DEPTH = 24  # nested multiparts / attached messages; real mail stays well under 10
MAX_PARTS = 2000
MAX_ID_LENGTH = 998  # RFC 5322's line limit
SYNTHETIC_DOMAIN = "carepanel.invalid"
# The stdlib's modern header classes raise a zoo of errors on malformed values; these are
# caught around single header reads and answered from the raw header instead.
_HEADER_ERRORS = (email.errors.MessageError, ValueError, LookupError, IndexError, TypeError, AttributeError)
_CORE_HEADERS = frozenset({
    "from", "sender", "to", "cc", "subject", "date", "message-id", "received", "return-path",
    "mime-version", "content-type", "reply-to", "in-reply-to", "references", "delivered-to",
})
_TEXT_BODY = ("text/plain", "text/html")
_ADDR_SPEC = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def parse_message(raw: bytes, *, received_at: datetime | None = None, max_bytes: int | None = None,
                  open_outlook: OpenOutlook | None = None) -> Message:
    """Read one email.  ``received_at`` (aware) overrides the time read from the headers;
    ``open_outlook`` reads an attached ``.msg`` (raising ``DocumentError`` when it cannot).

    Raises ``MessageError`` when the bytes are too large, empty, not an email at all, or
    nested beyond reason; never anything else for bad input.
    """
    if received_at is not None and received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    if max_bytes is not None and len(raw) > max_bytes:
        raise MessageError(f"the message is {len(raw)} bytes, over the limit of {max_bytes}")
    if not raw.strip():
        raise MessageError("the message is empty")
    sha = sha256_hex(raw)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(_without_preamble(raw))
        if not {name.lower() for name, _ in msg.raw_items()} & _CORE_HEADERS:
            raise MessageError("this is not an email: it has none of the usual headers")
        return _build(msg, sha, received_at, open_outlook)
    except RecursionError as exc:
        raise MessageError("the message is nested too deeply to read") from exc


def _without_preamble(raw: bytes) -> bytes:
    """Drop a byte-order mark and blank lines before the headers (some tools save .eml files
    so); otherwise the parser reads the whole message as a body without headers."""
    return raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n\t ")


def _build(msg: MimePart, sha: str, received_at: datetime | None, open_outlook: OpenOutlook | None = None) -> Message:
    walker = _Walker(open_outlook)
    body, quoted = walker.read(msg, depth=0, forwarded=False)
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    date = _parse_date(_first_raw(msg, "Date"))
    return Message(
        sha256=sha,
        message_id=_message_id(msg, sha),
        sender=senders[0][1] if senders else "",
        sender_name=(senders[0][0] or None) if senders else None,
        to=tuple(a for _, a in _addresses(msg, "To")),
        cc=tuple(a for _, a in _addresses(msg, "Cc")),
        subject=_header_text(msg, "Subject"),
        date=date,
        received_at=received_at or _received_time(msg) or date,
        body=body,
        quoted=tuple(quoted),
        attachments=tuple(walker.attachments),
        auth=_auth_results(msg),
        automatic=_automatic(msg, senders[0][1] if senders else ""),
    )


_ROBOT_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@.-]|$)", re.IGNORECASE)


def _automatic(msg: MimePart, sender: str) -> bool:
    """RFC 3834's signs that a message came from a machine, plus the common vendor headers.

    Deliberately not List-Id or X-Auto-Response-Suppress: a panel mailbox reached through a
    distribution list, or a client that sets the latter on ordinary mail, must still be answered.
    """
    auto = (_first_raw(msg, "Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return True
    if (_first_raw(msg, "Precedence") or "").strip().lower() in {"bulk", "junk", "auto_reply"}:
        return True
    if any(_first_raw(msg, h) for h in ("X-Autoreply", "X-Autorespond")):
        return True
    if (_first_raw(msg, "Return-Path") or "").strip() == "<>":
        return True
    return bool(_ROBOT_SENDERS.match(sender))


# --------------------------------------------------------------------------- the MIME tree


@dataclass
class _Texts:
    """The text parts of one message, and the messages attached to it, as found."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attached: list[QuotedMessage] = field(default_factory=list)

    def body(self) -> str:
        if any(p.strip() for p in self.plain):
            return "\n\n".join(p.strip("\n") for p in self.plain if p.strip())
        return "\n\n".join(html_to_text(h) for h in self.html if h.strip())


class _Walker:
    """Walks one message tree, collecting every attachment in order of appearance."""

    def __init__(self, open_outlook: OpenOutlook | None = None) -> None:
        self.attachments: list[Attachment] = []
        self.parts = 0
        self.open_outlook = open_outlook

    def read(self, msg: MimePart, *, depth: int, forwarded: bool) -> tuple[str, list[QuotedMessage]]:
        """The body text of ``msg`` and the quoted messages within it, inline ones first."""
        texts = _Texts()
        self._visit(msg, texts, depth, forwarded)
        body = texts.body()
        return body, find_quotes(body) + texts.attached

    def _forwarded(self, inner: MimePart, texts: _Texts, depth: int) -> None:
        """An email attached whole: its sender's words count as forwarded text, and so do its quotes."""
        body, quoted = self.read(inner, depth=depth + 1, forwarded=True)
        senders = _addresses(inner, "From")
        texts.attached.append(QuotedMessage(senders[0][1] if senders else None, own_text(body)))
        texts.attached.extend(quoted)

    def _visit(self, part: MimePart, texts: _Texts, depth: int, forwarded: bool) -> None:
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            raise MessageError("the message has too many parts, or parts nested too deeply, to read")
        inner = _attached_message(part)
        if inner is not None:
            self._forwarded(inner, texts, depth)
            return
        if part.is_multipart():
            for sub in _children(part):
                self._visit(sub, texts, depth + 1, forwarded)
            return
        self._leaf(part, texts, forwarded, depth)

    def _leaf(self, part: MimePart, texts: _Texts, forwarded: bool, depth: int = 0) -> None:
        ctype = part.get_content_type()
        if ctype.startswith("multipart/"):  # a multipart without a boundary is read as text
            ctype = "text/plain"
        name = _filename(part)
        if name is None and ctype in _TEXT_BODY and _disposition(part) != "attachment":
            target = texts.plain if ctype == "text/plain" else texts.html
            target.append(_decode_text(_payload(part), _charset(part)))
            return
        data = _payload(part)
        self._file(name, ctype, data, texts, forwarded, depth=depth)

    def _file(self, name: str | None, ctype: str, data: bytes, texts: _Texts, forwarded: bool, *, depth: int) -> None:
        """One attached file: opened when it is a plain .zip or an Outlook item, else kept."""
        item = self._outlook(name, data)
        if item is not None:
            self._outlook_item(item, texts, depth)
            return
        inner_files = unzip_attachment(name, data)
        if inner_files is not None:
            self.attachments.extend(inner_files)
            return
        self.attachments.append(Attachment.of(safe_filename(name), ctype, data, forwarded))

    def _outlook(self, name: str | None, data: bytes) -> OutlookItem | None:
        # an Outlook .msg, or Outlook's rich-text wrapper (application/ms-tnef, winmail.dat)
        if self.open_outlook is None or not data.startswith((b"\xd0\xcf\x11\xe0", b"\x78\x9f\x3e\x22")):
            return None
        if sniff_format(data) not in ("msg", "tnef"):
            return None
        try:
            return self.open_outlook(safe_filename(name, "message.msg"), data)
        except DocumentError:
            return None  # kept whole: reading it as an attachment gives the sender the reason
        except Exception:  # noqa: BLE001 - nor may a fault in the reader cost the mail: kept whole, then flagged
            return None

    def _outlook_item(self, item: OutlookItem, texts: _Texts, depth: int) -> None:
        """An Outlook item is read like an attached message: its sender's own words are
        evidence, the messages quoted in it too, and its files are attachments."""
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            raise MessageError("the message has too many parts, or parts nested too deeply, to read")
        body = _clean_body(item.body)
        texts.attached.append(QuotedMessage(item.sender, own_text(body)))
        texts.attached.extend(find_quotes(body))
        for f in item.files:
            inner = _eml_file(f.filename, f.data)
            if inner is not None:
                self._forwarded(inner, texts, depth)
                continue
            self._file(f.filename, f.content_type, f.data, texts, True, depth=depth + 1)
        for sub in item.items:
            self._outlook_item(sub, texts, depth + 1)


# A .zip of papers is opened, within limits no real bundle of forms comes near; anything past
# them (or encrypted, or nested) stays one attachment, which the vetting then flags.
ZIP_MAX_ENTRIES = 50
ZIP_MAX_TOTAL = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100


def unzip_attachment(name: str | None, data: bytes) -> list[Attachment] | None:
    """The files in a plain .zip attachment, or None to keep it whole (not a plain zip, an
    Office or ODF document, encrypted, nested archives, or beyond the limits)."""
    import io
    import zipfile

    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            names = {i.filename.lower() for i in infos}
            if "[content_types].xml" in names or "mimetype" in names:
                return None  # a Word or LibreOffice document, which is a zip inside
            total = sum(i.file_size for i in infos)
            if (not infos or len(infos) > ZIP_MAX_ENTRIES or total > ZIP_MAX_TOTAL
                    or any(i.flag_bits & 0x1 for i in infos)
                    or any(i.compress_size and i.file_size / i.compress_size > ZIP_MAX_RATIO for i in infos)):
                return None
            out = []
            for info in infos:
                content = zf.read(info)
                if content.startswith(b"PK\x03\x04") and unzip_attachment(info.filename, content) is not None:
                    return None  # an archive inside an archive: kept whole, and flagged by the vetting
                base = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
                out.append(Attachment.of(safe_filename(base), "application/octet-stream", content, False))
            return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None


def _children(part: MimePart) -> list[MimePart]:
    """The sub-parts worth reading.  Delivery reports (``message/delivery-status``) carry
    no files; in ``multipart/signed`` only the first part is content, the second is the
    S/MIME or PGP signature, which is not a document anyone attached."""
    if part.get_content_maintype() == "message":
        return []
    subs = [p for p in part.get_payload() if isinstance(p, MimePart)]
    return subs[:1] if part.get_content_subtype() == "signed" else subs


def _attached_message(part: MimePart) -> MimePart | None:
    """The message carried by ``part``, if it is one: message/rfc822, or an ``.eml`` file."""
    ctype = part.get_content_type()
    if ctype in ("message/rfc822", "message/global") and part.is_multipart():
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], MimePart) else None
        if inner is not None and not inner.keys() and not inner.is_multipart():
            return _reparse_encoded(part, inner)  # base64 message/rfc822, against the RFC but seen
        return inner
    name = _filename(part)
    if name and name.lower().endswith(".eml") and not part.is_multipart():
        candidate = BytesParser(policy=policy.default).parsebytes(_without_preamble(_payload(part)))
        if {k.lower() for k, _ in candidate.raw_items()} & _CORE_HEADERS:
            return candidate
    return None


def _eml_file(name: str, data: bytes) -> MimePart | None:
    """A file named ``.eml`` that is an email, parsed; None otherwise."""
    if not name.lower().endswith(".eml"):
        return None
    candidate = BytesParser(policy=policy.default).parsebytes(_without_preamble(data))
    return candidate if {k.lower() for k, _ in candidate.raw_items()} & _CORE_HEADERS else None


def _reparse_encoded(part: MimePart, inner: MimePart) -> MimePart:
    encoding = (_first_raw(part, "Content-Transfer-Encoding") or "").strip().lower()
    text = inner.get_payload()
    if not isinstance(text, str) or encoding not in ("base64", "quoted-printable"):
        return inner
    data = text.encode("ascii", "ignore")  # neither encoding has meaning outside ASCII
    try:
        decoded = base64.b64decode(data) if encoding == "base64" else quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return inner
    return BytesParser(policy=policy.default).parsebytes(decoded)


def _payload(part: MimePart) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (*_HEADER_ERRORS, binascii.Error):
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _filename(part: MimePart) -> str | None:
    try:
        name = part.get_filename()
    except _HEADER_ERRORS:
        return None
    return name if isinstance(name, str) and name.strip() else None


def _disposition(part: MimePart) -> str | None:
    try:
        return part.get_content_disposition()
    except _HEADER_ERRORS:
        return None


def _charset(part: MimePart) -> str | None:
    try:
        return part.get_content_charset()
    except _HEADER_ERRORS:
        return None


def _decode_text(data: bytes, charset: str | None) -> str:
    """Text in its declared charset, else UTF-8, else Windows-1252 (what mislabelled mail
    from Windows clients nearly always is).  Latin-1 labels are read as Windows-1252, as
    browsers do, so curly quotes and euro signs survive."""
    for name in _charset_chain(charset):
        try:
            return _clean_body(data.decode(name))
        except (LookupError, ValueError):
            continue
    return _clean_body(data.decode("cp1252", "replace"))


def _charset_chain(charset: str | None) -> list[str]:
    chain: list[str] = []
    if charset:
        try:
            codec = codecs.lookup(charset).name
        except (LookupError, ValueError):
            codec = ""
        if codec in ("latin-1", "iso8859-1"):
            chain.append("cp1252")
        if codec and codec != "ascii":
            chain.append(codec)
    return chain + ["utf-8"]


def _clean_body(text: str) -> str:
    text = scrub(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


# --------------------------------------------------------------------------- headers


def _raw_values(msg: MimePart, name: str) -> list[str]:
    """A header's values exactly as they arrived (unfolded), topmost first."""
    lname = name.lower()
    return [re.sub(r"\r?\n[ \t]*", " ", str(v)) for k, v in msg.raw_items() if k.lower() == lname]


def _first_raw(msg: MimePart, name: str) -> str | None:
    values = _raw_values(msg, name)
    return values[0] if values else None


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", scrub(text)).split())


def _header_text(msg: MimePart, name: str) -> str:
    """A header's decoded text on one line; "" when absent."""
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except _HEADER_ERRORS:
        text = decode_words(_first_raw(msg, name) or "")
    return _one_line(text)


def _addresses(msg: MimePart, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) for every address in every ``name`` header."""
    pairs: list[tuple[str, str]] = []
    try:
        for header in msg.get_all(name) or []:  # policy.default: AddressHeader objects
            pairs.extend((a.display_name, a.addr_spec) for a in cast(AddressHeader, header).addresses)
    except _HEADER_ERRORS:
        pairs = getaddresses(_raw_values(msg, name))
    out = []
    for display, spec in pairs:
        address = _one_line(spec).strip("<>").lower()
        if _ADDR_SPEC.fullmatch(address):
            out.append((_one_line(decode_words(display)), address))
    return out


def _message_id(msg: MimePart, sha: str) -> str:
    """The Message-ID as ``<...>``; a stable one made from the bytes' hash when there is none."""
    raw = _one_line(_first_raw(msg, "Message-ID") or "")
    m = re.search(r"<([^<>\s]+)>", raw)
    if m:
        found = f"<{m.group(1)}>"
    else:
        token = raw.split()[0].strip("<>") if raw.split() else ""
        found = f"<{token}>" if token else ""
    if not found or len(found) > MAX_ID_LENGTH:
        return f"<{sha}@{SYNTHETIC_DOMAIN}>"
    return found


def _received_time(msg: MimePart) -> datetime | None:
    """The date stamped by the topmost ``Received:`` header: when our server took the mail."""
    top = _first_raw(msg, "Received")
    if top is None or ";" not in top:
        return None
    return _parse_date(top.rpartition(";")[2])


def _parse_date(text: str | None) -> datetime | None:
    """An RFC 5322 date as an aware datetime; ``None`` if absent, garbled or absurd."""
    if not text:
        return None
    text = re.sub(r"\([^()]*\)", " ", text).strip()
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, zone unknown
        when = when.replace(tzinfo=timezone.utc)
    return when if 1970 <= when.year <= 2200 else None


def _auth_results(msg: MimePart) -> AuthResults:
    """SPF, DKIM and DMARC from the topmost ``Authentication-Results:``, the one our own
    server added; headers further down were written by servers (or senders) we can't trust.
    Of several DKIM signatures, one that passes is enough."""
    top = _first_raw(msg, "Authentication-Results")
    auth_as = _exchange_auth_as(msg)
    if top is None:
        return AuthResults(exchange_auth_as=auth_as)
    text = re.sub(r"\([^()]*\)", " ", scrub(top).lower())

    def result(method: str) -> str | None:
        found = re.findall(rf"(?:^|[;\s]){method}\s*=\s*([a-z]+)", text)
        if method == "dkim" and "pass" in found:
            return "pass"
        return found[0] if found else None

    return AuthResults(spf=result("spf"), dkim=result("dkim"), dmarc=result("dmarc"), compauth=result("compauth"),
                       exchange_auth_as=auth_as)


_EXCHANGE_AUTH_AS = ("X-MS-Exchange-Organization-AuthAs", "X-MS-Exchange-CrossTenant-AuthAs")


def _exchange_auth_as(msg: MimePart) -> str | None:
    """Exchange's word on where the message came from, lower-cased; ``None`` if unstamped."""
    for name in _EXCHANGE_AUTH_AS:
        value = _first_raw(msg, name)
        if value:
            return scrub(value).strip().lower()[:40] or None
    return None
