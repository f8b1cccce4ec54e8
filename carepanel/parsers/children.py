"""The children on a form, from its tables of children: one row per person.

A children table is found by its heading row (``columns``: printed heading -> child field).
Forms list other people there too -- North Somerset's table is headed "Details of all
Child(ren) / Young Person(s) and their parents".  Every row is a child or young person whatever
the age (care leavers are 18 to 25: profiles.md, Rules v2, "Who the request is about"); a row
is left out, with a warning, only where the form gives it to a parent, that is when

- it names a relationship (mother, father, mum, dad, parent, step-/grand-parent, aunt,
  uncle, carer, partner) -- in the name or a relationship column, or as the whole of
  another cell ("Mother" as the legal status) -- and gives no legal status or plan for the
  person: a teenage mother who is herself looked after keeps her place, and so does an
  unborn baby ("Unborn baby of Jane (mother)").

Where a form has no ID column the ID is read from beside the name: ``Amelia Hart (LCS123456)``
gives the name ``Amelia Hart`` and the ID ``LCS123456``.  Rows of several tables (Bexley's
subject children and its Signs of Safety table) are merged by name.  In a PDF, a children
table carried over to the next page (the next table, ruled the same way, no heading) goes on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from ..models import Child
from .labels import label_matches, line_start_pattern, normalise
from .layout import Cell, Layout, Table
from .values import age_on, clean, is_blank, parse_age, parse_date

RELATION = re.compile(
    r"\b(?:birth\s+)?(?:mother|father|mum|mummy|mom|dad|daddy|parents?|step[\s-]?(?:mother|father|mum|dad|parent)"
    r"|grand(?:mother|father|ma|pa|parent|mum|dad)|gran(?:ny)?|grandad|aunt(?:ie)?|uncle|carers?|partner|maternal|paternal|guardian)\b",
    re.I,
)
ID_IN_TEXT = re.compile(
    r"\b(?P<sys>LCS|ICS|EHM|CID|Mosaic|LL|ID)(?![a-z])\.?\s*(?:no\.?|number|num|id|ref)?\s*[:#.\-]?\s*(?P<num>\d{3,12})\b"
    r"|\((?P<bare>[A-Z]{0,4}\s*\d{4,12})\)",
    re.I,
)
CHILD_FIELDS = ("name", "dob", "age", "gender", "child_id", "legal_status", "ethnicity", "plan", "disability")


@dataclass(frozen=True)
class Children:
    children: tuple[Child, ...]
    warnings: tuple[str, ...] = ()


def read_children(layout: Layout, tables: Sequence[Mapping[str, object]], today: date,
                  labels: Sequence[re.Pattern[str]] = ()) -> Children:
    """``tables``: each ``{"columns": {heading: field}, "min_columns": n}`` from the form spec;
    ``labels``: the form's own labels, a row starting with one of which is the next part of
    the form (a PDF joins tables that touch, and their rulings can agree)."""
    rows: list[dict[str, str | None]] = []
    for spec in tables:
        columns = {str(k): str(v) for k, v in dict(spec.get("columns", {})).items()}  # type: ignore[call-overload]
        min_columns = int(spec.get("min_columns", 2))  # type: ignore[call-overload]
        for i, block in enumerate(layout.blocks):
            if isinstance(block, Table):
                found = _table_rows(block, columns, min_columns)
                if found is not None:
                    mapping, data_rows = found
                    data_rows = _before_labels(data_rows, labels)
                    rows.extend(_row(cells, mapping) for cells in data_rows + _continuation(layout, i, data_rows))
    return build_children(rows, today)


def _before_labels(rows: list[tuple[Cell, ...]], labels: Sequence[re.Pattern[str]]) -> list[tuple[Cell, ...]]:
    for n, row in enumerate(rows):
        if any(cell.text.strip() and any(label_matches(p, cell.text) for p in labels) for cell in row[:1]):
            return rows[:n]
    return rows


def _continuation(layout: Layout, i: int, data_rows: list[tuple[Cell, ...]]) -> list[tuple[Cell, ...]]:
    """Rows of a PDF table carried over to the next page: the next block, ruled the same way."""
    if layout.format != "pdf" or not data_rows or i + 1 >= len(layout.blocks):
        return []
    following = layout.blocks[i + 1]
    shape = [(c.col, c.span) for c in data_rows[-1]]
    if isinstance(following, Table) and all([(c.col, c.span) for c in row] == shape for row in following.rows):
        return list(following.rows)
    return []


def build_children(rows: Sequence[Mapping[str, str | None]], today: date) -> Children:
    merged: dict[str, dict[str, str | None]] = {}
    for row in rows:
        row = _with_id_from_name(dict(row))
        key = normalise(row.get("name") or "")
        if not key:
            continue
        into = merged.setdefault(key, {})
        for k, v in row.items():
            if into.get(k) is None:
                into[k] = v
    kept: list[Child] = []
    left_out = unread_dates = 0
    for row in merged.values():
        child = _child(row, today)
        if _is_relative(row):
            left_out += 1
            continue
        kept.append(child)
        unread_dates += child.dob is None and not is_blank(row.get("dob"))
    warnings = []
    if left_out:
        warnings.append(f"{left_out} row(s) of the children table name a parent or another relative and were left out")
    if unread_dates:
        warnings.append(f"{unread_dates} child(ren)'s date of birth could not be read as a date")
    return Children(tuple(kept), tuple(warnings))


def _table_rows(table: Table, columns: Mapping[str, str], min_columns: int) -> tuple[dict[int, str], list[tuple[Cell, ...]]] | None:
    """The column mapping and the rows under the heading row, if the table has one."""
    patterns = [(line_start_pattern(heading), key) for heading, key in columns.items()]
    for r, row in enumerate(table.rows):
        mapping: dict[int, str] = {}
        for cell in row:
            key = _heading_key(cell.text, patterns)
            if key is not None and key not in mapping.values():
                mapping[cell.col] = key
        if len(mapping) >= min_columns and NAME_PARTS & set(mapping.values()):
            return mapping, _rows_under(row, table.rows[r + 1:])
    return None


def _rows_under(heading: Sequence[Cell], rows: Sequence[tuple[Cell, ...]]) -> list[tuple[Cell, ...]]:
    """The rows of people under the heading row, up to where another part of the form begins.

    A form saved again by LibreOffice (as .odt, .doc or .docx) comes back with tables that
    touched in the original joined into one, on one grid, so the addresses and the
    signatures can follow the children's rows in the same table.  A row belongs to the
    children's table while its cell edges are among the heading row's or the first row's
    (cells merged across columns keep to them); a row with an edge of its own, or one cell
    across the whole width, is the next part of the form.
    """
    # The first row under the heading is a person's, however it is ruled (a PDF's heading
    # cells can run together where a data row's do not); later rows keep to the edges of either.
    edges = _edges(heading) | (_edges(rows[0]) if rows else set())
    width = (min(c.col for c in heading), max(c.col + c.span for c in heading)) if heading else (0, 0)
    out = []
    for row in rows:
        whole = len(row) == 1 and (row[0].col, row[0].col + row[0].span) == width
        if not row or not _edges(row) <= edges or (whole and len(heading) > 1):
            break
        out.append(row)
    return out


def _edges(row: Sequence[Cell]) -> set[int]:
    return {c.col for c in row} | {c.col + c.span for c in row}


def _heading_key(text: str, patterns: Sequence[tuple[re.Pattern[str], str]]) -> str | None:
    """The field of the longest heading that starts the cell, whole words only."""
    best: tuple[int, str] | None = None
    text = text.strip()
    for pattern, key in patterns:
        m = pattern.match(text)
        if m and not re.match(r"[^\W_]", text[m.end(): m.end() + 1]) and (best is None or m.end() > best[0]):
            best = (m.end(), key)
    return best[1] if best else None


NAME_PARTS = frozenset({"name", "forename", "surname"})


def _row(cells: Sequence[Cell], mapping: Mapping[int, str]) -> dict[str, str | None]:
    """One person's cells by field; a forename and a surname in columns of their own make the name."""
    row = {mapping[cell.col]: clean(cell.text) for cell in cells if cell.col in mapping}
    parts = [row.pop(k, None) for k in ("forename", "surname")]
    if not row.get("name") and any(parts):
        row["name"] = " ".join(p for p in parts if p)
    return row


