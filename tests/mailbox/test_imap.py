"""The imap backend against a real Dovecot on loopback, and SMTP submission against a real
aiosmtpd server: every message processed exactly once through restarts, renumbering and
dropped connections."""

from __future__ import annotations

import email
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from carepanel.config import load_config
from carepanel.demo import STAFF
from carepanel.mailbox.imap import ImapInbox
from carepanel.service import open_service, run_forever
from carepanel.store import Store
from dovecot import Dovecot

pytestmark = pytest.mark.slow
PASSWORD_ENV = "CAREPANEL_TEST_IMAP_PASSWORD"


@pytest.fixture
def dovecot(tmp_path: Path):
    server = Dovecot(tmp_path / "dovecot")
    server.start()
    yield server
    server.cleanup()


def project(folder: Path, server: Dovecot, *, on_processed: str = "move") -> Path:
    os.environ[PASSWORD_ENV] = server.password
    return server.project(folder, STAFF, password_env=PASSWORD_ENV,
                          extra=f'on_processed = "{on_processed}"\npoll_seconds = 1')


def message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Sam Worker <sam.worker@example.gov.uk>"
    msg["To"] = "panel@example.gov.uk"
    msg["Subject"] = f"CRP request {n}"
    msg["Message-ID"] = f"<imap-{n}@example.gov.uk>"
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    msg.set_content(f"Request number {n}; the form follows.")
    return bytes(msg)


def folder_count(server: Dovecot, folder: str) -> int:
    c = server.client()
    try:
        typ, data = c.select(f'"{folder}"')
        return int(data[0]) if typ == "OK" else -1
    finally:
        c.logout()


def answered(cfg) -> list[str]:
    return sorted(str(email.message_from_bytes(p.read_bytes(), policy=policy.default)["In-Reply-To"])
                  for p in cfg.outbox.path.glob("*.eml"))


def test_two_hundred_messages_with_a_restart_in_the_middle_are_each_processed_once(tmp_path: Path, dovecot: Dovecot) -> None:
    config = project(tmp_path / "p", dovecot)
    cfg = load_config(config)
    env = {**os.environ, PASSWORD_ENV: dovecot.password}

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(config), "run", "--no-web"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    proc = start()
    for n in range(200):
        dovecot.deliver(message(n))
        if n == 100:  # a restart in the middle, the hard way
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc = start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and folder_count(dovecot, "carepanel/processed") < 200:
        time.sleep(0.5)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0

    store = Store(cfg.db_path)
    ids = [s.message_id for s in store.submissions()]
    state = store.mailbox_state(f"imap:{dovecot.user}@127.0.0.1/INBOX")
    store.close()
    assert sorted(ids) == sorted(f"<imap-{n}@example.gov.uk>" for n in range(200))
    assert folder_count(dovecot, "INBOX") == 0 and folder_count(dovecot, "carepanel/processed") == 200
    assert answered(cfg) == sorted(ids)  # each sender answered exactly once
    assert state is not None and state.last_uid == 200 and state.connected


def test_a_committed_message_left_in_the_inbox_by_a_crash_is_moved_after_reconnecting(tmp_path: Path,
                                                                                     dovecot: Dovecot) -> None:
    """Killed between the commit and the move, the watermark is already past the message; after
    reconnecting it is found again, seen to be stored, and only moved (not answered twice)."""
    cfg = load_config(project(tmp_path / "p", dovecot))
    for n in range(3):
        dovecot.deliver(message(n))
    inbox = ImapInbox(cfg.mailbox)
    moved = inbox.mark_processed
    inbox.mark_processed = lambda item: None  # type: ignore[method-assign]  # "dies" before each move
    with open_service(cfg) as svc:
        assert svc.sweep(inbox) == 3
        assert folder_count(dovecot, "INBOX") == 3
        inbox.mark_processed = moved  # type: ignore[method-assign]
        inbox.close()  # the service restarts, or the link drops: a new connection
        svc.sweep(inbox)
        assert len(svc.store.submissions()) == 3
    inbox.close()
    assert folder_count(dovecot, "INBOX") == 0 and folder_count(dovecot, "carepanel/processed") == 3
    assert len(answered(cfg)) == 3  # each sender answered once


def test_a_renumbered_folder_is_read_again_without_repeating_anything(tmp_path: Path, dovecot: Dovecot) -> None:
    cfg = load_config(project(tmp_path / "p", dovecot, on_processed="flag"))
    for n in range(5):
        dovecot.deliver(message(n))
    inbox = ImapInbox(cfg.mailbox)
    with open_service(cfg) as svc:
        assert svc.sweep(inbox) == 5
        first = inbox.uidvalidity
        inbox.close()
        dovecot.reset_uidvalidity()
        for n in range(5, 7):
            dovecot.deliver(message(n))
        svc.sweep(inbox)
        assert inbox.uidvalidity != first
        subs = svc.store.submissions()
        changed = [a for a in svc.store.audit_log() if a.action == "mailbox_uidvalidity_changed"]
    inbox.close()
    assert len(subs) == 7 and len({s.message_id for s in subs}) == 7
    assert len(answered(cfg)) == 7
    assert len(changed) == 1


