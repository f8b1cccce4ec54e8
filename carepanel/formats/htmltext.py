"""HTML mail bodies as plain text, keeping what the quote finder needs.

Many council mail clients send HTML only.  Line breaks are kept where blocks end so that an
Outlook forward's ``From: / Sent: / To: / Subject:`` lines stay on lines of their own, and
``<blockquote>`` content is prefixed with ``> `` the way a plain-text reply would be, so one
quote finder (``quotes.py``) reads both kinds of body.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCKS = frozenset({
    "address", "article", "aside", "dd", "div", "dl", "dt", "figcaption", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "thead", "tfoot", "tr", "ul",
})
_HIDDEN = frozenset({"script", "style", "title", "template", "xml"})
_CELLS = frozenset({"td", "th"})
MAX_QUOTE_PREFIX = 16  # deeper nesting is marked as this deep, so hostile HTML can't blow up the text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.quote_depth = 0
        self.pre = 0

    def prefix(self) -> str:
        return "> " * min(self.quote_depth, MAX_QUOTE_PREFIX)

    def newline(self) -> None:
        self.out.append("\n" + self.prefix())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.newline()
        elif tag == "br" or tag in _BLOCKS:
            self.pre += tag == "pre"
            self.newline()
        elif tag in _CELLS:
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in _BLOCKS:
            self.newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.newline()
        elif tag in _BLOCKS:
            self.pre = max(0, self.pre - (tag == "pre"))
            self.newline()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            data = data.replace("\n", "\n" + self.prefix())
        else:
            data = re.sub(r"\s+", " ", data)
        self.out.append(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: blocks on their own lines, entities decoded."""
    parser = _Text()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.out)
    except (AssertionError, ValueError, IndexError):  # html.parser's internal checks on broken markup
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [" ".join(line.replace("\xa0", " ").split()) for line in text.splitlines()]
    lines = [re.sub(r"^((?:> ?)+)", lambda m: m.group(1).replace(" ", "") + " ", line) for line in lines]
    out: list[str] = []
    for line in lines:
        if line.strip("> ") == "" and (not out or out[-1].strip("> ") == ""):
            continue  # collapse runs of blank (or blank quoted) lines
        out.append(line.rstrip())
    return "\n".join(out).strip()
