"""EWS streaming notifications, through the running service (``run_forever``) against SOAP
replayed as Microsoft documents ``Subscribe`` and ``GetStreamingEvents``: a NewMailEvent wakes
a round that finds the new message (with the poll interval an hour, nothing else would), a
stream the server closes is opened again, a subscription the server has lost is made again, a
server that refuses streaming is polled, and SIGTERM is not held up by an open stream."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ews_replay import RECORDINGS, EwsReplay
from test_exchange import exchange_project

from carepanel.config import load_config
from carepanel.service import open_service, run_forever

E2 = "<m:SyncState>H4sIAAAAAAAEAGNgYGBkYPj/nwEIAAAA//8DAFAGE2</m:SyncState>"
E4 = "<m:SyncState>H4sIAAAAAAAEAGNgYGBkYPj/nwEIAAAA//8DAFAGE4</m:SyncState>"
# After the three messages of the first round, a fourth arrives: the sync from E2 finds it.
NEW_MAIL = [
    {"operation": "SyncFolderItems", "contains": [E2], "answers": [{"file": "sync-new.xml"}]},
    {"operation": "SyncFolderItems", "contains": [E4], "answers": [{"file": "sync-e4-empty.xml"}]},
    {"operation": "GetItem", "contains": ["AAMkAD-ews-4", "item:MimeContent"], "answers": [{"file": "getitem-new.xml"}]},
]
SUBSCRIBED = {"operation": "Subscribe", "contains": ["<m:StreamingSubscriptionRequest>", "<t:EventType>NewMailEvent"],
              "answers": [{"file": "subscribe-streaming.xml"}]}
HELD_OPEN = {"file": "streaming-ok.xml", "hold": True}  # a stream with no news: open until the server ends it


@pytest.fixture
def replay():
    r = EwsReplay()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREPANEL_TEST_EWS_PASSWORD", "not-a-real-password")


def project(folder: Path, endpoint: str, extra: str) -> Path:
    config = exchange_project(folder, endpoint, extra)
    (folder / "staff.csv").write_text("name,email,role,team\nSam Worker,sam.worker@example.gov.uk,social_worker,\n")
    return config


def until(condition: Callable[[], bool], what: str, limit: float = 30.0, alive: threading.Thread | None = None) -> None:
    """Wait for something the service does in its own thread (a bound, not a measurement)."""
    deadline = time.monotonic() + limit
    while not condition():
        if alive is not None and not alive.is_alive():
            raise AssertionError(f"the service ended before: {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def moved(replay: EwsReplay, item: str) -> bool:
    return any(op == "MoveItem" and item.encode() in body for op, body in list(replay.log))


class Running:
    """The service in a thread, as ``carepanel run`` runs it; ``stop()`` is what SIGTERM does."""

    def __init__(self, config: Path) -> None:
        self.cfg = load_config(config)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=run_forever, args=(self.cfg,), daemon=True, kwargs={
            "web": False, "host": "127.0.0.1", "port": 0, "echo": lambda s: None, "stop": self.stopping})
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the service did not stop"

    def message_ids(self) -> set[str]:
        with open_service(self.cfg) as svc:
            return {s.message_id for s in svc.store.submissions()}

    def logged(self, event: str) -> list[dict[str, object]]:
        lines = (self.cfg.log_dir / "carepanel.jsonl").read_text().splitlines()
        return [r for r in map(json.loads, lines) if r.get("event") == event]


def test_a_new_mail_event_wakes_a_round_that_finds_the_message_and_a_closed_stream_is_reopened(
        tmp_path: Path, replay: EwsReplay) -> None:
    replay.rules = NEW_MAIL + [SUBSCRIBED, {"operation": "GetStreamingEvents", "contains": [
        "f6bc657d-dde1-4f94-952d-143b95d6483d", "<m:ConnectionTimeout>29</m:ConnectionTimeout>"],
        # NewMailEvent + CreatedEvent, then ConnectionStatus Closed; the stream asked again stays open
        "answers": [{"file": "streaming-newmail-closed.xml"}, HELD_OPEN]}] + replay.rules
    svc = Running(project(tmp_path / "p", replay.endpoint, "poll_seconds = 3600"))
    until(lambda: moved(replay, "AAMkAD-ews-4"), "the fourth message moved after its round", alive=svc.thread)
    until(lambda: replay.ops().count("GetStreamingEvents") == 2, "the closed stream asked again")
    svc.stop()  # while a stream is held open
    ops = replay.ops()
    assert ops.count("Subscribe") == 1  # the same subscription, read again after Closed
    assert ops.count("SyncFolderItems") == 4  # busy, page 1, page 2; then the one the event woke
    assert svc.message_ids() == {f"<ews-{n}@example.gov.uk>" for n in (1, 2, 3, 4)}
    assert (RECORDINGS / "msg-4.eml").read_bytes() in [p.read_bytes() for p in svc.cfg.archive_dir.rglob("*") if p.is_file()]
    assert svc.logged("exchange_stream_reconnect")


def test_a_subscription_the_server_has_lost_is_made_again_and_the_gap_is_synced(
        tmp_path: Path, replay: EwsReplay) -> None:
    replay.rules = NEW_MAIL + [SUBSCRIBED, {"operation": "GetStreamingEvents", "answers": [
        {"file": "streaming-not-found.xml"}, HELD_OPEN]}] + replay.rules
    svc = Running(project(tmp_path / "p", replay.endpoint, "poll_seconds = 3600"))
    # No event ever names the fourth message: the new subscription's own wake-up syncs the gap.
    until(lambda: moved(replay, "AAMkAD-ews-4"), "the fourth message found after subscribing again")
    svc.stop()
    assert replay.ops().count("Subscribe") == 2
    assert [r["error_type"] for r in svc.logged("exchange_stream_reconnect")][:1] == ["ErrorSubscriptionNotFound"]
    assert len(svc.message_ids()) == 4


def test_a_server_that_refuses_streaming_is_polled_and_the_mail_still_found(tmp_path: Path, replay: EwsReplay) -> None:
    replay.rules = NEW_MAIL + [{"operation": "Subscribe", "answers": [{"file": "subscribe-refused.xml"}]}] + replay.rules
    svc = Running(project(tmp_path / "p", replay.endpoint, "poll_seconds = 0.2"))
    until(lambda: moved(replay, "AAMkAD-ews-4"), "the fourth message found by polling")
    until(lambda: bool(svc.logged("exchange_streaming_refused")), "the refusal logged")
    svc.stop()
    assert replay.ops().count("Subscribe") == 1 and "GetStreamingEvents" not in replay.ops()
    [refused] = svc.logged("exchange_streaming_refused")
    assert refused["error_code"] == "ErrorInvalidServerVersion"
    assert len(svc.message_ids()) == 4


def test_notifications_poll_never_subscribes(tmp_path: Path, replay: EwsReplay) -> None:
    replay.rules = NEW_MAIL + replay.rules
    svc = Running(project(tmp_path / "p", replay.endpoint, 'poll_seconds = 0.2\nnotifications = "poll"'))
    until(lambda: moved(replay, "AAMkAD-ews-4"), "the fourth message found by polling")
    svc.stop()
    assert "Subscribe" not in replay.ops()


def test_mailbox_check_says_whether_the_server_offers_streaming(tmp_path: Path, replay: EwsReplay) -> None:
    from click.testing import CliRunner

    from carepanel.cli import main

    config = project(tmp_path / "p", replay.endpoint, "poll_seconds = 60")
    ok = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert ok.exit_code == 0 and "streaming notifications: available" in ok.output, ok.output
    assert replay.ops().count("Unsubscribe") == 1  # the trial subscription is not left behind
    replay.rules = [{"operation": "Subscribe", "answers": [{"file": "subscribe-refused.xml"}]}] + replay.rules
    refused = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert refused.exit_code == 0, refused.output
    assert "streaming notifications refused (ErrorInvalidServerVersion): the service will poll every 60s" in refused.output
