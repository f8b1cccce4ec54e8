"""Learning a council's form from its blank copy: ``carepanel form learn``.

A new council's form is data, not code (``config.FormSpec``): markers that recognise it, its
printed labels mapped to request fields, its children's table, its signature places.  This
module writes that description from the blank form, so an administrator only checks it and maps
by hand the few labels it could not:

1. **Answer places.**  On a blank form a label is text with an empty place for its answer: the
   cell to its right, the cells under it (a question row over an answer row), or the empty
   paragraph under a paragraph (outside tables).  A grid whose first row and first column are
   printed and whose inside is empty is a sign-off: its labels are ``"Role / Name"`` pairs.
2. **Children.**  A table row whose cells are children's column headings (``synonyms.toml``:
   name or forename and surname, date of birth, ID...) heads the children's table, in whatever
   order its columns come.
3. **Mapping.**  A label names a person (social worker, team manager, service manager, head of
   service) and what of them (name, team, signature, date, email), or else starts with (or
   contains, word for word) one of the generic reader's synonyms; the longest match wins.
4. **Markers.**  The form's own title lines and its longest labels: three of four must be found
   for a document to be this form.

A fillable PDF's blank has no printed answers but named fields: each field's tooltip (or name)
is a label, and a filled copy is read as "label: value" lines (``pdf_reader._form_fields``).
"""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from .labels import QUALIFIER, normalise
from .layout import Layout, Paragraph, Table

ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (  # longest phrases first within each role
    ("team_manager", ("team manager", "practice manager", "deputy team manager")),
    ("service_manager", ("service manager", "service lead", "assistant director")),
    ("head_of_service", ("head of service",)),
    ("social_worker", ("allocated social worker", "social worker", "allocated worker", "lead professional",
                       "name of worker", "worker", "practitioner", "referrer")),
)
PROPERTIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("signature", ("signature", "signed")),
    ("date", ("date",)),
    ("email", ("email", "e mail")),
    ("team", ("team",)),
    ("name", ("name",)),
)
MAX_LABEL = 160  # characters: longer printed text is guidance, not a label
MARKERS = 4


