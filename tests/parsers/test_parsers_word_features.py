"""What Word writes that python-docx skips or misreads, in the councils' real forms, read
as a person reading the form in Word would read it (the forms are built in ``wordxml.py``).
"""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from formfill import VARIANTS, Read, check, limits, profiles, read  # noqa: F401  (fixtures)
from wordxml import (
    WORD_VARIANTS,
    billion_laughs_docx,
    joined_like_libreoffice,
    ns_content_controls,
    ns_tracked_changes,
    xxe_docx,
)

from carepanel.errors import DocumentError, UnreadableAttachment
from carepanel.parsers import docx_reader


@pytest.mark.parametrize("name", sorted(WORD_VARIANTS))
def test_word_feature_form_reads_as_expected(name: str, read: Read) -> None:
    variant = WORD_VARIANTS[name]
    request = read(f"{name}.docx", variant.build(), variant.profile)
    check(request, variant.expect)


def test_python_docx_alone_misses_the_content_controls() -> None:
    # The reason the reader walks the XML: python-docx's cell.text gives "" for these cells.
    cell = docx.Document(io.BytesIO(ns_content_controls())).tables[2].cell(2, 1)
    assert cell.text == ""
    text = docx_reader.read(ns_content_controls()).text()
    assert "02/03/2014" in text and "Click or tap here" not in text


def test_deleted_text_and_comments_are_not_read() -> None:
    data = ns_tracked_changes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert b"LCS999999" in zf.read("word/comments.xml")  # the comment is in the file ...
        assert b"Wrong Child" in zf.read("word/document.xml")
    text = docx_reader.read(data).text()
    for gone in ("LCS999999", "01/01/2027", "Harte", "LCS111111", "Wrong Child", "in-house foster carers", "18/11/2026 25"):
        assert gone not in text, gone  # ... but neither it nor deleted text is read
    assert "Amelia Hart" in text and "Section 20." in text


def test_an_external_entity_is_never_fetched(tmp_path, read: Read) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("XXE-SECRET-4f1d")
    data = xxe_docx(str(secret))
    try:
        outcome: object = read("form.docx", data)
    except DocumentError as exc:
        outcome = exc
    assert "XXE-SECRET" not in repr(outcome)
    assert "XXE-SECRET" not in docx_reader.read(data).text()


def test_nested_entities_are_never_expanded(read: Read) -> None:
    # libxml2 refuses the amplification before anything is expanded: a clear flag, not 3 GB of "lol"
    with pytest.raises(UnreadableAttachment, match="damaged") as caught:
        read("form.docx", billion_laughs_docx())
    assert caught.value.code == "unreadable_attachment"


JOINED = sorted(n for n in {**VARIANTS, **WORD_VARIANTS} if n.startswith("ns_"))  # Bexley's tables do not touch


@pytest.mark.parametrize("name", JOINED)
def test_a_form_whose_tables_were_joined_reads_the_same(name: str, read: Read) -> None:
    # What LibreOffice does to a Word form it saves again, done here without LibreOffice
    # (tests/test_old_formats.py and the corpus check the real thing).
    variant = {**VARIANTS, **WORD_VARIANTS}[name]
    data = joined_like_libreoffice(variant.build())
    assert len(docx_reader.read(data).tables) < len(docx_reader.read(variant.build()).tables)
    check(read(f"{name}.docx", data, variant.profile), variant.expect)
