"""`carepanel review`: every action an administrator takes in the web app's queue, from the command
line, printing the submission object; refusals exit 1 with a code and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carepanel.config import Config, load_config
from carepanel.models import Signoff
from carepanel.outputs import notices
from carepanel.store import StoredSubmission
from reviewhelpers import ADMIN, review, review_project, stored
from test_intake_e2e import config_for


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Config, dict[str, str]]:
    cfg, ids = review_project(tmp_path)
    return tmp_path, cfg, ids


def test_accept_lists_a_flagged_submission_and_says_who_and_why(project) -> None:
    folder, cfg, ids = project
    code, sub, _ = review(folder, "accept", ids["flagged"], "--reason", "manager's email is on file", "--by", ADMIN)
    assert code == 0 and sub["id"] == ids["flagged"] and sub["status"] == "accepted" and sub["flags"] == []
    _, audit, _ = stored(cfg, ids["flagged"])
    assert (audit[-1].actor, audit[-1].action, audit[-1].reason) == (
        ADMIN, "accepted_by_administrator", "manager's email is on file")


def test_without_a_reason_nothing_changes_and_the_code_says_why(project) -> None:
    folder, cfg, ids = project
    before = stored(cfg, ids["flagged"])
    code, out, _ = review(folder, "accept", ids["flagged"])
    assert code == 1 and out["error"]["code"] == "reason_required"
    assert stored(cfg, ids["flagged"]) == before


def test_accept_late_clears_late_with_the_chair_on_record(project) -> None:
    folder, cfg, ids = project
    code, out, _ = review(folder, "accept-late", ids["late"], "--reason", "court hearing next week")
    assert code == 1 and out["error"]["code"] == "chair_required"
    code, sub, _ = review(folder, "accept-late", ids["late"], "--chair", "Dana Chair", "--when", "23/11/2026 10:15 by phone",
                          "--reason", "court hearing next week", "--by", ADMIN)
    assert code == 0 and sub["status"] == "accepted" and sub["panel_date"] == "2026-12-02"
    _, audit, _ = stored(cfg, ids["late"])
    assert audit[-1].action == "late_accepted"
    data = json.loads(audit[-1].data)
    assert (data["chair"], data["when"], data["cleared"]) == ("Dana Chair", "23/11/2026 10:15 by phone", ["late"])


def test_signoff_recorded_by_hand_accepts_a_form_the_manager_did_not_sign(project) -> None:
    folder, cfg, ids = project
    code, sub, _ = review(folder, "signoff", ids["flagged"], "--manager", "Terry Manager",
                          "--reason", "approved by phone 23/11", "--by", ADMIN)
    assert code == 0 and sub["status"] == "accepted" and sub["signoff"] == {"source": "admin_override", "by": ADMIN}
    _, audit, _ = stored(cfg, ids["flagged"])
    assert audit[-1].action == "signoff_recorded" and json.loads(audit[-1].data)["manager"] == "Terry Manager"


def test_correct_keeps_the_original_and_records_the_new_value(project) -> None:
    folder, cfg, ids = project
    before, _, _ = stored(cfg, ids["accepted"])
    code, sub, _ = review(folder, "correct", ids["accepted"], "--field", "children.child_id", "--value", "LCS123999",
                          "--reason", "ID from the case record")
    assert code == 0 and sub == before.to_json()  # the request as read is untouched
    _, audit, _ = stored(cfg, ids["accepted"])
    assert audit[-1].action == "field_corrected" and audit[-1].actor.startswith("cli:")
    code, out, _ = review(folder, "correct", ids["accepted"], "--value", "x", "--reason", "r")
    assert code == 1 and out["error"]["code"] == "field_required"


def test_move_to_another_sitting_and_not_to_a_day_without_one(project) -> None:
    folder, _, ids = project
    code, out, _ = review(folder, "move", ids["accepted"], "--to", "2026-12-03", "--reason", "worker on leave")
    assert code == 1 and out["error"]["code"] == "not_a_sitting"
    code, sub, _ = review(folder, "move", ids["accepted"], "--to", "2026-12-09", "--reason", "worker on leave")
    assert code == 0 and sub["panel_date"] == "2026-12-09"


def test_reject_tells_the_sender_why_and_closes_the_submission(project) -> None:
    folder, cfg, ids = project
    code, sub, _ = review(folder, "reject", ids["flagged"], "--reason", "this goes to the SEND panel", "--by", ADMIN)
    assert code == 0 and sub["status"] == "rejected"
    _, _, [mail] = stored(cfg, ids["flagged"])
    assert mail.recipients["to"] == [sub["sender"]] and mail.subject == f"Re: {sub['subject']}"
    assert "Reason: this goes to the SEND panel" in mail.body and ids["flagged"] in mail.body
    code, out, _ = review(folder, "accept", ids["flagged"], "--reason", "changed my mind")
    assert code == 1 and out["error"]["code"] == "closed"


def test_ask_sends_one_line_per_flag_or_the_administrators_own_words(project, tmp_path: Path) -> None:
    folder, cfg, ids = project
    code, sub, _ = review(folder, "ask", ids["flagged"], "--by", ADMIN)
    assert code == 0 and sub["status"] == "flagged"
    own = tmp_path / "ask.txt"
    own.write_text("Please ask Terry to sign page 4.\n", encoding="utf-8")
    assert review(folder, "ask", ids["flagged"], "--message-file", str(own))[0] == 0
    _, audit, mails = stored(cfg, ids["flagged"])
    flag = sub["flags"][0]["detail"]
    default = (f"Thank you for your request to the {cfg.profile.title} (reference {ids['flagged']}).\n\n"
               f"Before it can be listed, please send:\n- {flag}\n\n"
               "Please reply with the complete form and papers as a new email.\n\nPanel administrator")
    assert [m.body for m in mails] == [default, "Please ask Terry to sign page 4."]
    assert [a.action for a in audit[-2:]] == ["sender_asked", "sender_asked"]
    code, out, _ = review(folder, "ask", ids["flagged"], "--message-file", str(tmp_path / "missing.txt"))
    assert code == 1 and out["error"]["code"] == "config_error"


def test_an_unknown_submission_is_a_code_not_a_traceback(project) -> None:
    folder, _, _ = project
    for action in (["accept", "--reason", "r"], ["reject", "--reason", "r"], ["ask"],
                   ["signoff", "--manager", "T", "--reason", "r"], ["move", "--to", "2026-12-09", "--reason", "r"]):
        code, out, _ = review(folder, action[0], "sub-nope", *action[1:])
        assert code == 1 and out["error"]["code"] == "no_such_submission", action


def test_a_councils_own_wording_for_the_rejection_is_used(tmp_path: Path) -> None:
    config_for(tmp_path)
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "reject.txt.j2").write_text("Not for this panel ({{ submission_id }}): {{ reason }}\n")
    with (tmp_path / "config.toml").open("a") as f:
        f.write('\n[notices]\ntemplates_dir = "mail"\n')
    cfg = load_config(tmp_path / "config.toml")
    sub = StoredSubmission(id="sub-1", message_id="<m@x>", received_at="2026-11-20T09:00:00+00:00",
                           sender="sam.worker@example.gov.uk", subject="CRP", status="flagged", panel_date=None,
                           cutoff=None, flags=(), signoff=Signoff(None), request=None, attachments=())
    mail = notices.rejection(cfg, sub, "goes to the SEND panel")
    assert mail.body == "Not for this panel (sub-1): goes to the SEND panel\n"
    assert (mail.to, mail.subject, mail.in_reply_to) == (("sam.worker@example.gov.uk",), "Re: CRP", "<m@x>")