@dataclass
class LearnedForm:
    name: str
    template: str | None
    markers: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    children: list[dict[str, object]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- vocabulary


@cache
def _vocabulary() -> tuple[dict[str, str], dict[str, str]]:
    raw = tomllib.loads(resources.files(__package__).joinpath("synonyms.toml").read_text(encoding="utf-8"))
    labels = {normalise(k): str(v) for k, v in raw["labels"].items() if QUALIFIER not in k}
    columns: dict[str, str] = {}
    for table in raw.get("children", []):
        columns.update({normalise(k): str(v) for k, v in table["columns"].items()})
    return labels, columns


def _words(text: str) -> list[str]:
    return normalise(text.replace("’", "'").replace("'s ", " ").replace("'", "")).split()


def _best(text: str, vocabulary: Mapping[str, str], whole_only: bool = False) -> str | None:
    """The field of the longest synonym that starts ``text`` (or, failing that, appears in it
    word for word); ``whole_only``: the synonym must be all of it but for a trailing word or two."""
    words = _words(text)
    best: tuple[int, str] | None = None
    for phrase, key in vocabulary.items():
        syn = phrase.split()
        if not syn:
            continue
        n = len(syn)
        if words[:n] == syn:
            score = 2 * n + 1
        elif n >= 2 and not whole_only and _contains(words, syn):
            score = 2 * n
        else:
            continue
        if whole_only and len(words) - n > 1:
            continue
        if best is None or score > best[0]:
            best = (score, key)
    return best[1] if best else None


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def _role(words: list[str]) -> tuple[str | None, list[str]]:
    """The person a label names, and its words without them."""
    for role, phrases in ROLES:
        for phrase in phrases:
            p = phrase.split()
            for i in range(len(words) - len(p) + 1):
                if words[i:i + len(p)] == p:
                    return role, words[:i] + words[i + len(p):]
    return None, words


def _property(words: list[str]) -> str | None:
    """What of the person is asked: the first such word in the label ("Date signed" is a date)."""
    best: tuple[int, str] | None = None
    for prop, phrases in PROPERTIES:
        for phrase in phrases:
            p = phrase.split()
            at = next((i for i in range(len(words) - len(p) + 1) if words[i:i + len(p)] == p), None)
            if at is not None and (best is None or at < best[0]):
                best = (at, prop)
    return best[1] if best else None


def map_label(text: str, role_hint: str | None = None) -> str | None:
    """The request field a printed label asks for, or ``None``."""
    words = _words(text)
    if not words:
        return None
    role, rest = _role(words)
    role = role or role_hint
    if role is not None:
        prop = _property(rest)
        if prop is None and len(rest) > 3:
            role = None  # "What has the social worker done...": a question, not the person
        else:
            return f"{role}.{prop or 'name'}"
    labels, _ = _vocabulary()
    key = _best(text, labels)
    return key if key is None or not key.startswith("child.") else None


def map_column(text: str) -> str | None:
    _, columns = _vocabulary()
    return _best(text, columns, whole_only=True)


# --------------------------------------------------------------------------- the blank form


def learn(layout: Layout, name: str, template: str | None = None,
          pdf_fields: Iterable[str] = ()) -> LearnedForm:
    """The form description of the blank form in ``layout``."""
    form = LearnedForm(name=name, template=template)
    children_rows: set[tuple[int, int]] = set()
    for t, table in enumerate(layout.tables):
        found = _children_table(table)
        if found is not None:
            r, columns = found
            form.children.append({"min_columns": min(3, len(columns)), "columns": columns})
            # the heading and the empty rows under it (LibreOffice may have joined the next table on)
            end = next((k for k in range(r + 1, len(table.rows)) if any(c.text.strip() for c in table.rows[k])),
                       len(table.rows))
            children_rows.update((t, k) for k in range(r, end))
    places: list[str] = []
    grids: list[tuple[str, str]] = []
    for t, table in enumerate(layout.tables):
        grid = _sign_off_grid(table)
        if grid is not None:
            grids.extend(grid)
            continue
        for r, row in enumerate(table.rows):
            if (t, r) in children_rows:
                continue
            places.extend(cell.text.strip() for c, cell in enumerate(row) if _is_label(table, r, c))
    places.extend(_paragraph_labels(layout))
    places.extend(pdf_fields)
    for printed in _unique(places):
        key = map_label(printed)
        if key is None:
            form.unmapped.append(printed)
        elif printed not in form.labels:
            form.labels[printed] = key
    for role_text, what in grids:
        role, _ = _role(_words(role_text))
        prop = _property(_words(what))
        printed = f"{role_text}{QUALIFIER}{what}"
        if role is None or prop is None:
            form.unmapped.append(printed)
        else:
            form.labels[printed] = f"{role}.{prop}"
    form.signatures = [label for label, key in form.labels.items() if key.endswith(".signature")]
    form.markers = _markers(layout, form)
    return form


def _is_label(table: Table, r: int, c: int) -> bool:
    cell = table.rows[r][c]
    text = cell.text.strip()
    if not text or len(text) > MAX_LABEL or not re.search(r"[A-Za-z]", text):
        return False
    row = table.rows[r]
    if c + 1 < len(row) and not row[c + 1].text.strip():
        return True  # the answer to its right
    if r + 1 < len(table.rows):
        below = [b for b in table.rows[r + 1] if b.col < cell.col + cell.span and cell.col < b.col + b.span]
        return bool(below) and all(not b.text.strip() for b in below)  # the answer under it
    return False


def _paragraph_labels(layout: Layout) -> list[str]:
    """A paragraph with an empty paragraph under it (before the next text): a label above its answer."""
    out = []
    blocks = layout.blocks
    for i, block in enumerate(blocks[:-1]):
        nxt = blocks[i + 1]
        if (isinstance(block, Paragraph) and block.text.strip() and len(block.text) <= MAX_LABEL
                and isinstance(nxt, Paragraph) and not nxt.text.strip()):
            out.append(block.text.strip())
    return out


def _children_table(table: Table) -> tuple[int, dict[str, str]] | None:
    for r, row in enumerate(table.rows):
        columns = {}
        for cell in row:
            key = map_column(cell.text)
            if key is not None and key not in columns.values():
                columns[cell.text.strip()] = key
        has_name = {"name", "forename", "surname"} & set(columns.values())
        if len(columns) >= 3 and has_name and len(set(columns.values()) - {"name", "forename", "surname"}) >= 1:
            return r, columns
    return None


def _sign_off_grid(table: Table) -> list[tuple[str, str]] | None:
    """``(role heading, what is asked)`` for each crossing of a sign-off grid, or ``None``."""
    rows = table.rows
    if len(rows) < 3 or len(rows[0]) < 3:
        return None
    top = [c.text.strip() for c in rows[0][1:]]
    side = [r[0].text.strip() for r in rows[1:] if r]
    inside_empty = all(not c.text.strip() for r in rows[1:] for c in r[1:])
    if not inside_empty or not all(top) or not all(side):
        return None
    top_roles = [t for t in top if _role(_words(t))[0]]
    side_roles = [s for s in side if _role(_words(s))[0]]
    if len(side_roles) == len(side) and all(_property(_words(t)) for t in top):
        return [(s, t) for s in side for t in top]
    if len(top_roles) == len(top) and all(_property(_words(s)) for s in side):
        return [(t, s) for t in top for s in side]
    return None


def _markers(layout: Layout, form: LearnedForm) -> list[str]:
    """The form's first printed lines (its title) and its longest labels."""
    out: list[str] = []
    for block in layout.blocks:
        texts = [block.text] if isinstance(block, Paragraph) else [c.text for row in block.rows[:1] for c in row]
        for text in texts:
            line = " ".join(text.split())
            if len(normalise(line).split()) >= 2 and len(line) <= 80 and line not in out:
                out.append(line)
        if len(out) >= 2:
            break
    longest = sorted((lb for lb in form.labels if QUALIFIER not in lb), key=lambda s: -len(s))
    for label in longest:
        if len(out) >= MARKERS:
            break
        if label not in out and len(normalise(label).split()) >= 2:
            out.append(label)
    return out[:MARKERS]


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(" ".join(item.split()), None)
    return list(seen)


# --------------------------------------------------------------------------- fillable PDF


def pdf_field_labels(data: bytes) -> list[str]:
    """A fillable PDF's fields, each by its tooltip where it has one, else its name."""
    if b"/AcroForm" not in data:
        return []
    from pypdf import PdfReader

    fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    return [str(f.get("/TU") or name).strip() for name, f in fields.items() if str(f.get("/FT")) == "/Tx"]


# --------------------------------------------------------------------------- the file


def to_toml(form: LearnedForm) -> str:
    """The description as a TOML file that a config names with ``[form] file``."""
    lines = [
        f"# The form description of {form.name}, written by `carepanel form learn`"
        + (f" from {form.template}" if form.template else "") + ".",
        "# Check it; map by hand any label listed at the end, then name this file in the config:",
        "#   [form]",
        '#   file = "THIS-FILE.toml"',
        "",
        "[form]",
        f"name = {_q(form.name)}",
    ]
    if form.template:
        lines.append(f"template = {_q(form.template)}")
    lines.append("markers = [" + ", ".join(_q(m) for m in form.markers) + "]")
    lines += ["", "[form.labels]                   # printed label -> request field; \"Heading / Label\" where a heading qualifies it"]
    lines += [f"{_q(label)} = {_q(key)}" for label, key in form.labels.items()]
    lines += ["", "[form.options]", "signatures = [" + ", ".join(_q(s) for s in form.signatures) + "]   # the signature places"]
    for table in form.children:
        columns = dict(table["columns"])  # type: ignore[call-overload]
        lines += ["", "[[form.options.children]]       # the children's table, its columns in the form's order",
                  f"min_columns = {table['min_columns']}",
                  "columns = { " + ", ".join(f"{_q(k)} = {_q(v)}" for k, v in columns.items()) + " }"]
    if form.unmapped:
        lines += ["", "# Labels not mapped to a request field (add them to [form.labels] to read them):"]
        lines += [f"# {_q(label)} = \"?\"" for label in form.unmapped]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # what is written must load
    return text


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'




def learn_file(filename: str, data: bytes, name: str, *, limits: object,
               to_docx: Callable[[bytes, str], bytes] | None = None) -> LearnedForm:
    """A blank form file (.docx, .doc, .odt, .rtf or a fillable PDF), vetted, then learned.
    An old Word or OpenDocument file is converted to .docx by LibreOffice (``to_docx``) first."""
    from ..errors import UnreadableAttachment
    from . import docx_reader, pdf_reader
    from .vet import vet

    fmt = vet(filename, data, limits)  # type: ignore[arg-type]
    pdf_fields: list[str] = []
    if fmt in ("doc", "odt", "rtf"):
        if to_docx is None:
            raise UnreadableAttachment(f"a .{fmt} form needs LibreOffice to be read")
        data, fmt = to_docx(data, "." + fmt), "docx"
    if fmt == "docx":
        layout = docx_reader.read(data)
    elif fmt == "pdf":
        pdf_fields = pdf_field_labels(data)
        try:
            layout = pdf_reader.read(data)
        except UnreadableAttachment:
            if not pdf_fields:
                raise
            layout = Layout("pdf", ())
    else:
        raise UnreadableAttachment("a blank form is learned from a .docx, .doc, .odt, .rtf or fillable PDF file")
    form = learn(layout, name, filename, pdf_fields)
    if not form.labels and not form.children:
        raise UnreadableAttachment("no labels with a place for an answer were found: is it the blank form?")
    return form
