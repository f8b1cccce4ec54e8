"""The command line as scripts use it: exact JSON shapes, exit codes, and no tracebacks."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepanel.cli import main
from staffdata import STAFF_CSV


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "staff.csv").write_text(STAFF_CSV)
    (tmp_path / "config.toml").write_text(
        'profile = "north-somerset"\ndata_dir = "data"\n[directory]\ncsv = "staff.csv"\n'
        '[mailbox]\nbackend = "folder"\npath = "data/inbox"\n'
    )
    return tmp_path


def cli(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(project / "config.toml"), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def plain_email(path: Path, message_id: str = "<plain-1@example.gov.uk>", subject: str = "CRP request") -> Path:
    msg = EmailMessage()
    msg["From"] = "Sam Carter <sam.carter@example.gov.uk>"
    msg["To"] = "panel@example.gov.uk"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Wed, 18 Nov 2026 10:00:00 +0000"
    msg.set_content("Please find my request attached.\n")
    path.write_bytes(bytes(msg))
    return path


def test_ingest_without_a_form_is_flagged_and_prints_the_contract_shape(project: Path) -> None:
    eml = plain_email(project / "m.eml")
    code, out, _ = cli(project, "ingest", str(eml), "--received-at", "2026-11-18T10:00:00+00:00", "--json")
    assert code == 0
    sub = json.loads(out)
    assert sub["schema"] == "carepanel/submission@1"
    assert set(sub) >= {"id", "message_id", "received_at", "sender", "subject", "status", "panel_date", "cutoff",
                        "flags", "signoff", "request", "attachments"}
    assert (sub["status"], sub["message_id"], sub["sender"]) == ("flagged", "<plain-1@example.gov.uk>", "sam.carter@example.gov.uk")
    assert [f["code"] for f in sub["flags"]] == ["no_request_form"]
    assert (sub["panel_date"], sub["cutoff"]) == ("2026-11-25", "2026-11-20T12:00:00+00:00")
    assert sub["received_at"] == "2026-11-18T10:00:00+00:00"


def test_ingesting_the_same_message_twice_prints_the_same_submission(project: Path) -> None:
    eml = plain_email(project / "m.eml")
    first = cli(project, "ingest", str(eml), "--json")[1]
    again = cli(project, "ingest", str(eml), "--received-at", "2026-11-30T10:00:00+00:00", "--json")[1]
    assert json.loads(first) == json.loads(again)
    # same Message-ID, different bytes: still the one submission
    other = plain_email(project / "m2.eml", subject="CRP request (resent)")
    assert json.loads(cli(project, "ingest", str(other), "--json")[1])["id"] == json.loads(first)["id"]
    listed = json.loads(cli(project, "submissions", "--json")[1])
    assert len(listed) == 1


def test_receipt_time_comes_from_the_topmost_received_header(project: Path) -> None:
    msg = EmailMessage()
    msg["Received"] = "from mx2 by mx1; Fri, 20 Nov 2026 12:00:30 +0000"
    msg["Received"] = "from laptop by mx2; Fri, 20 Nov 2026 11:50:00 +0000"
    msg["From"] = "sam.carter@example.gov.uk"
    msg["Subject"] = "CRP"
    msg["Message-ID"] = "<rcv@example.gov.uk>"
    msg["Date"] = "Fri, 20 Nov 2026 11:49:00 +0000"
    msg.set_content("x")
    (project / "r.eml").write_bytes(bytes(msg))
    sub = json.loads(cli(project, "ingest", str(project / "r.eml"), "--json")[1])
    assert sub["received_at"] == "2026-11-20T12:00:30+00:00"
    assert sub["panel_date"] == "2026-12-02"  # after Friday 12:00: the next panel


def test_late_when_the_panel_named_in_the_subject_had_closed(project: Path) -> None:
    eml = plain_email(project / "m.eml", subject="CRP 25th November - request")
    sub = json.loads(cli(project, "ingest", str(eml), "--received-at", "2026-11-20T12:01:00+00:00", "--json")[1])
    assert [f["code"] for f in sub["flags"]] == ["no_request_form", "late"]
    assert sub["panel_date"] == "2026-12-02"


def test_ingest_logs_hold_no_subject_or_sender(project: Path) -> None:
    eml = plain_email(project / "m.eml", subject="CRP request Amelia Hart")
    cli(project, "ingest", str(eml), "--json")
    logs = (project / "data" / "logs" / "carepanel.jsonl").read_text()
    assert "submission_stored" in logs
    assert "Amelia" not in logs and "sam.carter" not in logs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "missing.eml"], "cannot read missing.eml"),
        (["ingest", "m.eml", "--received-at", "2026-11-20T12:00"], "has no UTC offset"),
        (["ingest", "m.eml", "--received-at", "friday"], "is not an ISO 8601 time"),
        (["submissions", "--panel-date", "25/11/2026"], "is not a date like"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(project: Path, args: list[str], message: str) -> None:
    plain_email(project / "m.eml")
    args = [str(project / a) if a.endswith(".eml") else a for a in args]
    code, out, err = cli(project, *args)
    assert code == 1
    assert message in err and "Traceback" not in err + out


def test_parse_errors_are_json_objects_with_a_flag_code(project: Path) -> None:
    (project / "junk.docx").write_bytes(b"\x00\x01 not a document at all")
    code, out, _ = cli(project, "parse", str(project / "junk.docx"), "--json")
    assert code == 1
    err = json.loads(out)["error"]
    assert err["code"] in {"unreadable_attachment", "no_request_form"} and err["detail"]


def test_config_check_names_the_bad_key(project: Path) -> None:
    (project / "config.toml").write_text('profile = "north-somerset"\n[cutoff]\ntime = "noon"\n')
    code, _, err = cli(project, "config", "check")
    assert code == 1
    assert "cutoff.time: 'noon' is not a time of day" in err


def test_config_check_ok(project: Path) -> None:
    code, out, _ = cli(project, "config", "check")
    assert code == 0 and "north-somerset" in out and "6 people" in out


def test_calendar_lists_cutoffs(project: Path) -> None:
    code, out, _ = cli(project, "calendar", "--from", "2026-11-23", "--count", "2")
    assert code == 0
    assert out.splitlines()[0].startswith("Wed 25 Nov 2026  cut-off Fri 20 Nov 2026 12:00")


def test_failures_lists_what_could_not_be_processed_with_its_reason(project: Path) -> None:
    junk = project / "junk.eml"
    junk.write_bytes(bytes(range(256)) * 2)
    code, out, _ = cli(project, "ingest", str(junk), "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "unreadable_message"
    code, out, _ = cli(project, "failures", "--json")
    [row] = json.loads(out)
    assert (code, row["status"], row["code"], row["next_attempt_at"]) == (0, "refused", "unreadable_message", None)
    assert "not an email" in row["reason"]
