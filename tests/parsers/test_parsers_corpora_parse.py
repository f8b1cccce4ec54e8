"""Every file under shared/corpora/ ends cleanly through `carepanel parse` (a form read, or a
contract error code with its reason, never a traceback); the Outlook items and TNEF files
(winmail.dat) also through an email carrying them; and a form inside a winmail.dat is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for
from tnefwrite import tnef

from carepanel.cli import main
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.service import Service, open_service

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FILES = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name != "README.md")
OUTLOOK = [p for p in FILES if p.parent.name == "outlook"]
CODES = ("unreadable_attachment", "unsafe_attachment", "no_request_form")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parse")
    config_for(folder)
    return folder


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with open_service(config_for(tmp_path_factory.mktemp("svc")), clock=lambda: NOW) as svc:
        yield svc


def parse(folder: Path, path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["--config", str(folder / "config.toml"), "parse", str(path), "--json"],
                                catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def test_the_corpora_are_there() -> None:
    assert len(OUTLOOK) >= 20 and any(p.suffix == ".dat" for p in OUTLOOK), CORPORA


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parse_ends_cleanly(folder: Path, path: Path) -> None:
    code, doc = parse(folder, path)
    if code == 0:
        assert doc["schema"] == "carepanel/request@1"
    else:
        assert code == 1 and doc["error"]["code"] in CODES, doc
        assert doc["error"]["detail"]


@pytest.mark.parametrize("path", [p for p in OUTLOOK if p.suffix == ".dat"], ids=lambda p: p.name)
def test_a_winmail_dat_is_opened_not_refused(folder: Path, path: Path) -> None:
    code, doc = parse(folder, path)
    # before: unreadable_attachment, "the file's type is not one that can be read"
    assert (code, doc["error"]["code"]) == (1, "no_request_form"), doc


@pytest.mark.parametrize("path", OUTLOOK, ids=lambda p: p.name)
def test_an_email_carrying_it_ends_cleanly(service: Service, path: Path) -> None:
    raw = compose_email(SW, SW_ADDR, "CRP request", "See attached.", NOW, [(path.name, path.read_bytes())],
                        f"<corpus-{path.name}@example.gov.uk>")
    outcome = service.ingest_bytes(raw, source="test")
    sub = outcome.submission
    assert sub is not None, outcome.error
    assert sub.status == "flagged" and "no_request_form" in [f.code for f in sub.flags]
    for flag in sub.flags:
        assert flag.code in (*CODES, "missing_documents", "no_manager_signoff")
        if flag.code in ("unreadable_attachment", "unsafe_attachment"):
            assert path.name in flag.detail or any(a.filename in flag.detail for a in sub.attachments)


def test_the_files_inside_a_winmail_dat_are_attachments(service: Service) -> None:
    path = CORPORA / "outlook" / "poi-bug52400-winmail-with-attachments.dat"
    raw = compose_email(SW, SW_ADDR, "CRP request", "See attached.", NOW, [("winmail.dat", path.read_bytes())],
                        "<tnef-files@example.gov.uk>")
    sub = service.ingest_bytes(raw, source="test").submission
    names = [a.filename for a in sub.attachments]
    assert "scion_tc_2007_maintenanceguide.pdf" in names and "Duke_Wave.png" in names, names  # before: ["winmail.dat"]


def test_a_form_inside_a_winmail_dat_is_read(folder: Path, service: Service) -> None:
    data = tnef("CRP request", "Form attached.", [("CRP request form.docx", north_somerset_form(GOOD))])
    path = folder / "winmail.dat"
    path.write_bytes(data)
    code, doc = parse(folder, path)
    assert code == 0, doc
    assert doc["form"] == "north-somerset" and doc["source"]["format"] == "tnef"
    assert [c["child_id"] for c in doc["children"]] == ["LCS900101"]
    raw = compose_email(SW, SW_ADDR, "CRP request", "See attached.", NOW, [("winmail.dat", data)], "<tnef-form@example.gov.uk>")
    sub = service.ingest_bytes(raw, source="test").submission
    assert sub.request is not None and sub.request.children[0].child_id == "LCS900101"
    assert "CRP request form.docx" in [a.filename for a in sub.attachments]


def test_a_damaged_winmail_dat_is_flagged_with_its_reason(folder: Path) -> None:
    data = tnef("CRP request", "Form attached.", [("CRP request form.docx", north_somerset_form(GOOD))])
    path = folder / "broken-winmail.dat"
    path.write_bytes(data[:200])
    code, doc = parse(folder, path)
    # before: tnefparse read the cut-short form without complaint, and it was lost as a bad .docx
    assert (code, doc["error"]["code"]) == (1, "unreadable_attachment"), doc
    assert "winmail.dat" in doc["error"]["detail"]
