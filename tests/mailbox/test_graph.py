"""The graph backend against recorded Microsoft Graph traffic, replayed by a local HTTP server:
paging, delta links, an expired delta link, attached items, throttling and an expired token."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from carepanel.mailbox.graph import GraphInbox, GraphMailbox, GraphSettings
from carepanel.mailbox.outbox import build_email
from carepanel.service import open_service
from test_intake_e2e import NOW, config_for

RECORDINGS = Path(__file__).resolve().parent / "recordings" / "graph"


class Replay:
    """Serves the recorded responses for each request line, in order; the last one repeats."""

    def __init__(self) -> None:
        self.scenario = json.loads((RECORDINGS / "scenario.json").read_text())
        self.served: dict[str, int] = defaultdict(int)
        self.log: list[tuple[str, str, str | None, bytes]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = f"{self.command} {unquote(self.path)}"
                replay.log.append((self.command, unquote(self.path), self.headers.get("Authorization"), body))
                answers = {unquote(k): v for k, v in replay.scenario.items()}.get(key)
                if answers is None:
                    self.send_response(404)
                    self.end_headers()
                    self.wfile.write(json.dumps({"error": {"code": "ErrorItemNotFound", "message": key}}).encode())
                    return
                answer = answers[min(replay.served[key], len(answers) - 1)]
                replay.served[key] += 1
                if "file" in answer:
                    data = (RECORDINGS / answer["file"]).read_bytes()
                else:
                    data = b"" if answer.get("body") is None else json.dumps(answer["body"]).replace(
                        "{base}", replay.base).encode()
                self.send_response(answer["status"])
                for name, value in answer.get("headers", {"Content-Type": "application/json"}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _answer  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/v1.0"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay():
    r = Replay()
    yield r
    r.close()


def mailbox(replay: Replay) -> tuple[GraphMailbox, list[bool], list[float]]:
    tokens: list[bool] = []
    waits: list[float] = []

    def token(force: bool) -> str:
        tokens.append(force)
        return f"token-{len(tokens)}"

    return (GraphMailbox(GraphSettings("panel@example.gov.uk", base_url=replay.base), token, sleep=waits.append),
            tokens, waits)


def test_a_delta_round_with_paging_throttling_and_an_expired_token(replay: Replay) -> None:
    box, tokens, waits = mailbox(replay)
    ids, link = box.changes(None)
    assert ids == ["AAMkADg1-msg-1", "AAMkADg1-msg-2", "AAMkADg1-msg-3"]  # the @removed row is not new mail
    assert "$deltatoken=" in link
    assert waits == [1.0]  # Retry-After honoured once
    assert tokens == [False, True]  # one renewal after the 401
    assert replay.log[-1][2] == "Bearer token-2"
    box.close()


def test_messages_are_archived_as_their_mime_and_moved_after_commit(tmp_path: Path, replay: Replay) -> None:
    box, _, _ = mailbox(replay)
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        assert svc.sweep(GraphInbox(box, "graph:panel")) == 3
        subs = {s.message_id: s for s in svc.store.submissions()}
        token = svc.store.mailbox_state("graph:panel").token
        sha = svc.store.conn.execute("SELECT message_sha256 FROM submissions WHERE message_id = ?",
                                     ("<graph-2@example.gov.uk>",)).fetchone()[0]
        raw = svc.processor.archive.get(sha)
        # A second round finds nothing new; a third finds its delta link expired and starts again,
        # meeting the same three messages, which are recognised and not judged again.
        assert svc.sweep(GraphInbox(box, "graph:panel")) == 0
        svc.sweep(GraphInbox(box, "graph:panel"))
        assert len(svc.store.submissions()) == 3
        answered = svc.store.conn.execute("SELECT COUNT(*) FROM outgoing").fetchone()[0]
    assert set(subs) == {"<graph-1@example.gov.uk>", "<graph-2@example.gov.uk>", "<graph-3@example.gov.uk>"}
    assert raw == (RECORDINGS / "msg-2.eml").read_bytes()  # byte for byte, attached item included
    assert b"message/rfc822" in raw and b"I agree to this going to panel" in raw
    assert "$deltatoken=" in token
    moves = {path for method, path, _, _ in replay.log if method == "POST" and path.endswith("/move")}
    assert len(moves) == 3  # each moved (again, when the replayed round offers it again: a crash may have come between)
    bodies = [json.loads(b) for m, p, _, b in replay.log if m == "POST" and p.endswith("/move")]
    assert all(b == {"destinationId": "AAMkADg1-folder-processed"} for b in bodies)
    assert answered == 3
    box.close()


def test_a_message_whose_processing_failed_is_tried_again_and_then_moved(
        tmp_path: Path, replay: Replay, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from carepanel.errors import RetryLater
    from carepanel.jobs import process

    real = process.intake
    failures = {"left": 1}

    def flaky(message, when, ctx):  # type: ignore[no-untyped-def]
        if message.message_id == "<graph-2@example.gov.uk>" and failures["left"]:
            failures["left"] -= 1
            raise RetryLater("LibreOffice hung")  # the machine's fault: the message waits for a retry
        return real(message, when, ctx)

    monkeypatch.setattr(process, "intake", flaky)
    box, _, _ = mailbox(replay)
    now = {"t": NOW}
    with open_service(config_for(tmp_path), clock=lambda: now["t"]) as svc:
        assert svc.sweep(GraphInbox(box, "graph:panel")) == 2  # the delta round goes on; graph-2 is left unmoved
        assert len(svc.store.submissions()) == 2
        now["t"] = NOW + timedelta(hours=2)
        assert svc.sweep(GraphInbox(box, "graph:panel")) == 1  # not in the new round, but retried from the archive
        assert {s.message_id for s in svc.store.submissions()} >= {"<graph-2@example.gov.uk>"}
    moved = [path for method, path, _, _ in replay.log if method == "POST" and path.endswith("/move")]
    assert any("msg-2" in path for path in moved)
    box.close()


def test_send_mail_posts_the_mime_message_with_our_message_id(replay: Replay) -> None:
    import base64

    box, _, _ = mailbox(replay)
    msg = build_email("panel@example.gov.uk", "sam.worker@example.gov.uk", subject="Re: CRP", text="Received.",
                      message_id="<out-7.carepanel@example.gov.uk>")
    assert box.send(msg) == "<out-7.carepanel@example.gov.uk>"
    [(_, _, _, body)] = [e for e in replay.log if e[1].endswith("/sendMail")]
    assert b"Message-ID: <out-7.carepanel@example.gov.uk>" in base64.b64decode(body)
    box.close()


def test_a_refused_permission_is_explained(replay: Replay) -> None:
    from carepanel.mailbox.imap import MailboxUnavailable

    replay.scenario["GET /v1.0/users/panel%40example.gov.uk/mailFolders/inbox/messages/delta?$select=id,internetMessageId,receivedDateTime"] = [
        {"status": 403, "body": {"error": {"code": "ErrorAccessDenied", "message": "Access is denied. Check credentials and try again."}}}]
    box, _, _ = mailbox(replay)
    with pytest.raises(MailboxUnavailable, match="RBAC scope"):
        box.changes(None)
    box.close()


def test_the_graph_service_survives_a_busy_database_and_reads_on(
        tmp_path: Path, replay: Replay, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backup holding the database for a moment must not stop a Microsoft 365 service for good:
    the loop backs off and the next round reads the mailbox, as the other backends' loops do."""
    import dataclasses
    import threading
    import time

    from carepanel.errors import StoreError
    from carepanel.mailbox import graph
    from carepanel.service import run_forever
    from carepanel.store import Store

    monkeypatch.setattr(graph, "msal_token_provider", lambda *a, **k: (lambda force: "token"))
    monkeypatch.setenv("CAREPANEL_TEST_GRAPH_SECRET", "not-used")
    cfg = config_for(tmp_path)
    from carepanel.config import GraphConfig, MailboxConfig

    cfg = dataclasses.replace(cfg, mailbox=MailboxConfig("graph", 0.2, GraphConfig(
        "panel@example.gov.uk", "tenant", "client", "CAREPANEL_TEST_GRAPH_SECRET", graph_url=replay.base)))
    real = Store.mailbox_state
    busy = {"left": 1}

    def mailbox_state(self, key):  # type: ignore[no-untyped-def]
        if busy["left"]:
            busy["left"] -= 1
            raise StoreError("database is busy")
        return real(self, key)

    monkeypatch.setattr(Store, "mailbox_state", mailbox_state)
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, kwargs=dict(cfg=cfg, web=False, host="127.0.0.1", port=0,
                                                              echo=lambda _: None, stop=stop, clock=lambda: NOW),
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and thread.is_alive() and len(list(cfg.outbox.path.glob("*.eml"))) < 3:
            time.sleep(0.2)
        alive = thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert busy["left"] == 0 and alive  # the busy moment happened, and the service went on
    assert submissions(cfg) == 3
    log = (cfg.log_dir / "carepanel.jsonl").read_text()
    assert '"event": "sweep_failed"' in log and '"error_type": "StoreError"' in log


def submissions(cfg) -> int:  # type: ignore[no-untyped-def]
    from carepanel.store import Store

    store = Store(cfg.db_path)
    try:
        return len(store.submissions())
    finally:
        store.close()
