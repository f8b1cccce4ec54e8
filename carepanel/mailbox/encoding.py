"""Decoding what mail clients encode, without ever failing: RFC 2047 words and stray bytes.

The stdlib parser keeps undecodable header bytes as lone surrogates (``surrogateescape``);
left in, they break the first UTF-8 write (database, JSON, log).  Everything carepanel keeps
from a message passes through ``scrub`` first.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.header import decode_header, make_header

_ENCODED_WORD = re.compile(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=")


def scrub(text: str) -> str:
    """Turn smuggled raw bytes back into UTF-8 where they were UTF-8, else U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words (``=?UTF-8?B?...?=``); the text unchanged if they are broken."""
    if not _ENCODED_WORD.search(text):
        return text
    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, ValueError):
        return text
