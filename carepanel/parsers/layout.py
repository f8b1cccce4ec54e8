"""The neutral shape every format's reader produces: tables and paragraphs, in order.

``forms.py`` maps a ``Layout`` to a request without knowing whether it came from Word or a
PDF.  A table's cells carry their grid column and span, so a heading that spans columns
can be found above the cells it heads; merged cells appear once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    text: str
    col: int = 0  # first grid column the cell covers
    span: int = 1  # how many grid columns it covers
    picture: bool = False  # holds an image (a pasted signature, say)

    def covers(self, col: int) -> bool:
        return self.col <= col < self.col + self.span


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Paragraph:
    text: str
    picture: bool = False


Block = Table | Paragraph


@dataclass(frozen=True)
class Layout:
    format: str
    blocks: tuple[Block, ...]

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Table))

    def text(self) -> str:
        """All the text, a line per paragraph and a line per table row."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                lines.extend(" | ".join(c.text for c in row) for row in block.rows)
        return "\n".join(lines)
