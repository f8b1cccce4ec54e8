"""The panel date a message names in its subject or body ("for panel on 31/12/2026",
"CRP 25th November").

Only dates near a panel word count, so a child's date of birth in the body is never taken
for the panel date.  A date without a year is the next such date on or after receipt.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_PANEL_WORD = re.compile(r"\b(panel|crp|rcp|cpr|carp|meeting)\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?\b")
_WORDY = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?(?:\s+(\d{4}))?",
    re.IGNORECASE,
)
_WORDY_US = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
WINDOW = 60  # characters either side of a panel word


def _year(text: str | None, day: int, month: int, received: date) -> int | None:
    if text:
        y = int(text)
        return y + 2000 if y < 100 else y
    candidate = received.year
    try:
        if date(candidate, month, day) < received:
            candidate += 1
    except ValueError:
        return None
    return candidate


def _make(y: int | None, m: int, d: int) -> date | None:
    if y is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _dates_in(text: str, received: date) -> list[tuple[int, date]]:
    found: list[tuple[int, date]] = []
    for m in _ISO.finditer(text):
        d = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            found.append((m.start(), d))
    for m in _NUMERIC.finditer(text):
        day, month = int(m.group(1)), int(m.group(2))
        d = _make(_year(m.group(3), day, month, received), month, day) if 1 <= month <= 12 else None
        if d:
            found.append((m.start(), d))
    for m in _WORDY.finditer(text):
        day, month = int(m.group(1)), _MONTHS[m.group(2)[:3].lower()]
        d = _make(_year(m.group(3), day, month, received), month, day)
        if d:
            found.append((m.start(), d))
    for m in _WORDY_US.finditer(text):
        month, day = _MONTHS[m.group(1)[:3].lower()], int(m.group(2))
        d = _make(_year(m.group(3), day, month, received), month, day)
        if d:
            found.append((m.start(), d))
    return found


def panel_date_mentioned(subject: str, body: str, received: date) -> date | None:
    """The first plausible panel date named near a panel word, subject first."""
    for text in (subject or "", (body or "")[:5000]):
        for word in _PANEL_WORD.finditer(text):
            lo, hi = max(0, word.start() - WINDOW), word.end() + WINDOW
            near = sorted(_dates_in(text[lo:hi], received), key=lambda p: abs(p[0] + lo - word.start()))
            for _, d in near:
                if abs((d - received).days) <= 400:
                    return d
    return None