def _with_id_from_name(row: dict[str, str | None]) -> dict[str, str | None]:
    name = " ".join((row.get("name") or "").split()) or None
    if name:
        m = ID_IN_TEXT.search(name)
        if m:
            if is_blank(row.get("child_id")):
                row["child_id"] = normalise_id(m.group(0))
            name = clean(re.sub(r"[\s,;:\-–]+$", "", (name[: m.start()] + name[m.end():]).replace("()", "")))
            row["name"] = name
    if row.get("child_id"):
        row["child_id"] = normalise_id((row["child_id"] or "").replace("\n", ""))
    return row


def normalise_id(text: str) -> str | None:
    """``LCS: 123456`` and ``(LCS 123456)`` -> ``LCS123456``; anything else as written."""
    m = ID_IN_TEXT.search(text)
    if m and m.group("num"):
        system = m.group("sys").upper()
        return (system if system != "ID" else "") + m.group("num").upper()
    if m and m.group("bare"):
        return re.sub(r"\s+", "", m.group("bare")).upper()
    return clean(text.strip(" ()"))


NO_DISABILITY = re.compile(r"^\W*(?:none|no|nil|n/?a|not\s+applicable)\W*$", re.I)
UNBROKEN = ("dob", "age", "child_id")  # a narrow PDF column wraps "02/03/201" / "4"


