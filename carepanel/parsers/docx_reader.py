"""Word (.docx) -> ``Layout``: the body's tables and paragraphs in order.

Read from the document's XML through python-docx (whose own ``cell.text`` and
``paragraph.text`` skip content controls), so that a person's reading is kept:

- each merged cell appears once with its grid column and span; a cell merged down
  (``w:vMerge``) reads, in the rows it covers, as the text written in it;
- content controls (``w:sdt``, around blocks, rows, cells or runs) give up their text, or
  nothing while they still show their placeholder ("Click or tap here to enter text.");
- Word 2010 tick boxes (``w14:checkbox``) read as ☒ or ☐ from their state, whatever glyph
  or font they are drawn with; legacy form fields: FORMTEXT gives its result text,
  FORMCHECKBOX ☒/☐ from ``w:checked`` (else ``w:default``), FORMDROPDOWN its chosen entry;
- tracked changes read as accepted: inserted text kept, deleted text (``w:del``,
  ``w:moveFrom``), deleted rows and deleted cells left out; struck-through text counts
  as deleted; comments (a part of their own) are never read;
- a picture in a cell (a pasted signature) is noticed.

python-docx parses with ``resolve_entities=False`` and lxml never fetches from the network,
so an entity in the XML (external or nested, "billion laughs") is never expanded.
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
W_SDT_PR, W_FLD_CHAR, W_TC_PR, W_TR_PR = qn("w:sdtPr"), qn("w:fldChar"), qn("w:tcPr"), qn("w:trPr")
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W14_CHECKBOX, W14_CHECKED = f"{{{W14}}}checkbox", f"{{{W14}}}checked"
DELETED = frozenset({qn("w:del"), qn("w:moveFrom"), qn("w:delText"), qn("w:delInstrText")})
TICKED, UNTICKED = "☒", "☐"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
CONTAINERS = frozenset({W_SDT, W_SDT_CONTENT, W_CUSTOM_XML, W_SMART_TAG})

# Wingdings check boxes typed with Insert > Symbol (w:sym) rather than as Unicode text.
SYMBOLS = {"F0FE": "☒", "F0FD": "☒", "F078": "☒", "F0FC": "✓", "F0A8": "☐", "F06F": "☐", "F071": "☐"}


def read(data: bytes) -> Layout:
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except (OpcError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError, AttributeError, OSError) as exc:
        raise UnreadableAttachment("the Word document is damaged and cannot be opened") from exc
    if body is None:
        raise UnreadableAttachment("the Word document is damaged: it has no body")
    return Layout("docx", tuple(_blocks(body, 0)))


def _blocks(parent: etree._Element, depth: int) -> Iterator[Block]:
    if depth > MAX_DEPTH:
        return
    for el in parent:
        if el.tag == W_P:
            yield Paragraph(_paragraph_text(el), _has_picture(el))
        elif el.tag == W_TBL:
            yield _table(el, depth)
        elif el.tag == W_SDT and _showing_placeholder(el):
            continue
        elif el.tag in CONTAINERS:
            yield from _blocks(el, depth + 1)


def _table(tbl: etree._Element, depth: int) -> Table:
    rows: list[tuple[Cell, ...]] = []
    above: dict[int, str] = {}  # grid column -> text of a cell merged down from a row above
    for tr in _children(tbl, W_TR, depth):
        if tr.find(f"{W_TR_PR}/{qn('w:del')}") is not None:
            continue  # a row deleted with changes tracked
        col = _int(tr.find(f"{W_TR_PR}/{qn('w:gridBefore')}"), 0)
        cells = []
        for tc in _children(tr, W_TC, depth):
            if tc.find(f"{W_TC_PR}/{qn('w:cellDel')}") is not None:
                continue
            span = max(1, _int(tc.find(f"{W_TC_PR}/{qn('w:gridSpan')}"), 1))
            merge = tc.find(f"{W_TC_PR}/{qn('w:vMerge')}")
            if merge is not None and merge.get(qn("w:val"), "continue") != "restart":
                text = above.get(col, "")
            else:
                text = _cell_text(tc, depth)
                if merge is not None:
                    above[col] = text
                else:
                    above.pop(col, None)
            cells.append(Cell(text, col, span, _has_picture(tc)))
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
        if tag == MC_FALLBACK or tag in DELETED or tag == W_SDT_PR or (tag == W_R and _struck(child)):
            continue
        if tag == W_T:
            yield child.text or ""
        elif tag == W_TAB:
            yield " "
        elif tag in (W_BR, W_CR):
            yield "\n"
        elif tag == W_SYM:
            yield SYMBOLS.get((child.get(qn("w:char")) or "").upper(), "")
        elif tag == W_FLD_CHAR:
            yield _form_field(child)
        elif tag == W_SDT:
            box = _tick_box(child)
            if box is not None:
                yield box
            elif not _showing_placeholder(child):
                yield from _runs_text(child, depth + 1)
        elif tag == W_P:
            yield "\n"  # a paragraph inside a text box
            yield from _runs_text(child, depth + 1)
        elif isinstance(tag, str):
            yield from _runs_text(child, depth + 1)


def _showing_placeholder(sdt: etree._Element) -> bool:
    return sdt.find(f"{W_SDT_PR}/{qn('w:showingPlcHdr')}") is not None


def _tick_box(sdt: etree._Element) -> str | None:
    """A Word 2010 check box content control, by its state (its glyph may be any symbol)."""
    box = sdt.find(f"{W_SDT_PR}/{W14_CHECKBOX}")
    if box is None:
        return None
    checked = box.find(W14_CHECKED)
    return TICKED if checked is not None and _on(checked.get(f"{{{W14}}}val", "1")) else UNTICKED


def _form_field(fld: etree._Element) -> str:
    """The state of a legacy check box or drop-down at its field's start; FORMTEXT's result
    runs follow the field code and are read as ordinary text."""
    if fld.get(qn("w:fldCharType")) != "begin":
        return ""
    box = fld.find(f"{qn('w:ffData')}/{qn('w:checkBox')}")
    if box is not None:
        state = box.find(qn("w:checked"))
        if state is None:
            state = box.find(qn("w:default"))
        return TICKED if state is not None and _on(state.get(qn("w:val"), "1")) else UNTICKED
    drop = fld.find(f"{qn('w:ffData')}/{qn('w:ddList')}")
    if drop is not None:
        entries = [e.get(qn("w:val"), "") for e in drop.findall(qn("w:listEntry"))]
        chosen = _int(drop.find(qn("w:result")), _int(drop.find(qn("w:default")), 0))
        return entries[chosen] if 0 <= chosen < len(entries) else ""
    return ""


def _on(value: str | None) -> bool:
    return (value or "1").lower() not in ("0", "false", "off")


def _struck(run: etree._Element) -> bool:
    rpr = run.find(qn("w:rPr"))
    if rpr is None:
        return False
    for name in ("w:strike", "w:dstrike"):
        el = rpr.find(qn(name))
        if el is not None and _on(el.get(qn("w:val"), "true")):
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
