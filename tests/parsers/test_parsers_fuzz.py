"""Fuzzing the form reader: real forms with bytes flipped, cut short or spliced, in Word and PDF.
Every outcome must be a request or one of our flagged errors: never a crash, never a hang past
the limits (Hypothesis, bounded so it runs in CI)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepanel.config import default_config
from carepanel.profiles import load_profile
from carepanel.errors import DocumentError
from carepanel.parsers import read_request
from carepanel.models import Request
from carepanel.demo.samples import CASES, bexley_form, north_somerset_form

PROFILE = load_profile("north-somerset")


@cache
def seeds() -> tuple[tuple[str, bytes], ...]:
    return (("ns.docx", north_somerset_form(CASES["ns-s20-single"])),
            ("bexley.docx", bexley_form(CASES["bexley-residential"])),
            ("shared.docx", (Path(__file__).resolve().parents[3] / "shared" / "forms" / "north-somerset-request-form.docx").read_bytes()))


def _mutate(draw: st.DrawFn, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "splice", "zero"]))
        at = draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del buf[at:]
            if not buf:
                buf = bytearray(b"PK")
        elif kind == "splice":
            buf[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            buf[at:at + draw(st.integers(1, 512))] = b"\0" * 16
    return bytes(buf)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """Either the file's bytes, or (to get past the zip's checksums) the document XML inside it."""
    name, data = draw(st.sampled_from(seeds()))
    if not draw(st.booleans()):
        return name, _mutate(draw, data)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item)
            dst.writestr(item.filename, _mutate(draw, content) if item.filename == "word/document.xml" else content)
    return name, out.getvalue()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_a_mutated_form_is_read_or_flagged_never_crashes(tmp_path_factory, case: tuple[str, bytes]) -> None:
    name, data = case
    limits = default_config(tmp_path_factory.mktemp("fuzz") / "d").limits
    try:
        result = read_request(name, data, profile=PROFILE, limits=limits, today=date(2026, 11, 23))
    except DocumentError as exc:
        assert exc.code in ("unreadable_attachment", "unsafe_attachment", "no_request_form")
        return
    assert isinstance(result, Request)


# --------------------------------------------------------------------------- the XML's structure mutated

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
JUNK = ["", "-1", "999999999", "abc", "restart", "continue", "true", "0", "1", "\u2612", "x" * 300]


@cache
def word_feature_seeds() -> tuple[bytes, ...]:
    from wordxml import (
        bexley_legacy_boxes,
        bexley_w14_boxes,
        ns_content_controls,
        ns_legacy_fields,
        ns_merged_cells,
        ns_tracked_changes,
    )

    return tuple(build() for build in (ns_content_controls, ns_legacy_fields, bexley_legacy_boxes, bexley_w14_boxes,
                                       ns_tracked_changes, ns_merged_cells))


@st.composite
def restructured(draw: st.DrawFn) -> bytes:
    """A Word-feature form whose document.xml has elements deleted, duplicated, moved or given
    junk attributes (well-formed XML, so it gets past the parser to the reader's own logic)."""
    from lxml import etree

    data = draw(st.sampled_from(word_feature_seeds()))
    src = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(src.read("word/document.xml"))
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e.getparent() is not None]
    for _ in range(draw(st.integers(1, 12))):
        el = elements[draw(st.integers(0, len(elements) - 1))]
        parent = el.getparent()
        if parent is None:
            continue
        kind = draw(st.sampled_from(["delete", "duplicate", "move", "attribute"]))
        if kind == "delete":
            parent.remove(el)
        elif kind == "duplicate":
            el.addnext(etree.fromstring(etree.tostring(el)))
        elif kind == "move":
            target = elements[draw(st.integers(0, len(elements) - 1))]
            if target is not el and el not in target.iterancestors() and target.getparent() is not None:
                target.append(el)
        else:
            name = draw(st.sampled_from(["val", "fldCharType", "checked", "w", "char"]))
            el.set(f"{W}{name}", draw(st.sampled_from(JUNK)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = etree.tostring(root) if item.filename == "word/document.xml" else src.read(item)
            dst.writestr(item.filename, body)
    return out.getvalue()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(restructured())
def test_a_form_with_its_word_structure_mangled_is_read_or_flagged(tmp_path_factory, data: bytes) -> None:
    limits = default_config(tmp_path_factory.mktemp("fuzz") / "d").limits
    try:
        result = read_request("form.docx", data, profile=PROFILE, limits=limits, today=date(2026, 11, 23))
    except DocumentError as exc:
        assert exc.code in ("unreadable_attachment", "unsafe_attachment", "no_request_form")
        # not the boundary's catch-all: the reader itself knows what it met
        assert exc.__cause__ is None or isinstance(exc.__cause__, DocumentError) or exc.detail != "the file could not be read", \
            repr(exc.__cause__)
        return
    assert isinstance(result, Request)
