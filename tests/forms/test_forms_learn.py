"""`carepanel form learn` on three councils' forms it was not tuned for (tests/forms/councils.py):
each learned from its blank, named in a config as `[form] file`, and ten filled copies of each
read field for field as .docx, as PDF (printed by LibreOffice), as .odt and as .doc."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from councils import LAYOUTS, Case, blank, cases, filled
from test_intake_e2e import config_for

from carepanel import parsers
from carepanel.cli import main
from carepanel.config import load_config
from carepanel.profiles import forms_for
from carepanel.errors import ConfigError
from carepanel.directory import Directory
from carepanel.office import Converter
from carepanel.pipeline.intake import IntakeContext, read_request_file
from carepanel.models import Attachment

pytestmark = pytest.mark.slow
TODAY = date(2026, 11, 23)
FORMATS = ("docx", "pdf", "odt", "doc")


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=1) as conv:
        yield conv


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    folder = tmp_path_factory.mktemp("learned")
    out = {}
    for layout in LAYOUTS:
        (folder / f"{layout}-blank.docx").write_bytes(blank(layout))
        result = CliRunner().invoke(main, ["form", "learn", str(folder / f"{layout}-blank.docx"), "--name", layout,
                                           "--out", str(folder / f"{layout}.toml"), "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        out[layout] = (folder / f"{layout}.toml", json.loads(result.output))
    return out


def configured(folder: Path, toml: Path) -> Path:
    """A council's config naming its learned form, relative to the config's folder."""
    config_for(folder)
    (folder / "forms").mkdir(exist_ok=True)
    (folder / "forms" / toml.name).write_bytes(toml.read_bytes())
    config = folder / "config.toml"
    config.write_text(config.read_text() + f'\n[form]\nfile = "forms/{toml.name}"\n')
    return config


def as_format(converter: Converter, data: bytes, fmt: str) -> bytes:
    if fmt == "docx":
        return data
    if fmt == "pdf":
        return converter.to_pdf(data, ".docx")
    odt = converter.convert(data, ".docx", "odt")
    return odt if fmt == "odt" else converter.convert(odt, ".odt", "doc")  # a .doc as Word would keep its tables


def test_each_blank_is_learned_whole(learned: dict[str, tuple[Path, dict]]) -> None:
    for layout, (_, doc) in learned.items():
        keys = set(doc["labels"].values())
        assert {"request", "summary", "panel_date", "social_worker.name", "team_manager.name",
                "team_manager.signature", "team_manager.date"} <= keys, (layout, doc["labels"])
        assert doc["unmapped"] == [], (layout, doc["unmapped"])
        assert doc["signatures"] and len(doc["markers"]) == 4
        [children] = doc["children"]
        assert {"dob", "child_id"} <= set(children["columns"].values())
    columns = list(learned["riverside"][1]["children"][0]["columns"].values())
    assert columns == ["child_id", "dob", "name", "gender"]  # in the form's own order
    assert {"forename", "surname"} <= set(learned["northfield"][1]["children"][0]["columns"].values())
    assert {"costs.weekly", "costs.total"} <= set(learned["riverside"][1]["labels"].values())


def _words(text: str | None) -> str | None:
    return " ".join(text.split()) if text else text


def check(req: dict, case: Case, layout: str) -> None:
    assert req["form"] == layout
    assert [(c["name"], c["dob"], c["child_id"]) for c in req["children"]] == \
        [(k.name, k.dob.isoformat(), k.child_id) for k in case.children]
    # a PDF cell wraps long answers onto lines of their own: the same words
    assert _words(req["request"]) == case.request and _words(req["summary"]) == case.summary
    assert req["social_worker"]["name"] == case.social_worker
    assert req["team_manager"] == {"name": case.team_manager, "signed": True, "signed_on": case.signed_on.isoformat()}
    if layout == "riverside":
        assert req["social_worker"]["team"] == case.team
        assert req["costs"] == {"weekly": float(case.weekly), "total": float(case.total)}
        assert req["service_manager"] == {"name": case.service_manager, "signed": False, "signed_on": None}
    elif layout == "northfield":
        assert req["social_worker"]["team"] == case.team and req["costs"]["weekly"] == float(case.weekly)
        assert req["service_manager"]["name"] == case.service_manager  # the head of service
    else:
        assert req["costs"]["total"] == float(case.total)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_ten_filled_copies_read_field_for_field(tmp_path: Path, learned, converter, layout: str, fmt: str) -> None:
    cfg = load_config(configured(tmp_path, learned[layout][0]))
    assert [spec.options["profile"] for spec in cfg.learned_forms] == [layout]
    ctx = IntakeContext(cfg.profile, Directory(), cfg.limits, forms_for(cfg.learned_forms),
                        parsers.read_request, converter.to_docx)
    for n, case in enumerate(cases(10)):
        data = as_format(converter, filled(layout, case), fmt)
        request = read_request_file(Attachment.of(f"request {n}.{fmt}", "application/octet-stream", data), ctx, TODAY)
        assert request.panel_date_asked == case.panel_date, (n, fmt)
        check(request.to_json(), case, layout)


def test_parse_reads_a_learned_form_named_in_the_config(tmp_path: Path, learned) -> None:
    config = configured(tmp_path, learned["northfield"][0])
    [case] = cases(1)
    (tmp_path / "request.docx").write_bytes(filled("northfield", case))
    result = CliRunner().invoke(main, ["--config", str(config), "parse", str(tmp_path / "request.docx"), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    check(json.loads(result.output), case, "northfield")
    # without the config's [form] file the same form is only read generically: no forename/surname names
    plain = config_for(tmp_path / "plain") and tmp_path / "plain" / "config.toml"
    result = CliRunner().invoke(main, ["--config", str(plain), "parse", str(tmp_path / "request.docx"), "--json"])
    assert result.exit_code != 0 or json.loads(result.output)["form"] is None


def test_a_blank_saved_as_odt_is_learned_the_same(tmp_path: Path, learned, converter) -> None:
    (tmp_path / "blank.odt").write_bytes(converter.convert(blank("riverside"), ".docx", "odt"))
    result = CliRunner().invoke(main, ["form", "learn", str(tmp_path / "blank.odt"), "--name", "riverside",
                                       "--out", str(tmp_path / "r.toml"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["labels"] == learned["riverside"][1]["labels"]


def test_a_config_naming_a_missing_form_file_says_so(tmp_path: Path) -> None:
    config_for(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text() + '\n[form]\nfile = "nowhere.toml"\n')
    with pytest.raises(ConfigError, match="form.file: no such file"):
        load_config(config)


def test_a_file_that_is_not_a_form_is_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_bytes(b"not a word file")
    result = CliRunner().invoke(main, ["form", "learn", str(tmp_path / "notes.docx"), "--name", "x",
                                       "--out", str(tmp_path / "x.toml"), "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["error"]["code"] == "unreadable_attachment"
    assert not (tmp_path / "x.toml").exists()
