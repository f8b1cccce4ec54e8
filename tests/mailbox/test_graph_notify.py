"""Graph change notifications: the subscription created, renewed before it expires and created
again when Graph has lost it (against the Graph replay), and the webhook route of the web app
(Starlette's test client): the validation handshake, clientState checked, lifecycle events."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_graph import Replay, mailbox
from test_intake_e2e import NOW, config_for

from carepanel.mailbox.graph_notify import LIFETIME, Signals, Subscription, handle

URL = "https://panel.example.gov.uk/graph/notifications"
SUB = "7f105c7d-2dc5-4530-97cd-4e7ae6534c07"


@pytest.fixture
def replay():
    r = Replay()
    yield r
    r.close()


def sent(replay: Replay, method: str) -> list[dict]:
    return [json.loads(b) for m, p, _, b in replay.log if m == method and "/subscriptions" in p]


def test_the_subscription_is_created_renewed_before_expiry_and_created_again_when_lost(
        tmp_path: Path, replay: Replay) -> None:
    box, _, _ = mailbox(replay)
    signals = Signals()
    sub = Subscription(box, URL, "s3cret-client-state", tmp_path / "graph-subscription.json")
    assert sub.ensure(NOW, signals) == SUB
    [created] = sent(replay, "POST")
    assert created["changeType"] == "created" and created["clientState"] == "s3cret-client-state"
    assert created["resource"] == "users/panel@example.gov.uk/mailFolders('inbox')/messages"
    assert created["notificationUrl"] == URL == created["lifecycleNotificationUrl"]
    expires = datetime.fromisoformat(created["expirationDateTime"].replace(".0000000Z", "+00:00"))
    assert expires - NOW <= timedelta(minutes=4230) and expires - NOW == LIFETIME  # inside Graph's limit for messages
    # A day later it still has two days: nothing is sent.
    sub.ensure(NOW + timedelta(days=1), signals)
    assert len([m for m, *_ in replay.log if m == "PATCH"]) == 0
    # With less than a day left it is renewed, and the new expiry remembered.
    sub.ensure(NOW + timedelta(days=2), signals)
    [renewed] = sent(replay, "PATCH")
    assert datetime.fromisoformat(renewed["expirationDateTime"].replace(".0000000Z", "+00:00")) == NOW + timedelta(days=2) + LIFETIME
    assert json.loads((tmp_path / "graph-subscription.json").read_text())["expires"].startswith("2026-11-28T08:00")
    # Graph asks for reauthorization: renewed at once; Graph has lost it (404): created again.
    signals.renew.set()
    assert sub.ensure(NOW + timedelta(days=2, hours=1), signals) == SUB
    assert len(sent(replay, "PATCH")) == 2 and len(sent(replay, "POST")) == 2
    signals.recreate.set()  # subscriptionRemoved
    sub.ensure(NOW + timedelta(days=2, hours=2), signals)
    assert len(sent(replay, "POST")) == 3
    box.close()


def webhook_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    from carepanel.web.app import create_app

    monkeypatch.setenv("CAREPANEL_TEST_CLIENT_STATE", "s3cret-client-state")
    cfg = config_for(tmp_path)
    from carepanel.config import GraphConfig, MailboxConfig

    cfg = dataclasses.replace(cfg, mailbox=MailboxConfig("graph", cfg.mailbox.poll_seconds, GraphConfig(
        "panel@example.gov.uk", "tenant", "client", "CAREPANEL_TEST_GRAPH_SECRET", notification_url=URL,
        notification_secret_env="CAREPANEL_TEST_CLIENT_STATE")))
    return TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000")


def notification(client_state: str, **extra: str) -> dict:
    return {"value": [{"subscriptionId": SUB, "subscriptionExpirationDateTime": "2026-11-26T08:00:00.0000000Z",
                       "changeType": "created", "clientState": client_state, "tenantId": "tenant-guid",
                       "resource": "Users/panel@example.gov.uk/Messages/AAMkADg1-msg-4",
                       "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "id": "AAMkADg1-msg-4"}, **extra}]}


def test_the_webhook_answers_the_validation_handshake_without_a_session(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_client(tmp_path, monkeypatch) as client:
        resp = client.post("/graph/notifications?validationToken=Validation%3A%20Testing%20client%20application%20reachability",
                           follow_redirects=False)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert resp.text == "Validation: Testing client application reachability"


def test_a_notification_only_wakes_the_delta_round_and_only_with_our_client_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carepanel.mailbox.graph_notify import SIGNALS

    SIGNALS.wake.clear()
    with webhook_client(tmp_path, monkeypatch) as client:
        forged = client.post("/graph/notifications", json=notification("guessed"))
        assert forged.status_code == 202 and not SIGNALS.wake.is_set()
        ours = client.post("/graph/notifications", json=notification("s3cret-client-state"))
        assert ours.status_code == 202 and SIGNALS.wake.is_set()
    SIGNALS.wake.clear()


def test_lifecycle_notifications_renew_recreate_or_run_a_round() -> None:
    def lifecycle(event: str) -> bytes:
        return json.dumps({"value": [{"subscriptionId": SUB, "clientState": "cs", "lifecycleEvent": event,
                                      "organizationId": "tenant-guid", "subscriptionExpirationDateTime":
                                      "2026-11-26T08:00:00.0000000Z"}]}).encode()

    s = Signals()
    assert handle({}, lifecycle("reauthorizationRequired"), "cs", s).status == 202
    assert s.renew.is_set() and s.wake.is_set() and not s.recreate.is_set()
    s = Signals()
    handle({}, lifecycle("subscriptionRemoved"), "cs", s)
    assert s.recreate.is_set() and not s.renew.is_set()
    s = Signals()
    handle({}, lifecycle("missed"), "cs", s)
    assert s.wake.is_set() and not s.renew.is_set() and not s.recreate.is_set()
    s = Signals()
    assert handle({}, b"not json", "cs", s).status == 400 and not s.wake.is_set()
    assert handle({}, lifecycle("missed"), None, s).status == 404  # notifications not configured
    assert handle({"validationToken": "x"}, b"", None, s).status == 404  # nothing echoed for anyone then
    assert handle({"validationToken": "x" * 5000}, b"", "cs", s).status == 400
    assert handle({}, b"{" + b" " * (2 * 1024 * 1024) + b"}", "cs", s).status == 413
    s.wake.clear()
    forged = json.dumps({"value": [{"clientState": "é ∂", "changeType": "created"}]}).encode()
    assert handle({}, forged, "cs", s).status == 202 and not s.wake.is_set()  # not ours, and no crash


def test_a_damaged_subscription_file_is_dropped_and_polling_goes_on(tmp_path: Path) -> None:
    from carepanel.mailbox.graph_notify import keep_subscribed

    state = tmp_path / "graph-subscription.json"
    state.write_text('{"id": "sub-1", "expires": "not a time"}')

    class NoServer:  # nothing is asked of Graph before the file is read
        pass

    keep_subscribed(Subscription(NoServer(), URL, "cs", state), datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert not state.exists()  # made afresh next round
