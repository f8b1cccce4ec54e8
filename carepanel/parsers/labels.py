"""Finding a form's printed labels in text, however the text was typed or extracted.

A label matches at the start of a line, word by word, ignoring case, punctuation and
spacing, and tolerating a line break inside a word (PDF cells wrap "Signatur/e").  It must
end where a label ends: at the end of the line, before punctuation or a number, or after
its own ``?``/``:`` -- so ``Team`` does not match "Team Manager" and ``Date`` does not
match "Date of Birth".    What follows it on the line is the start of its answer.

A label written ``"Team Manager / Name"`` is qualified: it matches ``Name`` only in a table
cell whose column heading or row heading matches ``Team Manager``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

QUALIFIER = " / "
_WORD = re.compile(r"[^\W_]+")
_TAIL = r"(?P<tail>[ \t]*[^\w\s]+)?"
_ENDS_LABEL = re.compile(r"[ \t]*(?:$|\d|[^\w\s])", re.M)


@dataclass(frozen=True)
class Label:
    printed: str  # as on the form, the key in ``Request.fields``
    key: str  # the request field it fills, e.g. ``team_manager.name``
    pattern: re.Pattern[str]
    context: re.Pattern[str] | None = None

    @property
    def size(self) -> int:
        return len(self.pattern.pattern)


@dataclass(frozen=True)
class Hit:
    label: Label
    start: int
    end: int  # where the answer on the same line begins


def words_pattern(text: str) -> str:
    """A regex for ``text``'s words in order, any punctuation or spacing between them."""
    words = [w.lower() for w in _WORD.findall(text)]
    # words may run together: OCR often loses the space in a narrow heading ("ChildID")
    return r"[\W_]*".join("(?:-?\n)?".join(re.escape(ch) for ch in word) for word in words)


@lru_cache(maxsize=4096)
def line_start_pattern(text: str) -> re.Pattern[str]:
    return re.compile(r"^[^\w\n]*" + words_pattern(text) + _TAIL, re.I | re.M)


def ends_label(m: re.Match[str]) -> bool:
    """A label ends at punctuation, or where its line ends or a number starts."""
    return bool(m.group("tail")) or bool(_ENDS_LABEL.match(m.string, m.end()))


def make_labels(mapping: Mapping[str, str]) -> tuple[Label, ...]:
    out = []
    for printed, key in mapping.items():
        context, _, bare = printed.rpartition(QUALIFIER)
        if not _WORD.search(bare):
            continue
        out.append(Label(printed, key, line_start_pattern(bare), line_start_pattern(context) if context else None))
    return tuple(out)


def find_hits(text: str, labels: Iterable[Label]) -> list[Hit]:
    """Every label found at a line start in ``text``, longest first where two start together."""
    hits = []
    for label in labels:
        for m in label.pattern.finditer(text):
            if ends_label(m):
                hits.append(Hit(label, m.start(), m.end()))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start), -(h.label.context is not None)))
    chosen: list[Hit] = []
    for hit in hits:
        if chosen and hit.start < chosen[-1].end:
            continue
        chosen.append(hit)
    return chosen


def strip_prefixes(text: str, prefixes: Iterable[re.Pattern[str]]) -> str:
    """Remove printed guidance (``(e.g. ...)``) from the start of an answer."""
    changed = True
    while changed:
        changed = False
        for p in prefixes:
            m = p.match(text)
            if m and m.end() > 0:
                text = text[m.end():]
                changed = True
    return text


@lru_cache(maxsize=1024)
def guidance_pattern(text: str) -> re.Pattern[str]:
    return re.compile(r"[\W_]*" + words_pattern(text) + r"[^\w\n]*", re.I)


def normalise(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def label_matches(pattern: re.Pattern[str], text: str) -> bool:
    """``text`` starts with the label (a heading cell, a context cell)."""
    m = pattern.match(text.strip())
    return m is not None and ends_label(m)
