"""Comments taken out of a Word or OpenDocument file before LibreOffice converts it.

LibreOffice 7.4 (Debian 12's) dies when a document with comments is loaded hidden over UNO
(``terminate called after throwing ... NoSuchElementException`` while it lays out the comment
margin), although ``soffice --convert-to`` converts the same file.  Every comment, in a file
Word wrote or one python-docx wrote, sets it off.  Comments are reviewers' notes, not part of
what is printed (LibreOffice's PDF export leaves them out anyway), so the converter is given the
document without them.  This is written by hand because no library edits the package for us:
python-docx can add comments but not remove them, and odfpy would load and rewrite every part.

Only the ZIP entries that hold comments change; every other entry is copied as it was (the
``mimetype`` entry of an OpenDocument file stays first and stored).  A file that is not a
readable ZIP, or whose parts would be too big to rewrite, is returned unchanged: LibreOffice
then meets it as before and says what is wrong with it.
"""

from __future__ import annotations

import io
import re
import zipfile

MAX_REWRITE_BYTES = 64 * 1024 * 1024  # the parts rewritten; vetting refused anything near this long ago

_WORD_MARKS = re.compile(rb"<(?:\w+:)?comment(?:RangeStart|RangeEnd|Reference)\b[^>]*/>")
_WORD_RELATION = re.compile(rb"<Relationship\b[^>]*Type=\"[^\"]*/comments[A-Za-z]*\"[^>]*/>")
_WORD_OVERRIDE = re.compile(rb"<Override\b[^>]*PartName=\"/word/comments[^\"]*\"[^>]*/>")
_ODF_NOTES = re.compile(rb"<office:annotation\b[^>]*/>|<office:annotation\b[^>]*>.*?</office:annotation>"
                        rb"|<office:annotation-end\b[^>]*/>", re.DOTALL)


def without_comments(data: bytes, kind: str) -> bytes:
    """``data`` with its comments removed, for ``kind`` ``.docx`` or ``.odt``; else unchanged."""
    if kind not in (".docx", ".odt"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            infos = src.infolist()
            if not _has_comments(src, infos, kind):
                return data
            if sum(i.file_size for i in infos if _rewritten(i.filename, kind)) > MAX_REWRITE_BYTES:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as dst:
                for info in infos:
                    if kind == ".docx" and re.fullmatch(r"word/comments[A-Za-z]*\.xml|word/_rels/comments[A-Za-z]*\.xml\.rels",
                                                        info.filename):
                        continue
                    part = src.read(info)
                    if _rewritten(info.filename, kind):
                        part = _strip(info.filename, part, kind)
                    dst.writestr(info, part)
            return out.getvalue()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
        return data


def _has_comments(src: zipfile.ZipFile, infos: list[zipfile.ZipInfo], kind: str) -> bool:
    names = {i.filename for i in infos}
    if kind == ".docx":
        return any(re.fullmatch(r"word/comments[A-Za-z]*\.xml", n) for n in names)
    return "content.xml" in names and b"office:annotation" in src.read("content.xml")


def _rewritten(name: str, kind: str) -> bool:
    if kind == ".odt":
        return name in ("content.xml", "styles.xml")
    return name == "[Content_Types].xml" or (name.startswith("word/") and name.endswith((".xml", ".rels")))


def _strip(name: str, part: bytes, kind: str) -> bytes:
    if kind == ".odt":
        return _ODF_NOTES.sub(b"", part)
    if name == "[Content_Types].xml":
        return _WORD_OVERRIDE.sub(b"", part)
    if name.endswith(".rels"):
        return _WORD_RELATION.sub(b"", part)
    return _WORD_MARKS.sub(b"", part)
