"""The web app's review queue and `carepanel review` are two faces of one set of actions: the same
steps done through each leave the same submission, the same audit entries and the same mail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from carepanel.store import AuditEntry, StoredSubmission
from carepanel.web.app import create_app
from reviewhelpers import ADMIN, review, review_project, stored
from test_intake_e2e import NOW
from web.webhelpers import sign_in

WHEN = "23/11/2026 10:15 by phone"
# (web action, its form, the same through the CLI), done in this order on one flagged submission
STEPS: list[tuple[str, dict[str, str], list[str]]] = [
    ("correct", {"field": "children.child_id", "value": "LCS900111", "reason": "ID from the case record"},
     ["correct", "--field", "children.child_id", "--value", "LCS900111", "--reason", "ID from the case record"]),
    ("ask", {"body": "Please ask Terry to sign page 4.", "reason": "asked for what is missing"}, ["ask"]),
    ("signoff", {"manager": "Terry Manager", "reason": "approved by phone"},
     ["signoff", "--manager", "Terry Manager", "--reason", "approved by phone"]),
    ("move", {"panel_date": "2026-12-09", "reason": "worker on leave"},
     ["move", "--to", "2026-12-09", "--reason", "worker on leave"]),
    ("accept-late", {"chair": "Dana Chair", "when": WHEN, "panel_date": "2026-12-16", "reason": "chair agreed"},
     ["accept-late", "--chair", "Dana Chair", "--when", WHEN, "--panel-date", "2026-12-16", "--reason", "chair agreed"]),
    ("accept", {"reason": "papers complete"}, ["accept", "--reason", "papers complete"]),
    ("reject", {"reason": "this goes to the SEND panel"}, ["reject", "--reason", "this goes to the SEND panel"]),
]


def decided(sub: StoredSubmission) -> tuple[Any, ...]:
    """What a review action decides (the documents themselves differ by their build time)."""
    return sub.id, sub.status, sub.panel_date, sub.flags, sub.signoff


def comparable(audit: list[AuditEntry]) -> list[tuple[Any, ...]]:
    return [(a.actor, a.action, a.entity, a.entity_id, a.reason, json.loads(a.data or "null"))
            for a in audit]


def test_the_web_and_the_cli_leave_the_same_record(tmp_path: Path) -> None:
    web_cfg, web_ids = review_project(tmp_path / "web")
    cli_cfg, cli_ids = review_project(tmp_path / "cli")
    assert web_ids == cli_ids  # the same mail, judged the same way, on the same clock
    sub_id = web_ids["flagged"]
    message = tmp_path / "ask.txt"
    message.write_text("Please ask Terry to sign page 4.", encoding="utf-8")
    with TestClient(create_app(web_cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
        csrf = sign_in(client, "administrator")
        for action, form, args in STEPS:
            resp = client.post(f"/submissions/{sub_id}/{action}", data={**form, "csrf": csrf}, follow_redirects=False)
            assert resp.status_code == 303 and "error=" not in resp.headers["location"], action
            assert 'class="error-summary"' not in client.get(resp.headers["location"]).text, action  # the note rides in the session
            extra = ["--message-file", str(message)] if action == "ask" else []
            code, _, err = review(tmp_path / "cli", args[0], sub_id, *args[1:], *extra, "--by", ADMIN)
            assert code == 0, err
            web, cli = stored(web_cfg, sub_id), stored(cli_cfg, sub_id)
            assert decided(web[0]) == decided(cli[0]), action
            assert comparable(web[1]) == comparable(cli[1]), action
            assert [(m.recipients, m.subject, m.body) for m in web[2]] == [(m.recipients, m.subject, m.body) for m in cli[2]]
    sub, audit, mail = stored(web_cfg, sub_id)
    assert sub.status == "rejected" and sub.panel_date == "2026-12-16"
    assert [a[1] for a in comparable(audit)][-7:] == ["field_corrected", "sender_asked", "signoff_recorded", "submission_moved",
                                                     "late_accepted", "accepted_by_administrator", "rejected"]
    assert len(mail) == 2 and "this goes to the SEND panel" in mail[-1].body


def test_a_refusal_reads_the_same_on_both_faces(tmp_path: Path) -> None:
    cfg, ids = review_project(tmp_path)
    with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
        csrf = sign_in(client, "administrator")
        resp = client.post(f"/submissions/{ids['late']}/accept-late", data={"reason": "urgent", "csrf": csrf})
    code, out, _ = review(tmp_path, "accept-late", ids["late"], "--reason", "urgent")
    assert code == 1 and out["error"] == {"code": "chair_required", "detail": "Say which chair agreed, and when."}
    assert "Say which chair agreed, and when." in resp.text
