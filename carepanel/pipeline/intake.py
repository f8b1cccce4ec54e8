"""From a received message to a judged submission: the whole intake as a list of steps.

    read_files        every attachment vetted and read (a form, another document, or a flag)
    choose_request    the first attachment that reads as a request form
    place_on_calendar the panel asked for, or the next open one; ``late`` if its cut-off passed
    check_signoff     the manager sign-off the profile accepts (signoff.py)
    form checks       missing fields, documents, scope, threshold (checks.py)
    decide_status     accepted only when nothing is flagged

Nothing here does I/O or reads the clock: the caller archives the original first and
commits the result after (``jobs/process.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from .. import parsers
from ..config import Limits
from ..profiles import FormSpec, Profile
from ..directory import Directory
from ..errors import DocumentError, RetryLater, UnreadableAttachment
from . import calendar, checks, signoff
from .mentions import panel_date_mentioned
from ..clock import LONDON
from .identity import child_key
from ..parsers.outlook import OutlookItem
from ..models import Attachment, AttachmentInfo, Flag, Message, Panel, Request, SourceFile, Submission

FLAG_ORDER = (
    "no_request_form", "unsafe_attachment", "unreadable_attachment", "late", "missing_fields",
    "no_manager_signoff", "missing_documents", "out_of_scope", "below_threshold",
)


@dataclass(frozen=True)
class IntakeContext:
    profile: Profile
    directory: Directory
    limits: Limits
    forms: tuple[FormSpec, ...]
    # How a file is read: in the service, a sandboxed worker process (parsers/sandbox.py).
    reader: Callable[..., Request] = parsers.read_request
    # How an old .doc, an .odt or an .rtf becomes a .docx to read (LibreOffice, in the service).
    to_docx: Callable[[bytes, str], bytes] | None = None
    # While true, a conversion that failed because LibreOffice itself hung or died raises
    # RetryLater instead of flagging the file; the processor sets it for a message's first tries.
    retry_transient: bool = False
    # How an attached Outlook .msg is opened into its text and files before the mail is judged
    # (the sandboxed worker, in the service); None keeps a .msg as one attachment.
    open_outlook: Callable[[str, bytes], OutlookItem] | None = None
    # What "sent from the manager's address" is worth (sender_proof.py; the service binds the
    # backend and [signoff] unproven_sender); None: anything not shown to be spoofed.
    sender_check: Callable[[Message], signoff.SenderProof] | None = None


CONVERTED = ("doc", "odt", "rtf")


@dataclass(frozen=True)
class ReadFile:
    """The parsers' verdict on one attachment."""

    info: AttachmentInfo
    request: Request | None
    problem: Flag | None


# --------------------------------------------------------------------------- steps


def read_files(message: Message, ctx: IntakeContext, today: date) -> tuple[ReadFile, ...]:
    return tuple(read_file(a, ctx, today) for a in message.attachments)


def read_request_file(att: Attachment, ctx: IntakeContext, today: date) -> Request:
    """One file read as a request form, raising its ``DocumentError``: the one path that
    ``carepanel parse`` and the intake share, so both give the same request for a file."""
    fmt = parsers.sniff_format(att.data)
    if fmt in CONVERTED and ctx.to_docx is not None:
        return _read_converted(att, fmt, ctx, today)
    return ctx.reader(att.filename, att.data, profile=ctx.profile, forms=ctx.forms, limits=ctx.limits, today=today)


def read_file(att: Attachment, ctx: IntakeContext, today: date) -> ReadFile:
    fmt = parsers.sniff_format(att.data)
    try:
        request = read_request_file(att, ctx, today)
    except DocumentError as exc:
        code = exc.code or "unreadable_attachment"
        if code == "no_request_form":
            role = parsers.classify_attachment(att.filename, att.data, None)
            role = "other" if role == "request_form" else role
            return ReadFile(AttachmentInfo(att.filename, att.sha256, role, True, fmt), None, None)
        role = parsers.classify_attachment(att.filename, att.data, None)
        detail = f"{att.filename}: {exc.detail}"
        return ReadFile(AttachmentInfo(att.filename, att.sha256, role, False, fmt, code), None, Flag(code, detail))
    return ReadFile(AttachmentInfo(att.filename, att.sha256, "request_form", True, fmt), request, None)


def _read_converted(att: Attachment, fmt: str, ctx: IntakeContext, today: date) -> Request:
    """Vet first (a quarantined file never reaches LibreOffice), convert, then read the .docx;
    the request still names the file and format that were sent."""
    assert ctx.to_docx is not None
    parsers.vet(att.filename, att.data, ctx.limits)
    try:
        data = ctx.to_docx(att.data, "." + fmt)
    except DocumentError as exc:  # LibreOffice itself missing is not the file's fault: that is retried
        if exc.transient and ctx.retry_transient:
            raise RetryLater(f"LibreOffice hung or stopped while converting {att.sha256[:12]}") from exc
        raise UnreadableAttachment(f"LibreOffice could not open it ({exc.detail})") from exc
    name = att.filename.rsplit(".", 1)[0] + ".docx"
    request = ctx.reader(name, data, profile=ctx.profile, forms=ctx.forms, limits=ctx.limits, today=today)
    return replace(request, source=SourceFile(att.filename, att.sha256, fmt),
                   warnings=(*request.warnings, f"read from a {fmt} file converted by LibreOffice"))


