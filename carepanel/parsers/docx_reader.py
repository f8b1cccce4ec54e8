"""Word (.docx) -> ``Layout``: the body's tables and paragraphs in order.

Read from the document's XML through python-docx, so that each merged cell appears once
with its grid column, content controls (``w:sdt``) give up their text, struck-through text
counts as deleted, and a picture in a cell (a pasted signature) is noticed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import docx
from docx.opc.exceptions import OpcError
from docx.oxml.ns import qn
from lxml import etree  # type: ignore[import-untyped]  # python-docx's own XML objects

from ..errors import UnreadableAttachment
from .layout import Block, Cell, Layout, Paragraph, Table

MAX_DEPTH = 12  # nested tables/controls deeper than this are ignored

W_P, W_TBL, W_TR, W_TC, W_SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")
W_SDT_CONTENT, W_CUSTOM_XML, W_SMART_TAG = qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")
W_T, W_TAB, W_BR, W_CR, W_SYM, W_R = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:sym"), qn("w:r")
PICTURES = frozenset({qn("w:drawing"), qn("w:pict"), qn("w:object")})
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
CONTAINERS = frozenset({W_SDT, W_SDT_CONTENT, W_CUSTOM_XML, W_SMART_TAG})

# Wingdings check boxes typed with Insert > Symbol (w:sym) rather than as Unicode text.
SYMBOLS = {"F0FE": "☒", "F0FD": "☒", "F078": "☒", "F0FC": "✓", "F0A8": "☐", "F06F": "☐", "F071": "☐"}


def read(data: bytes) -> Layout:
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except (OpcError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError, AttributeError, OSError) as exc:
        raise UnreadableAttachment("the Word document is damaged and cannot be opened") from exc
    return Layout("docx", tuple(_blocks(body, 0)))


def _blocks(parent: etree._Element, depth: int) -> Iterator[Block]:
    if depth > MAX_DEPTH:
        return
    for el in parent:
        if el.tag == W_P:
            yield Paragraph(_paragraph_text(el), _has_picture(el))
        elif el.tag == W_TBL:
            yield _table(el, depth)
        elif el.tag in CONTAINERS:
            yield from _blocks(el, depth + 1)


def _table(tbl: etree._Element, depth: int) -> Table:
    rows = []
    for tr in _children(tbl, W_TR, depth):
        col = _int(tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}"), 0)
        cells = []
        for tc in _children(tr, W_TC, depth):
            span = max(1, _int(tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}"), 1))
            cells.append(Cell(_cell_text(tc, depth), col, span, _has_picture(tc)))
            col += span
        rows.append(tuple(cells))
    return Table(tuple(rows))


def _children(parent: etree._Element, tag: str, depth: int) -> Iterator[etree._Element]:
    """Direct children with ``tag``, looking through content controls and custom XML."""
    if depth > MAX_DEPTH:
        return
    for el in parent:
        if el.tag == tag:
            yield el
        elif el.tag in CONTAINERS:
            yield from _children(el, tag, depth + 1)


def _cell_text(tc: etree._Element, depth: int) -> str:
    lines = []
    for block in _blocks(tc, depth + 1):
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            lines.extend(" | ".join(c.text for c in row if c.text.strip()) for row in block.rows)
    return "\n".join(lines)


def _paragraph_text(p: etree._Element) -> str:
    return "".join(_runs_text(p, 0))


def _runs_text(el: etree._Element, depth: int) -> Iterator[str]:
    if depth > 3 * MAX_DEPTH:
        return
    for child in el:
        tag = child.tag
        if tag == MC_FALLBACK or (tag == W_R and _struck(child)):
            continue
        if tag == W_T:
            yield child.text or ""
        elif tag == W_TAB:
            yield " "
        elif tag in (W_BR, W_CR):
            yield "\n"
        elif tag == W_SYM:
            yield SYMBOLS.get((child.get(qn("w:char")) or "").upper(), "")
        elif tag == W_P:
            yield "\n"  # a paragraph inside a text box
            yield from _runs_text(child, depth + 1)
        elif isinstance(tag, str):
            yield from _runs_text(child, depth + 1)


def _struck(run: etree._Element) -> bool:
    rpr = run.find(qn("w:rPr"))
    if rpr is None:
        return False
    for name in ("w:strike", "w:dstrike"):
        el = rpr.find(qn(name))
        if el is not None and el.get(qn("w:val"), "true").lower() not in ("0", "false", "off"):
            return True
    return False


def _has_picture(el: etree._Element) -> bool:
    return any(e.tag in PICTURES for e in el.iter())


def _int(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(qn("w:val"), default))
    except (TypeError, ValueError):
        return default
