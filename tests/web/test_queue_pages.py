"""The review queue in pages: its filters, order and page number live in the URL, so a link or
the browser's back button returns to the same view; counts come from the status counters."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from carepanel.store import Store
from carepanel.web.app import create_app
from carepanel.web.routes.queue import QUEUE_PAGE_SIZE
from test_intake_e2e import NOW
from webhelpers import seeded_project, sign_in

EXTRA = 118  # with the two the project starts with: 120, three pages of 50, 50 and 20


@pytest.fixture
def client(tmp_path: Path):
    cfg, ids = seeded_project(tmp_path)
    store = Store(cfg.db_path)
    template = json.loads(store.conn.execute("SELECT doc FROM submissions LIMIT 1").fetchone()[0])
    with store.transaction():
        for i in range(EXTRA):
            flagged = i % 2 == 0
            doc = dict(template, id=f"sub-page{i:04d}", message_id=f"<page-{i}@x>", status="flagged" if flagged else "accepted",
                       flags=[{"code": "late", "detail": "late"}] if flagged else [],
                       received_at=(NOW - timedelta(days=1, minutes=i)).isoformat())
            store.conn.execute("INSERT INTO messages (sha256, message_id, source, size, status, first_seen_at) VALUES (?,?,?,?,?,?)",
                               (f"{i:064d}", doc["message_id"], "test", 1, "processed", NOW.isoformat()))
            store.conn.execute(
                "INSERT INTO submissions (id, message_sha256, message_id, received_at, sender, status, panel_date, cutoff,"
                " child_key, doc, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc["id"], f"{i:064d}", doc["message_id"], doc["received_at"], doc["sender"], doc["status"], doc["panel_date"],
                 doc["cutoff"], f"id:P{i}", json.dumps(doc), NOW.isoformat(), NOW.isoformat()))
    store.close()
    with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as c:
        sign_in(c, "administrator")
        yield c, cfg, ids


def rows(html: str) -> list[str]:
    return re.findall(r'<a href="/submissions/([^"]+)">', html)


def test_the_queue_comes_in_pages_that_keep_their_filter_and_order(client) -> None:
    c, cfg, ids = client
    first = c.get("/queue").text
    assert len(rows(first)) == QUEUE_PAGE_SIZE and "Submissions 1 to 50 of 120" in first and "Page 1 of 3" in first
    third = c.get("/queue?page=3").text
    assert len(rows(third)) == 20 and 'href="/queue?page=2" rel="prev"' in third and 'rel="next"' not in third
    seen = rows(first) + rows(c.get("/queue?page=2").text) + rows(third)
    assert len(set(seen)) == 120  # every submission once, none twice

    flagged = c.get("/queue?status=flagged&order=newest").text
    assert "of 60 (flagged)" in flagged and 'href="/queue?status=flagged&amp;order=newest&amp;page=2" rel="next"' in flagged
    page2 = c.get("/queue?status=flagged&order=newest&page=2").text
    assert 'href="/queue?status=flagged&amp;order=newest" rel="prev"' in page2
    assert '<option value="newest" selected>' in page2 and '<option value="flagged" selected>' in page2
    # Newest first really is newest first.
    assert rows(flagged)[0] == ids["flagged"]
    # A page past the end shows the last page; nonsense is ignored, not an error.
    assert "Page 3 of 3" in c.get("/queue?page=99").text
    assert c.get("/queue?page=x&status=nonsense&order=;DROP").status_code == 200


def test_the_counts_follow_a_change_of_status(client) -> None:
    c, cfg, ids = client
    store = Store(cfg.db_path)
    store.amend_submission(ids["flagged"], actor="test", action="accepted_by_administrator", reason="test",
                           remove_flags=("no_manager_signoff",), status="accepted")
    store.close()
    assert "of 59 (flagged)" in c.get("/queue?status=flagged").text  # the original flagged one is accepted now
    assert "of 61 (accepted)" in c.get("/queue?status=accepted").text
    assert "of 120</caption>" in c.get("/queue").text
