"""Pure readers for the values people type into forms: dates, money, costs, yes/no.

Every function here takes any string and never raises: an answer it cannot read is
``None`` (or an empty ``Costs``).  Dates are UK day-first (``02/03/2014`` is 2 March).
Two-digit years pivot on today: a year after this year's two digits is last century, so
``5.6.85`` is 1985 and ``2.3.14`` is 2014.
"""

from __future__ import annotations

import re
from datetime import date

from ..models import Costs

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>\d{4}|\d{2})(?!\d)"

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})\s*-\s*(?P<m>\d{1,2})\s*-\s*(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*" + _YEAR),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})" + _ORD + r"\s*(?:of\s+)?[\s\-/]*" + _MONTH + r"[\s,\-/]*" + _YEAR, re.I),
    re.compile(r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})" + _ORD + r",?\s+" + _YEAR, re.I),
)


def two_digit_year(yy: int, today: date | None = None) -> int:
    """``yy`` after this year's two digits is last century (dates of birth, mostly)."""
    this = (today or date.today()).year
    century = this - this % 100
    return century + yy if yy <= this % 100 else century - 100 + yy


def parse_date(text: str | None, today: date | None = None) -> date | None:
    """The first date written in ``text``, UK day-first; ``None`` if there is none."""
    if not text:
        return None
    text = text[:2000]
    found: list[tuple[int, date]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            d = _to_date(m, today)
            if d is not None:
                found.append((m.start(), d))
                break
    return min(found, key=lambda f: f[0])[1] if found else None


def _to_date(m: re.Match[str], today: date | None) -> date | None:
    parts = m.groupdict()
    year = int(parts["y"])
    if len(parts["y"]) == 2:
        year = two_digit_year(year, today)
    month = MONTHS[parts["mon"].lower()[:3]] if parts.get("mon") else int(parts["m"])
    day = int(parts["d"])
    if parts.get("m") is not None and month > 12 and day <= 12:
        day, month = month, day  # written month-first (US style): only when day-first is impossible
    if not 1800 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def age_on(dob: date, today: date) -> int | None:
    """Whole years from ``dob`` to ``today``; ``None`` for a date still to come (unborn)."""
    if dob > today:
        return None
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def parse_age(text: str | None) -> int | None:
    """An age as written: ``12``, ``12 years``, ``12 yrs 3 mths``; months alone are under one."""
    if not text:
        return None
    m = re.match(r"\s*(\d{1,3})\s*(y(?:ea)?rs?|years? old|y/o|yo)?\b\s*(m(?:on)?ths?|months?)?", text, re.I)
    if not m:
        return None
    n = int(m.group(1))
    if m.group(3) and not m.group(2):
        return n // 12
    return n if n < 130 else None


# --------------------------------------------------------------------------- money

_AMOUNT = re.compile(
    r"(?P<cur>£|gbp\s*)?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<mult>k|m|million|thousand)\b)?",
    re.I,
)
_TIME_UNIT = re.compile(r"\s*(?:weeks?|wks?|months?|days?|nights?|hours?|hrs?|years?|yrs?|sessions?|%|x\b)", re.I)


def _amounts(text: str) -> list[tuple[int, int, float, bool]]:
    """(start, end, pounds, marked with £) of each amount of money in ``text``.

    Where the text has a pound sign anywhere, only amounts marked with one count; otherwise
    bare numbers count unless they are followed by a unit of time ("52 weeks").
    """
    any_pound = "£" in text or "gbp" in text.lower()
    out = []
    for m in _AMOUNT.finditer(text):
        if any_pound and not m.group("cur"):
            continue
        if not m.group("cur") and _TIME_UNIT.match(text, m.end()):
            continue
        if m.start() > 0 and (text[m.start() - 1].isalpha() or text[m.start() - 1] in "/."):
            continue  # part of an ID or a date
        if re.match(r"\s*[/.\-]\s*\d", text[m.end():]):
            continue  # a date such as 02/03/2014
        value = float(m.group("num").replace(",", ""))
        mult = (m.group("mult") or "").lower()
        if mult == "k" or mult == "thousand":
            value *= 1000
        elif mult in ("m", "million"):
            value *= 1_000_000
        if value > 1e9:
            continue
        out.append((m.start(), m.end(), round(value, 2), bool(m.group("cur"))))
    return out


def parse_money(text: str | None) -> float | None:
    """The first amount of money in ``text`` (``£1,250 per week`` -> 1250.0)."""
    if not text:
        return None
    found = _amounts(text[:5000])
    return found[0][2] if found else None


_WEEKLY_AFTER = re.compile(r"\s*(?:/\s*w(?:ee)?k|p\.?\s?/?\s?w\b|per\s+w(?:ee)?k|a\s+week|each\s+week|weekly|x\s*\d+\s*w(?:ee)?ks?)", re.I)
_TOTAL_AFTER = re.compile(r"\s*(?:in\s+total|total|overall|altogether|for\s+(?:the\s+)?(?:\d+|one|a)\s+(?:weeks?|months?|years?)"
                          r"|per\s+(?:annum|year)|p\.?\s?a\b|a\s+year|annually|for\s+the\s+(?:year|period))", re.I)
_DAILY_AFTER = re.compile(r"\s*(?:per|a|each|/)\s*(?:day|night)\b|\s*nightly|\s*daily", re.I)
_MONTHLY_AFTER = re.compile(r"\s*(?:per|a|each|/)\s*(?:month|calendar\s+month)\b|\s*pcm\b|\s*monthly", re.I)
_WEEKLY_BEFORE = re.compile(r"(?:weekly|per\s+week|a\s+week|pw)(?:\s+(?:cost|rate|amount|fee|total|charge)s?)?\s*(?:is|of|:|=|-|–)?\s*$", re.I)
_TOTAL_BEFORE = re.compile(r"(?:total|overall|annual|yearly|whole|full)(?:\s+(?:projected\s+)?(?:cost|amount|spend|figure|package)s?)?"
                           r"(?:\s+(?:for|over)\s+[\w\s]{0,20}?)?\s*(?:is|of|:|=|-|–)?\s*$|=\s*$", re.I)
_NO_COST = re.compile(r"^\W*(?:nil|none|no\s+cost(?:s)?(?:\s+to\s+the\s+(?:la|local\s+authority|council))?|£?\s*0(?:\.00)?|free)\W*$", re.I)


def parse_costs(text: str | None) -> Costs:
    """Weekly and total costs from a free-text answer.

    "£850 per week, £44,200 in total for 52 weeks" -> Costs(850.0, 44200.0).  An amount
    per day or night is counted seven times a week, one per month as twelve in 52 weeks.
    An amount with no cue is taken as the total if it has a pound sign (or is all the answer
    says): "2 children" is not money.  "Nil" or "no cost" is nought.
    """
    if not text or not text.strip():
        return Costs()
    text = text[:5000]
    if _NO_COST.match(text.strip()):
        return Costs(0.0, 0.0)
    weekly: float | None = None
    total: float | None = None
    plain: list[float] = []
    amounts = _amounts(text)
    only_a_number = len(amounts) == 1 and not re.sub(r"[\d,.£\s]|gbp", "", text, flags=re.I)
    prev_end = 0  # where the last amount and the cue after it ("per week") end
    for i, (start, end, value, marked) in enumerate(amounts):
        next_start = amounts[i + 1][0] if i + 1 < len(amounts) else len(text)
        before, after = text[max(prev_end, start - 40):start], text[end:min(next_start, end + 40)]
        kind, used = _cue(before, after)
        prev_end = end + used
        if kind == "weekly" and weekly is None:
            weekly = value
        elif kind == "daily" and weekly is None:
            weekly = round(value * 7, 2)
        elif kind == "monthly" and weekly is None:
            weekly = round(value * 12 / 52, 2)
        elif kind == "total" and total is None:
            total = value
        elif kind is None and (marked or only_a_number):
            plain.append(value)
    if total is None and plain:
        total = plain[0] if weekly is not None or len(plain) == 1 else max(plain)
    return Costs(weekly, total)


def _cue(before: str, after: str) -> tuple[str | None, int]:
    """The kind of an amount, and how much of ``after`` its cue takes (so that "£95 per
    week" does not lend its "per week" to the next line's amount)."""
    if _WEEKLY_BEFORE.search(before):
        return "weekly", 0
    if _TOTAL_BEFORE.search(before):
        return "total", 0
    for kind, pattern in (("weekly", _WEEKLY_AFTER), ("daily", _DAILY_AFTER),
                          ("monthly", _MONTHLY_AFTER), ("total", _TOTAL_AFTER)):
        m = pattern.match(after)
        if m:
            return kind, m.end()
    return None, 0


# --------------------------------------------------------------------------- yes / no

# Wingdings boxes come out of a PDF as the font's own code points: "þ" (U+00FE, or U+F0FE
# in the private use area) is its ticked box, "¨" (U+00A8 / U+F0A8) its empty one.
_CHECKED = "☒☑✓✔✗✘■▣◼●⊠þ\uf0fe\uf0fd\uf0fc"
_EMPTY = "☐□○◻❏⃞¨\uf0a8\uf06f\uf071"
_TOKENS = re.compile(
    r"(?P<yes>\byes\b)|(?P<no>\bno\b)"
    r"|(?P<on>[" + _CHECKED + r"]|\[\s*[x✓✔]\s*\]|\(\s*[x✓✔]\s*\)|(?<![\w'])x(?![\w']))"
    r"|(?P<off>[" + _EMPTY + r"]|\[\s*\]|\(\s*\))",
    re.I,
)


def parse_yes_no(text: str | None) -> bool | None:
    """Yes/No answers and tick boxes.

    ``Yes ☒ No ☐`` -> True, ``Yes ☐ No ☒`` -> False, ``☒ Yes ☐ No`` -> True; with no box
    ticked, the words decide: one word left after the other was deleted (``Yes ☐``),
    or an answer that starts with one (``No - booked for next week``).  Both or neither -> None.
    """
    if not text or not text.strip():
        return None
    tokens = [(m.lastgroup, m.start()) for m in _TOKENS.finditer(text[:2000])]
    ticked = _ticked(tokens)
    if ticked is not None:
        return ticked
    if any(kind == "on" for kind, _ in tokens):
        return None  # boxes ticked, but not one answer clearly
    if re.fullmatch(r"\W*[yn]\W*", text, re.I):
        return text.strip(" .:-").lower() == "y"
    words = [kind for kind, _ in tokens if kind in ("yes", "no")]
    if not words:
        return None
    bare = " ".join(re.findall(r"[a-z]+", _TOKENS.sub(lambda m: m.group(0) if m.lastgroup in ("yes", "no") else " ", text.lower())))
    if bare in ("yes no", "no yes"):
        return None  # the options as printed, untouched
    first = re.match(r"\W*(yes|no)\b", text, re.I)
    if first:
        return first.group(1).lower().startswith("y")
    if len(set(words)) == 1:
        return words[0] == "yes"
    return None


def _ticked(tokens: list[tuple[str | None, int]]) -> bool | None:
    """The answer whose box is ticked, pairing each word with the box beside it."""
    kinds = [k for k, _ in tokens]
    boxes = [i for i, k in enumerate(kinds) if k in ("on", "off")]
    words = [i for i, k in enumerate(kinds) if k in ("yes", "no")]
    if not boxes or not words:
        return None
    box_first = boxes[0] < words[0]
    answers = set()
    for i in words:
        j = i - 1 if box_first else i + 1
        if 0 <= j < len(kinds) and kinds[j] == "on":
            answers.add(kinds[i] == "yes")
    return answers.pop() if len(answers) == 1 else None


# --------------------------------------------------------------------------- text


# The prompts Word puts in an empty content control.  Word itself hides them from the text
# (``w:showingPlcHdr``), but a form saved again by LibreOffice or printed to PDF keeps them
# as words; a person reads them as a blank.
WORD_PROMPTS = re.compile(
    r"(?:click|tap|click\s+or\s+tap)\s+(?:here\s+)?to\s+enter\s+(?:text|a\s+date)\.?|choose\s+an\s+item\.?"
    r"|enter\s+any\s+content\s+that\s+you\s+want\s+to\s+repeat[^\n]*", re.I)


def clean(text: str | None) -> str | None:
    """Trim each line and the whole; collapse runs of blank lines; Word's prompts in empty
    content controls removed; empty -> ``None``."""
    if text is None:
        return None
    text = WORD_PROMPTS.sub("", text)
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    joined = "\n".join(out).strip()
    return joined or None


_PLACEHOLDERS = frozenset({"n/a", "na", "tbc", "tba", "tbd", "?", "xx", "xxx", "unknown", "to follow", "awaiting", "pending"})


def is_blank(text: str | None) -> bool:
    """Nothing there but punctuation or a placeholder like ``N/A`` or ``TBC``."""
    if text is None:
        return True
    stripped = text.strip()
    if not re.search(r"\w", stripped):
        return True
    return stripped.lower().strip(" .-") in _PLACEHOLDERS
