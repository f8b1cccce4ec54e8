"""Labelled answers from a ``Layout``: where each label is, and where its answer was typed.

An answer is looked for, in order:

1. in the label's own cell, after the label on the same line (``Name: Jo Bloggs``) or on the
   lines under it, up to the next label in that cell;
2. in the value cell: the next cell to the right, unless that cell is itself a label; else
   the cells under the label in the next row (a heading row over a row of answers, or a
   one-column question/answer table); else, for a question in the last row, the first row
   of what follows (a table broken across pages of a PDF).

Lines typed in a cell before any label in it belong to the label that points at that cell:
the North Somerset request cell holds the request above the printed prompt "What work has
already been undertaken...", whose own answer is typed under it.  Paragraphs outside tables
are read as one running text, label by label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .labels import Hit, Label, find_hits, guidance_pattern, label_matches, strip_prefixes
from .layout import Cell, Layout, Paragraph, Table
from .values import clean


@dataclass(frozen=True)
class Found:
    text: str | None
    picture: bool = False
    label: str | None = None  # the printed label it answers


@dataclass
class Fields:
    """What was found: by request field key, and by printed label (for the audit trail)."""

    by_key: dict[str, Found] = field(default_factory=dict)
    by_label: dict[str, str | None] = field(default_factory=dict)

    def text(self, key: str) -> str | None:
        found = self.by_key.get(key)
        return found.text if found else None

    def picture(self, key: str) -> bool:
        found = self.by_key.get(key)
        return bool(found and found.picture)

    def add(self, label: Label, found: Found) -> None:
        old = self.by_key.get(label.key)
        if old is None or (old.text is None and found.text is not None):
            self.by_key[label.key] = Found(found.text, found.picture or bool(old and old.picture), label.printed)
        elif found.picture and not old.picture:
            self.by_key[label.key] = Found(old.text, True, old.label)
        if self.by_label.get(label.printed) is None:
            self.by_label[label.printed] = found.text


@dataclass(frozen=True)
class _View:
    cell: Cell
    hits: tuple[Hit, ...]
    orphan: str  # text typed before the first label in the cell (all of it when none)

    @property
    def is_label(self) -> bool:
        return bool(self.hits) and not self.orphan.strip()


def read_fields(layout: Layout, labels: Sequence[Label], guidance: Sequence[str] = ()) -> Fields:
    prefixes = tuple(guidance_pattern(g) for g in guidance)
    out = Fields()
    grids = [_views(table, labels) for table in _grids(layout)]
    for g, views in enumerate(grids):
        following = grids[g + 1] if g + 1 < len(grids) else None
        for r, row in enumerate(views):
            for c, _ in enumerate(row):
                _read_cell(views, r, c, prefixes, out, following)
    _read_grids(layout, labels, out)
    return out


def _read_grids(layout: Layout, labels: Sequence[Label], out: Fields) -> None:
    """A sign-off drawn as a grid: one heading names the person (a row's first cell, or a
    column's top cell), the other the thing asked (Name, Signature, Date), and the answer is
    where they cross.  ``"Team manager / Signature"`` is read there when no cell reads it."""
    wanted = [lb for lb in labels if lb.context is not None and out.text(lb.key) is None and not out.picture(lb.key)]
    if not wanted:
        return
    for table in layout.tables:
        if len(table.rows) < 2:
            continue
        for lb in wanted:
            found = _grid_answer(table, lb)
            if found is not None:
                out.add(lb, found)


def _grid_answer(table: Table, lb: Label) -> Found | None:
    assert lb.context is not None
    top = table.rows[0]
    for row in table.rows[1:]:
        if not row:
            continue
        first = row[0].text
        for head in top[1:]:
            crossed = ((label_matches(lb.context, first) and label_matches(lb.pattern, head.text))
                       or (label_matches(lb.pattern, first) and label_matches(lb.context, head.text)))
            if crossed:
                cell = next((c for c in row[1:] if c.covers(head.col)), None)
                if cell is not None and not (cell.text.strip() and label_matches(lb.pattern, cell.text)):
                    return Found(clean(cell.text), cell.picture)
    return None


def _grids(layout: Layout) -> Iterable[Table]:
    """Tables as they are; each run of paragraphs as a one-cell table."""
    run: list[Paragraph] = []
    for block in layout.blocks:
        if isinstance(block, Paragraph):
            run.append(block)
            continue
        if run:
            yield _flow(run)
            run = []
        yield block
    if run:
        yield _flow(run)


def _flow(paragraphs: list[Paragraph]) -> Table:
    text = "\n".join(p.text for p in paragraphs)
    return Table(((Cell(text, 0, 1, any(p.picture for p in paragraphs)),),))


def _views(table: Table, labels: Sequence[Label]) -> list[list[_View]]:
    views = []
    width = _width(table)
    plain = [lb for lb in labels if lb.context is None]
    qualified = [lb for lb in labels if lb.context is not None]
    seen: dict[tuple[str, str], bool] = {}  # (label, heading text) -> the heading qualifies it

    def qualifies(lb: Label, text: str) -> bool:
        key = (lb.printed, text)
        if key not in seen:
            seen[key] = lb.context is not None and label_matches(lb.context, text)
        return seen[key]

    for r, row in enumerate(table.rows):
        out: list[_View] = []
        heads = _heading_rows(table, r, width) if qualified and any(cell.text.strip() for cell in row) else []
        for c, cell in enumerate(row):
            hits: tuple[Hit, ...] = ()
            if cell.text.strip():
                contexts = _contexts(table, r, c, heads) if qualified else []
                usable = plain + [lb for lb in qualified if any(qualifies(lb, t) for t in contexts)]
                hits = tuple(find_hits(cell.text, usable))
            if hits and out and out[-1].is_label and out[-1].hits[-1].label.key == hits[0].label.key:
                hits = ()  # "Team" | "Team 1": an answer that starts with its own label's word
            out.append(_View(cell, hits, cell.text[: hits[0].start] if hits else cell.text))
        views.append(out)
    return views


def _contexts(table: Table, r: int, c: int, heads: Sequence[int]) -> list[str]:
    """The headings a cell sits under: its column's cell in each of ``heads`` (the rows that
    can head its row), and its row's first cell."""
    cell = table.rows[r][c]
    out: list[str] = []
    for h in heads:
        out.extend(top.text for top in table.rows[h] if top.covers(cell.col))
    if c > 0:
        out.append(table.rows[r][0].text)
    return out


