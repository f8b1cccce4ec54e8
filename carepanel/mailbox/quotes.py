"""Messages quoted inside a body: who wrote each one, and what they wrote themselves.

A manager's approval usually reaches the panel inside someone else's email: forwarded
("-----Original Message-----", "---------- Forwarded message ---------", "Begin forwarded
message:", or an Outlook "From: / Sent: / To: / Subject:" block) or replied to ("On ...,
Jane <jane@...> wrote:" over ``>`` lines).  Each block becomes a ``QuotedMessage`` whose
``text`` is only that sender's own words: older messages quoted inside it are separate
entries, and header lines (a subject of "Please approve") are left out, because the sign-off
rule reads the text for words of agreement and must not credit a manager with someone
else's.  Quoted text is evidence to weigh, not proof: anyone can type a "From:" line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import QuotedMessage

MAX_DEPTH = 12  # quote levels read; deeper text is kept as the enclosing sender's
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message)\s*-{2,}|begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^\s*\*?(from|sent|date|to|cc|subject|reply-to|importance|attachments)\s*:\*?(?:\s|$)(.*)$",
    re.IGNORECASE,
)
_ON = re.compile(r"^\s*on\s", re.IGNORECASE)
_WROTE = re.compile(r"\swrote:\s*$", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*>")
_RULE = re.compile(r"^[\s_\-=*]*$")


@dataclass(frozen=True)
class _Start:
    """Where a quoted message begins: its own text starts at line ``body``."""

    kind: str  # "wrote" or "forward"
    body: int
    sender: str | None


def find_quotes(text: str) -> list[QuotedMessage]:
    """Every quoted message in ``text``, outermost first."""
    return _scan(text.splitlines(), 0)[1]


def own_text(text: str) -> str:
    """What the author of ``text`` wrote, without anything they quoted."""
    return _join(_scan(text.splitlines(), 0)[0])


def _scan(lines: list[str], depth: int) -> tuple[list[str], list[QuotedMessage]]:
    if depth >= MAX_DEPTH:
        return lines, []
    own: list[str] = []
    found: list[QuotedMessage] = []
    i = 0
    while i < len(lines):
        if _QUOTED.match(lines[i]):  # quoted without attribution: only look inside it
            end = _quoted_run_end(lines, i)
            found.extend(_scan(_dequote(lines[i:end]), depth + 1)[1])
            i = end
            continue
        start = _block_start(lines, i)
        if start is None:
            own.append(lines[i])
            i += 1
            continue
        inner, i = _block_lines(lines, start)
        inner_own, inner_found = _scan(inner, depth + 1)
        found.append(QuotedMessage(start.sender, _join(inner_own)))
        found.extend(inner_found)
    return own, found


def _block_lines(lines: list[str], start: _Start) -> tuple[list[str], int]:
    """The lines of a quoted message and the index after it."""
    first = _next_nonblank(lines, start.body)
    if start.kind == "wrote" and first < len(lines) and _QUOTED.match(lines[first]):
        end = _quoted_run_end(lines, first)
        return _dequote(lines[first:end]), end
    end = _next_start(lines, start.body)
    return lines[start.body:end], end


def _block_start(lines: list[str], i: int) -> _Start | None:
    line = lines[i]
    if _QUOTED.match(line):
        return None
    if _SEPARATOR.match(line):
        j = _next_nonblank(lines, i + 1, limit=2)
        end, sender = _header_block(lines, j)
        return _Start("forward", end, sender)
    header = _HEADER.match(line)
    if header and header.group(1).lower() == "from" and _looks_like_header_block(lines, i):
        end, sender = _header_block(lines, i)
        return _Start("forward", end, sender)
    if _ON.match(line):
        for k in range(i, min(i + 3, len(lines))):
            if k > i and (_QUOTED.match(lines[k]) or not lines[k].strip()):
                break
            if _WROTE.search(lines[k]):
                return _Start("wrote", k + 1, _address(" ".join(lines[i:k + 1])))
    return None


def _looks_like_header_block(lines: list[str], i: int) -> bool:
    """A "From:" line starts a forwarded message only with a date and a To/Subject after it."""
    kinds = {m.group(1).lower() for line in lines[i + 1:i + 7] if (m := _HEADER.match(line))}
    return bool(kinds & {"sent", "date"}) and bool(kinds & {"to", "subject"})


def _header_block(lines: list[str], j: int) -> tuple[int, str | None]:
    """The index after a run of header lines starting at ``j``, and the From address."""
    sender: str | None = None
    last = ""
    while j < len(lines):
        m = _HEADER.match(lines[j])
        if m:
            last = m.group(1).lower()
            if last == "from" and sender is None:
                sender = _address(m.group(2))
        elif not (lines[j].strip() and last in {"to", "cc"} and re.search(r"[@;,]", lines[j])):
            break  # not a wrapped recipient list: the message text begins
        j += 1
    if j < len(lines) and not lines[j].strip():
        j += 1
    return j, sender


def _next_start(lines: list[str], i: int) -> int:
    while i < len(lines) and _block_start(lines, i) is None:
        i += 1
    return i


def _next_nonblank(lines: list[str], i: int, limit: int | None = None) -> int:
    stop = len(lines) if limit is None else min(len(lines), i + limit)
    while i < stop and not lines[i].strip():
        i += 1
    return i


def _quoted_run_end(lines: list[str], i: int) -> int:
    """The index after a run of ``>`` lines (blank lines inside the run belong to it)."""
    end = i
    while i < len(lines) and (_QUOTED.match(lines[i]) or not lines[i].strip()):
        if _QUOTED.match(lines[i]):
            end = i + 1
        i += 1
    return end


def _dequote(lines: list[str]) -> list[str]:
    """Remove one level of ``>`` quoting."""
    return [re.sub(r"^\s*> ?", "", line, count=1) for line in lines]


def _address(text: str) -> str | None:
    m = _ADDRESS.search(text)
    return m.group(0).lower().strip(".'") if m else None


def _join(lines: list[str]) -> str:
    """Lines as text, without trailing rules ("____") or the blank lines a removed quote left."""
    while lines and _RULE.match(lines[-1]):
        lines = lines[:-1]
    out: list[str] = []
    for line in (line.rstrip() for line in lines):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