def choose_request(files: tuple[ReadFile, ...]) -> tuple[Request | None, tuple[ReadFile, ...]]:
    """The first form is the request; any further form is kept as a supporting document."""
    chosen: Request | None = None
    out = []
    for f in files:
        if f.request is not None and chosen is None:
            chosen = f.request
            out.append(f)
        elif f.request is not None:
            out.append(ReadFile(_with_role(f.info, "other"), None, None))
        else:
            out.append(f)
    return chosen, tuple(out)


def _with_role(info: AttachmentInfo, role: str) -> AttachmentInfo:
    return AttachmentInfo(info.filename, info.sha256, role, info.readable, info.format, info.problem)


def place_on_calendar(profile: Profile, message: Message, request: Request | None,
                      received_at: datetime) -> tuple[Panel, list[Flag]]:
    asked = request.panel_date_asked if request else None
    if asked is None:
        asked = panel_date_mentioned(message.subject, message.body, received_at.date())
    panel, late = calendar.resolve_panel(profile, received_at, asked)
    if not late or asked is None:
        return panel, []
    unless = (" This panel considers no late applications." if profile.cutoff.late == "refuse"
              else " unless the chair agrees to hear it late.")
    detail = (
        f"Received {_when(received_at)}, after the cut-off for the panel asked for ({_day(asked)})."
        f" It is held for the next panel, {_day(panel.date)} (cut-off {_when(panel.cutoff)}),"
    ) + (unless if unless.startswith(" unless") else "." + unless)
    return panel, [Flag("late", detail)]


def file_flags(files: tuple[ReadFile, ...]) -> list[Flag]:
    return [f.problem for f in files if f.problem is not None]


def no_form_flags(message: Message, request: Request | None, files: tuple[ReadFile, ...]) -> list[Flag]:
    if request is not None:
        return []
    if not message.attachments:
        return [Flag("no_request_form", "The email had no attachments. Please attach the completed request form.")]
    if any(f.problem for f in files):
        return [Flag("no_request_form", "No attachment could be read as a request form (see the other flags).")]
    return [Flag("no_request_form", "None of the attachments is a panel request form. Please attach the completed form.")]


def form_flags(profile: Profile, request: Request | None, files: tuple[ReadFile, ...]) -> list[Flag]:
    if request is None:
        return []
    infos = tuple(f.info for f in files)
    return [
        *checks.missing_fields(request),
        *checks.missing_documents(profile, infos),
        *checks.out_of_scope(profile, request),
        *checks.below_threshold(profile, request),
    ]


def submission_id(message: Message) -> str:
    return "sub-" + hashlib.sha256(message.message_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def ordered(flags: list[Flag]) -> tuple[Flag, ...]:
    return tuple(sorted(flags, key=lambda f: FLAG_ORDER.index(f.code) if f.code in FLAG_ORDER else len(FLAG_ORDER)))


# --------------------------------------------------------------------------- the flow


def intake(message: Message, received_at: datetime, ctx: IntakeContext) -> Submission:
    """Judge one message.  ``received_at`` is the mailbox's receipt time (aware)."""
    files = read_files(message, ctx, received_at.date())
    request, files = choose_request(files)
    panel, late = place_on_calendar(ctx.profile, message, request, received_at)
    signed, signoff_flags, signoff_warnings = (
        signoff.judge_signoff(ctx.profile, message, request, ctx.directory, ctx.sender_check) if ctx.sender_check
        else signoff.judge_signoff(ctx.profile, message, request, ctx.directory))
    flags = ordered([
        *no_form_flags(message, request, files),
        *file_flags(files),
        *late,
        *(signoff_flags if request is not None else []),
        *form_flags(ctx.profile, request, files),
    ])
    return Submission(
        id=submission_id(message),
        message_id=message.message_id,
        message_sha256=message.sha256,
        received_at=received_at,
        sender=message.sender,
        subject=message.subject,
        status="flagged" if flags else "accepted",
        panel_date=panel.date,
        cutoff=panel.cutoff,
        flags=flags,
        signoff=signed,
        request=request,
        attachments=tuple(f.info for f in files),
        child_key=child_key(request),
        warnings=tuple(dict.fromkeys([
            *(signoff_warnings if request is not None else []),
            *checks.advice(ctx.profile, request, tuple(f.info for f in files), panel.date),
        ])),
    )


def _day(d: date | None) -> str:
    return d.strftime("%A %-d %B %Y") if d else "the date asked"


def _when(t: datetime) -> str:
    local = t.astimezone(LONDON)
    return local.strftime("%A %-d %B %Y at %H:%M")