HEADING_REACH = 12  # rows looked up for a heading; a block of a form is never taller


def _heading_rows(table: Table, r: int, width: int) -> list[int]:
    """The rows that can head row ``r``: the table's first row, the row just above, and the
    rows above ``r`` that are ruled on the same columns (no column edge that ``r``'s block
    has not), up to one that spans the whole width.

    The first row is the heading of a table as drawn.  The others find the heading of a
    table that LibreOffice joined to the tables above it when the form was saved again (the
    Social Worker / Team Manager row over the Name, Team, Signature and Date rows): the rows
    of another table joined above are ruled on edges of their own, and stop the search.
    """
    if r == 0:
        return []
    out = {0}
    edges = _inner_edges(table.rows[r])
    for k in range(r - 1, max(-1, r - 1 - HEADING_REACH), -1):
        row = table.rows[k]
        inner = _inner_edges(row)
        if not inner <= edges:
            if k == r - 1:
                out.add(k)  # a heading ruled finer than the row it heads (cells merged below it)
            break
        out.add(k)
        edges |= inner
        if len(row) == 1 and row[0].span >= width:
            break
    return sorted(out)


def _inner_edges(row: Sequence[Cell]) -> set[int]:
    return {c.col for c in row[1:]} | {c.col + c.span for c in row[:-1]}


def _width(table: Table) -> int:
    return max((c.col + c.span for row in table.rows for c in row), default=1)


def _read_cell(views: list[list[_View]], r: int, c: int, prefixes: tuple[re.Pattern[str], ...], out: Fields,
               following: list[list[_View]] | None) -> None:
    view = views[r][c]
    text = view.cell.text
    for i, hit in enumerate(view.hits):
        last = i + 1 == len(view.hits)
        own = clean(strip_prefixes(text[hit.end: len(text) if last else view.hits[i + 1].start], prefixes))
        picture = last and view.cell.picture
        if own is None and last:
            adjacent = _adjacent(views, r, c)
            if adjacent is None and r + 1 == len(views) and following:
                adjacent = _continued(following)
            if adjacent is not None:
                own = clean(strip_prefixes(adjacent.text or "", prefixes))
                picture = picture or adjacent.picture
        out.add(hit.label, Found(own, picture))


def _adjacent(views: list[list[_View]], r: int, c: int) -> Found | None:
    row = views[r]
    if c + 1 < len(row) and not row[c + 1].is_label:
        right = row[c + 1]
        if right.orphan.strip() or right.cell.picture or r + 1 >= len(views) or not _answered_below(views, r, c):
            return Found(right.orphan, right.cell.picture and not right.hits)
        # an empty cell to the right and the answer under the label: a question row over an answer row
    if r + 1 < len(views):
        cell = row[c].cell
        below = [v for v in views[r + 1] if _overlap(v.cell, cell) and not v.is_label]
        if below:
            return Found("\n".join(v.orphan for v in below), any(v.cell.picture and not v.hits for v in below))
    return None


def _answered_below(views: list[list[_View]], r: int, c: int) -> bool:
    cell = views[r][c].cell
    below = [v for v in views[r + 1] if _overlap(v.cell, cell)]
    return bool(below) and all(not v.is_label and not v.hits for v in below) and any(v.orphan.strip() for v in below)


def _continued(views: list[list[_View]]) -> Found | None:
    """A question at the foot of one table or page whose answer box starts the next."""
    first = [v for v in views[0] if not v.is_label] if views and views[0] else []
    if not first or len(first) != len(views[0]):
        return None
    return Found("\n".join(v.orphan for v in first), any(v.cell.picture and not v.hits for v in first))


def _overlap(a: Cell, b: Cell) -> bool:
    return a.col < b.col + b.span and b.col < a.col + a.span