def _one_line(key: str, text: str | None) -> str | None:
    if text is None or is_blank(text):
        return None
    return clean(text.replace("\n", "") if key in UNBROKEN else " ".join(text.split()))


def _child(row: Mapping[str, str | None], today: date) -> Child:
    fields = {k: _one_line(k, v) for k, v in row.items() if k in CHILD_FIELDS}
    if NO_DISABILITY.match(fields.get("disability") or ""):
        fields["disability"] = None
    dob = parse_date(fields.get("dob"), today)
    age = parse_age(fields.get("age"))
    if age is None and dob is not None:
        age = age_on(dob, today)
    return replace(
        Child(),
        **{k: v for k, v in fields.items() if k not in ("dob", "age")},
        dob=dob,
        age=age,
    )


def _only_relation(text: str | None) -> bool:
    words = RELATION.sub(" ", text or "")
    return bool(text) and words != text and not re.search(r"[^\W_]", re.sub(r"\b(?:n/?a|the|of|child|children|s)\b", "", words, flags=re.I))


UNBORN = re.compile(r"\b(?:unborn|baby|pre[\s-]?birth)\b", re.I)


def _is_relative(row: Mapping[str, str | None]) -> bool:
    """Named as a relative (in the name or relationship, or as the whole of another cell)."""
    if UNBORN.search(row.get("name") or ""):
        return False  # "Unborn baby of Jane (mother)" is a child
    marked = [k for k in ("name", "relationship") if RELATION.search(row.get(k) or "")]
    marked += [k for k in ("legal_status", "plan", "child_id", "gender") if _only_relation(row.get(k))]
    if not marked:
        return False
    status = [row.get(k) for k in ("legal_status", "plan") if k not in marked]
    return all(is_blank(s) or re.fullmatch(r"\W*(?:none|no|n)\W*", s or "", re.I) for s in status)
