"""An administrator reshapes the agenda from the command line; every change is audited."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from carepanel.cli import main
from carepanel.config import load_config
from carepanel.demo import compose_email
from carepanel.demo.samples import north_somerset_form
from carepanel.store import Store
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers


def cli(folder: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(folder / "config.toml"), *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_reorder_withdraw_move_and_add_are_audited(tmp_path: Path) -> None:
    config_for(tmp_path)
    ids = []
    for n in range(3):
        case = replace(GOOD, children=(replace(GOOD.children[0], child_id=f"LCS60000{n}"),))
        eml = tmp_path / f"{n}.eml"
        eml.write_bytes(compose_email(SW, SW_ADDR, "CRP", "x", NOW - timedelta(hours=3 - n),
                                      [("CRP request form.docx", north_somerset_form(case))] + papers(), f"<ag-{n}@x.gov.uk>"))
        code, out = cli(tmp_path, "ingest", str(eml), "--received-at", (NOW - timedelta(hours=3 - n)).isoformat(), "--json")
        ids.append(json.loads(out)["id"])
    show = lambda: json.loads(cli(tmp_path, "agenda", "show", "--panel-date", "2026-12-02", "--json")[1])  # noqa: E731
    assert [s["ref_id"] for s in show()["slots"]] == ids

    assert cli(tmp_path, "agenda", "order", "--panel-date", "2026-12-02", ids[2], "--by", "pat.admin")[0] == 0
    assert cli(tmp_path, "agenda", "withdraw", "--panel-date", "2026-12-02", ids[0], "--reason", "family moved away", "--by", "pat.admin")[0] == 0
    assert cli(tmp_path, "agenda", "move", ids[1], "--to", "2026-12-09", "--reason", "worker on leave", "--by", "pat.admin")[0] == 0
    code, item = cli(tmp_path, "agenda", "add", "--panel-date", "2026-12-02", "--kind", "ratification",
                     "--title", "Emergency placement agreed by the chair", "--by", "pat.admin")
    agenda = show()
    assert [s["ref_id"] for s in agenda["slots"]] == [ids[2], item.strip()]
    assert [w["ref_id"] for w in agenda["withdrawn"]] == [ids[0]]
    moved = json.loads(cli(tmp_path, "agenda", "show", "--panel-date", "2026-12-09", "--json")[1])
    assert [s["ref_id"] for s in moved["slots"]] == [ids[1]]
    assert json.loads(cli(tmp_path, "submissions", "--panel-date", "2026-12-09", "--json")[1])[0]["id"] == ids[1]

    store = Store(load_config(tmp_path / "config.toml").db_path)
    actions = [(a.action, a.actor) for a in store.audit_log() if a.actor == "pat.admin"]
    store.close()
    assert actions == [("agenda_reordered", "pat.admin"), ("agenda_withdrawn", "pat.admin"),
                       ("submission_moved", "pat.admin"), ("agenda_item_added", "pat.admin")]


def test_moving_to_a_day_the_panel_does_not_sit_is_refused(tmp_path: Path) -> None:
    config_for(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), "agenda", "move", "sub-x", "--to",
                                       "2026-12-03", "--reason", "r"])
    assert result.exit_code == 1 and "does not sit" in result.stderr