def test_a_connection_dropped_during_idle_is_reconnected_and_nothing_is_missed(tmp_path: Path, dovecot: Dovecot) -> None:
    cfg = load_config(project(tmp_path / "p", dovecot))
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, kwargs=dict(cfg=cfg, web=False, host="127.0.0.1", port=0,
                                                              echo=lambda _: None, stop=stop), daemon=True)
    thread.start()
    try:
        dovecot.deliver(message(1))
        wait_for(lambda: folder_count(dovecot, "carepanel/processed") == 1)
        dovecot.stop()  # the server goes away while the service is in IDLE
        time.sleep(2.5)
        dovecot.start()
        dovecot.deliver(message(2))
        wait_for(lambda: folder_count(dovecot, "carepanel/processed") == 2, timeout=60)
    finally:
        stop.set()
        thread.join(timeout=30)
    store = Store(cfg.db_path)
    state = store.mailbox_state(f"imap:{dovecot.user}@127.0.0.1/INBOX")
    ids = sorted(s.message_id for s in store.submissions())
    store.close()
    assert ids == ["<imap-1@example.gov.uk>", "<imap-2@example.gov.uk>"]
    assert state is not None and state.last_error and state.connected  # the outage was recorded, and recovered from


def test_mailbox_check_says_plainly_what_is_wrong(tmp_path: Path, dovecot: Dovecot) -> None:
    from click.testing import CliRunner

    from carepanel.cli import main

    config = project(tmp_path / "p", dovecot)
    ok = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert ok.exit_code == 0 and "can read" in ok.output
    os.environ[PASSWORD_ENV] = "wrong-password"
    bad = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert bad.exit_code == 1 and "refused the user name or password" in bad.stderr
    os.environ[PASSWORD_ENV] = dovecot.password


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


# --------------------------------------------------------------------------- SMTP


def test_smtp_submission_with_starttls_and_auth(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from carepanel.config import OutboxConfig
    from carepanel.mailbox.outbox import build_email
    from carepanel.mailbox.smtp import SmtpOutbox
    from dovecot import free_port

    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append(envelope.original_content or envelope.content)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"panel" and auth_data.password == b"smtp-secret-123")

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        os.environ["CAREPANEL_TEST_SMTP"] = "smtp-secret-123"
        cfg = OutboxConfig(backend="smtp", path=None, from_address="panel@example.gov.uk", host="127.0.0.1", port=port,
                           tls="starttls", username="panel", password_env="CAREPANEL_TEST_SMTP", ca_file=cert)
        msg = build_email("panel@example.gov.uk", "sam.worker@example.gov.uk", subject="Re: CRP", text="Received.",
                          message_id="<out-1.carepanel@example.gov.uk>")
        assert SmtpOutbox(cfg).send(msg) == "<out-1.carepanel@example.gov.uk>"
        assert b"<out-1.carepanel@example.gov.uk>" in received[0]
        os.environ["CAREPANEL_TEST_SMTP"] = "wrong"
        with pytest.raises(OSError, match="did not take"):
            SmtpOutbox(cfg).send(build_email("panel@example.gov.uk", "x@example.gov.uk", subject="s", text="t"))
    finally:
        controller.stop()
        os.environ.pop("CAREPANEL_TEST_SMTP", None)


# --------------------------------------------------------------------------- folder names


@pytest.mark.parametrize("layout, processed", [("maildir", "carepanel.processed"), ("fs", "carepanel/processed")])
def test_folders_are_named_with_the_separator_the_server_announces(tmp_path: Path, layout: str, processed: str) -> None:
    """Dovecot's default Maildir layout separates levels with '.', LAYOUT=fs with '/': the
    configured "carepanel/processed" is made on either, and mail is filed into it."""
    from click.testing import CliRunner

    from carepanel.cli import main

    server = Dovecot(tmp_path / "dovecot", layout=layout)
    server.start()
    try:
        config = project(tmp_path / "p", server)
        check = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
        assert check.exit_code == 0, check.output + (check.stderr or "")
        assert f"file into {processed}" in check.output
        for n in range(3):
            server.deliver(message(n))
        cfg = load_config(config)
        inbox = ImapInbox(cfg.mailbox)
        with open_service(cfg) as svc:
            assert svc.sweep(inbox) == 3
        inbox.close()
        assert folder_count(server, processed) == 3 and folder_count(server, "INBOX") == 0
    finally:
        server.cleanup()


def test_a_mailbox_error_says_why_in_the_log_and_in_health(tmp_path: Path, dovecot: Dovecot) -> None:
    from carepanel.jobs import health

    cfg = load_config(project(tmp_path / "p", dovecot))
    os.environ[PASSWORD_ENV] = "wrong-password"
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, kwargs=dict(cfg=cfg, web=False, host="127.0.0.1", port=0,
                                                              echo=lambda _: None, stop=stop), daemon=True)
    thread.start()
    try:
        wait_for(lambda: "mailbox_unavailable" in log_text(cfg))
    finally:
        stop.set()
        thread.join(timeout=30)
        os.environ[PASSWORD_ENV] = dovecot.password
    lines = [json.loads(line) for line in log_text(cfg).splitlines()]
    unavailable = [ln for ln in lines if ln.get("event") == "mailbox_unavailable"]
    assert unavailable and "refused the user name or password" in unavailable[0]["reason"]
    assert "refused the user name or password" in health.status(cfg)["mailbox"]["detail"]


def log_text(cfg) -> str:
    path = cfg.log_dir / "carepanel.jsonl"
    return path.read_text() if path.exists() else ""
