"""`carepanel parse` reads every format `ingest` reads, by the same path: a .doc, .odt or .rtf
through LibreOffice, a photo or a multi-page TIFF through OCR, and gives the request the service
gives for the same file (contract, "Added 2026-12-06")."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for

from carepanel.cli import main
from carepanel.demo import compose_email
from carepanel.office import Converter
from carepanel.demo.samples import north_somerset_form
from carepanel.service import open_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=1) as conv:
        yield conv


def parse(folder: Path, path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["--config", str(folder / "config.toml"), "parse", str(path), "--json"],
                                catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def ingested_request(folder: Path, name: str, data: bytes) -> dict:
    raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", NOW, [(name, data)], f"<same-{name}@example.gov.uk>")
    with open_service(config_for(folder / "svc"), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
    assert sub is not None and sub.request is not None
    return sub.request.to_json()  # the contract's request object, as ``parse --json`` prints it


def without_age(doc: dict) -> dict:
    # age is computed on the day of reading: parse uses today, ingest the receipt date
    return {**doc, "children": [{**c, "age": None} for c in doc["children"]]}


@pytest.mark.parametrize("fmt", ["odt", "rtf", "doc"])
def test_parse_reads_an_older_format_as_ingest_does(tmp_path: Path, converter, fmt: str) -> None:
    form = north_somerset_form(GOOD)
    data = converter.convert(converter.convert(form, ".docx", "odt"), ".odt", "doc") if fmt == "doc" \
        else converter.convert(form, ".docx", fmt)
    config_for(tmp_path)
    path = tmp_path / f"CRP request form.{fmt}"
    path.write_bytes(data)
    code, doc = parse(tmp_path, path)
    assert code == 0, doc  # before: exit 1, "cannot be read yet; please send the form as .docx or PDF"
    assert doc["form"] == "north-somerset" and doc["source"]["format"] == fmt
    assert [(c["name"], c["child_id"]) for c in doc["children"]] == [("Poppy Example", "LCS900101")]
    assert without_age(doc) == without_age(ingested_request(tmp_path, path.name, data))


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is installed by scripts/setup.sh")
def test_parse_reads_every_page_of_a_multi_page_tiff(tmp_path: Path) -> None:
    from test_parsers_ocr import photo

    first = Image.open(io.BytesIO(photo(["Child's name: Poppy Example", "Date of birth: 14/05/2012"])))
    second = Image.open(io.BytesIO(photo(["LCS number: LCS900101",
                                          "What is being requested of the Panel: Section 20 accommodation"])))
    out = io.BytesIO()
    first.save(out, "TIFF", save_all=True, append_images=[second], compression="tiff_deflate")
    config_for(tmp_path)
    path = tmp_path / "scan.tiff"
    path.write_bytes(out.getvalue())
    code, doc = parse(tmp_path, path)
    assert code == 0, doc
    [child] = doc["children"]
    assert child["child_id"] == "LCS900101"  # on page 2: before, only the first frame was read
    assert "Section 20" in doc["request"]
    assert without_age(doc) == without_age(ingested_request(tmp_path, path.name, out.getvalue()))
