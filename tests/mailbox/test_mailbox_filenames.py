"""safe_filename: names chosen by a sender cannot escape, hide or break anything."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carepanel.mailbox import safe_filename
from carepanel.mailbox.filenames import MAX_NAME_BYTES


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("form.docx", "form.docx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("C:\\Users\\sam\\Desktop\\CRP form.docx", "CRP form.docx"),
        ("reports/", "reports"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.docx", "_LPT1.docx"),
        ("CONTRACT.docx", "CONTRACT.docx"),
        ("form\u202excod.exe", "formxcod.exe"),  # a right-to-left override would show "exe.docx"
        ("bad\x00na\x1bme\r\n.pdf", "badname.pdf"),
        (".htaccess", "htaccess"),
        ("...", "attachment.bin"),
        ("", "attachment.bin"),
        (None, "attachment.bin"),
        ("a<b>c:d|e?f*g\".doc", "a_b_c_d_e_f_g_.doc"),
        ("  spaced \t  out  .pdf ", "spaced out .pdf"),
        ("=?UTF-8?B?w6lsw6h2ZS5kb2N4?=", "élève.docx"),
        ("=?UTF-8?Q?..=2F..=2Fboot.ini?=", "boot.ini"),
        ("plan de se\u0301jour.docx", "plan de séjour.docx"),  # NFC
        ("stream.docx:hidden", "stream.docx_hidden"),
    ],
)
def test_nasty_names(name: str | None, safe: str) -> None:
    assert safe_filename(name) == safe


def test_long_names_are_capped_keeping_the_extension() -> None:
    name = safe_filename("é" * 300 + ".docx")
    assert name.endswith(".docx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES


@given(st.text())
def test_any_text_gives_a_plain_name(name: str) -> None:
    safe = safe_filename(name)
    assert safe and "/" not in safe and "\\" not in safe
    assert not safe.startswith(".") and safe == safe.strip()
    assert all(c.isprintable() for c in safe)
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
