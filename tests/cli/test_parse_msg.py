"""``carepanel parse x.msg --json`` as a script runs it: a form inside is the request; an
approval alone, or a damaged item, is the contract's error object with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgfile import MsgAttachment, MsgItem, msg
from test_contract import REQUEST_KEYS, run

from carepanel.demo import CONFIG, PANEL, STAFF
from carepanel.demo.samples import CASES, north_somerset_form


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG.format(profile="north-somerset", panel=PANEL))
    (tmp_path / "staff.csv").write_text(STAFF)
    return tmp_path


APPROVAL = MsgItem(subject="RE: CRP request", sender_name="Terry Manager", sender_email="terry.manager@example.gov.uk",
                   body="I approve this going to panel. Terry")


def test_parse_of_an_approval_msg_is_no_request_form(project: Path) -> None:
    (project / "approval.msg").write_bytes(msg(APPROVAL))
    code, out, err = run(project, "parse", "approval.msg", "--json")
    assert (code, "Traceback" in err) == (1, False)
    assert json.loads(out)["error"]["code"] == "no_request_form"


def test_parse_of_a_msg_carrying_the_form_prints_the_request(project: Path) -> None:
    item = MsgItem(**{**APPROVAL.__dict__, "attachments": [MsgAttachment("CRP request form.docx", north_somerset_form(CASES["ns-s20-single"]))]})
    (project / "fwd.msg").write_bytes(msg(item))
    code, out, err = run(project, "parse", "fwd.msg", "--json")
    assert code == 0, err
    req = json.loads(out)
    assert set(req) == REQUEST_KEYS and req["form"] == "north-somerset"
    assert req["source"]["filename"] == "fwd.msg" and req["source"]["format"] == "msg"
    assert req["children"][0]["child_id"] == "LCS900101"


def test_parse_of_a_damaged_msg_is_unreadable(project: Path) -> None:
    (project / "approval.msg").write_bytes(msg(APPROVAL)[:-700])
    code, out, err = run(project, "parse", "approval.msg", "--json")
    assert (code, json.loads(out)["error"]["code"], "Traceback" in err) == (1, "unreadable_attachment", False)
