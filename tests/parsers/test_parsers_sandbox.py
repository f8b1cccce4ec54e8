"""A parser that hangs or eats memory is killed in its own process, the file is flagged, and the
next file is read as usual."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from carepanel.config import default_config
from carepanel.profiles import load_profile
from carepanel.errors import UnreadableAttachment
from carepanel.parsers.sandbox import SandboxedReader
from carepanel.demo.samples import sample_form

PROFILE = load_profile("north-somerset")


def limits(tmp_path: Path):
    return default_config(tmp_path / "d").limits


def test_a_form_is_read_the_same_in_the_sandbox(tmp_path: Path) -> None:
    name, data = sample_form("ns-s20-single")
    with SandboxedReader(timeout_seconds=60) as reader:
        req = reader(name, data, profile=PROFILE, forms=(), limits=limits(tmp_path), today=date(2026, 11, 23))
    assert req.children[0].child_id == "LCS900101"


def test_document_errors_come_back_with_their_flag_code(tmp_path: Path) -> None:
    with SandboxedReader() as reader, pytest.raises(Exception) as caught:
        reader("tool.exe", b"MZ" + b"\0" * 100, profile=PROFILE, forms=(), limits=limits(tmp_path), today=date(2026, 11, 23))
    assert caught.value.code == "unsafe_attachment"


def hang(*args, **kwargs):  # stands in for a parser stuck on a hostile file
    time.sleep(60)


def eat(*args, **kwargs):  # stands in for a parser decompressing without limit
    hog = []
    while True:
        hog.append(bytearray(50 * 1024 * 1024))


@pytest.mark.slow
@pytest.mark.parametrize("behaviour, message", [(hang, "took longer"), (eat, "memory")])
def test_a_hanging_or_greedy_reader_is_stopped_and_the_next_file_is_read(tmp_path: Path, behaviour, message) -> None:
    with SandboxedReader(memory_mb=400, timeout_seconds=3) as reader:
        reader.target = f"test_parsers_sandbox:{behaviour.__name__}"
        started = time.monotonic()
        with pytest.raises(UnreadableAttachment, match=message):
            reader("bad.docx", b"x", profile=PROFILE, forms=(), limits=limits(tmp_path), today=date(2026, 11, 23))
        assert time.monotonic() - started < 30
        reader.target = "carepanel.parsers:read_request"
        name, data = sample_form("ns-s20-single")
        req = reader(name, data, profile=PROFILE, forms=(), limits=limits(tmp_path), today=date(2026, 11, 23))
        assert req.children[0].child_id == "LCS900101"
