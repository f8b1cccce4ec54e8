"""The exchange backend against EWS SOAP shaped as Microsoft documents it, replayed by a local
HTTP server (``ews_replay``): paging, a sync state resumed after a restart, an attached item kept
byte for byte, throttling waited out, a sync state the server forgets, access denied, the move
after commit, and sending.  exchangelib is pointed at the replay with an explicit endpoint and a
fixed version, so nothing is autodiscovered; basic auth, since NTLM's handshake cannot be replayed."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from ews_replay import RECORDINGS, EwsReplay
from test_intake_e2e import NOW, config_for

from carepanel.mailbox.exchange import (
    ExchangeInbox,
    ExchangeMailbox,
    ExchangeSettings,
    password_credentials,
)
from carepanel.mailbox.imap import MailboxUnavailable
from carepanel.mailbox.outbox import build_email
from carepanel.service import open_service

KEY = "exchange:panel@example.gov.uk/inbox"


@pytest.fixture
def replay():
    r = EwsReplay()
    yield r
    r.close()


def mailbox(replay: EwsReplay, waits: list[float] | None = None) -> ExchangeMailbox:
    return ExchangeMailbox(ExchangeSettings("panel@example.gov.uk", replay.endpoint, auth="basic", page_size=2),
                           password_credentials("COUNCIL\\svc-carepanel", "not-a-real-password"),
                           sleep=(waits if waits is not None else []).append)


def sync_states_sent(replay: EwsReplay) -> list[str | None]:
    out = []
    for op, body in replay.log:
        if op == "SyncFolderItems":
            m = re.search(rb"<m:SyncState>([^<]+)</m:SyncState>", body)
            out.append(m.group(1).decode()[-2:] if m else None)
    return out


def test_the_first_sync_pages_through_the_folder_after_waiting_out_throttling(replay: EwsReplay) -> None:
    waits: list[float] = []
    box = mailbox(replay, waits)
    pages = list(box.pages(None))
    assert [p.ids for p in pages] == [[("AAMkAD-ews-1", "CQAAABYAAAD8bmPa1"), ("AAMkAD-ews-2", "CQAAABYAAAD8bmPa2")],
                                      [("AAMkAD-ews-3", "CQAAABYAAAD8bmPa3")]]  # read-flag and delete changes are not new mail
    assert [p.last for p in pages] == [False, True]
    assert waits == [2.5]  # BackOffMilliseconds honoured
    assert sync_states_sent(replay) == [None, None, "E1"]
    assert all(a and a.startswith("Basic ") for a in replay.auth)
    box.close()


def test_messages_are_archived_as_their_mime_committed_with_the_sync_state_and_moved_after(
        tmp_path: Path, replay: EwsReplay) -> None:
    cfg = config_for(tmp_path)
    box = mailbox(replay)
    with open_service(cfg, clock=lambda: NOW) as svc:
        assert svc.sweep(ExchangeInbox(box, KEY)) == 3
        token = svc.store.mailbox_state(KEY).token
        sha = svc.store.conn.execute("SELECT message_sha256 FROM submissions WHERE message_id = ?",
                                     ("<ews-2@example.gov.uk>",)).fetchone()[0]
        raw = svc.processor.archive.get(sha)
        ids = {s.message_id for s in svc.store.submissions()}
    assert ids == {"<ews-1@example.gov.uk>", "<ews-2@example.gov.uk>", "<ews-3@example.gov.uk>"}
    assert raw == (RECORDINGS / "msg-2.eml").read_bytes()  # byte for byte, CRLFs and attached item included
    assert b"message/rfc822" in raw and b"I agree to this going to panel" in raw
    assert token.endswith("E2")
    ops = replay.ops()
    # each move comes after the fetch of its page, to the folder created on first use
    assert ops.count("MoveItem") == 3 and ops.count("CreateFolder") == 1
    assert ops.index("GetItem") < ops.index("CreateFolder") < ops.index("MoveItem")
    moves = [body for op, body in replay.log if op == "MoveItem"]
    assert all(b"AAMkAD-processed" in m for m in moves)
    assert [re.search(rb'ItemId Id="(AAMkAD-ews-\d)"', m).group(1) for m in moves] == [  # type: ignore[union-attr]
        b"AAMkAD-ews-1", b"AAMkAD-ews-2", b"AAMkAD-ews-3"]
    box.close()


def test_a_restart_resumes_from_the_committed_sync_state_and_a_forgotten_one_repeats_nothing(
        tmp_path: Path, replay: EwsReplay) -> None:
    cfg = config_for(tmp_path)
    first = mailbox(replay)
    with open_service(cfg, clock=lambda: NOW) as svc:
        svc.sweep(ExchangeInbox(first, KEY))
    first.close()
    replay.log.clear()
    again = mailbox(replay)  # a new process: nothing but the database remembers where it was
    with open_service(cfg, clock=lambda: NOW) as svc:
        assert svc.sweep(ExchangeInbox(again, KEY)) == 0
        assert sync_states_sent(replay) == ["E2"]
        # The next round's sync state is refused (ErrorInvalidSyncStateData): the folder is read
        # again from the start and the same three messages are recognised, not judged again.
        svc.sweep(ExchangeInbox(again, KEY))
        assert sync_states_sent(replay) == ["E2", "E3", None, "E1"]
        assert len(svc.store.submissions()) == 3
        assert svc.store.conn.execute("SELECT COUNT(*) FROM outgoing").fetchone()[0] == 3  # one acknowledgement each
        assert svc.store.mailbox_state(KEY).token.endswith("E2")
    again.close()


def test_sending_creates_the_item_from_our_mime_with_our_message_id(replay: EwsReplay) -> None:
    box = mailbox(replay)
    msg = build_email("panel@example.gov.uk", "sam.worker@example.gov.uk", subject="Re: CRP", text="Received.",
                      message_id="<out-7.carepanel@example.gov.uk>")
    assert box.send(msg) == "<out-7.carepanel@example.gov.uk>"
    [body] = [b for op, b in replay.log if op == "CreateItem"]
    assert b'MessageDisposition="SendOnly"' in body
    mime = base64.b64decode(re.search(rb"<t:MimeContent[^>]*>([^<]+)</t:MimeContent>", body).group(1))  # type: ignore[union-attr]
    assert b"Message-ID: <out-7.carepanel@example.gov.uk>" in mime and b"To: sam.worker@example.gov.uk" in mime
    box.close()


def test_access_denied_is_explained(replay: EwsReplay) -> None:
    replay.rules = [{"operation": op, "answers": [{"file": "getfolder-access-denied.xml"}]}
                    for op in ("GetFolder", "FindItem")]
    box = mailbox(replay)
    with pytest.raises(MailboxUnavailable, match="denied access to the mailbox.*Full Access"):
        list(box.pages(None))
    box.close()


def test_an_unreachable_server_is_explained() -> None:
    box = ExchangeMailbox(ExchangeSettings("panel@example.gov.uk", "http://127.0.0.1:9/EWS/Exchange.asmx", auth="basic"),
                          password_credentials("COUNCIL\\svc-carepanel", "x"))
    with pytest.raises(MailboxUnavailable, match="cannot be reached"):
        list(box.pages(None))
    box.close()


def test_a_refused_password_is_explained(replay: EwsReplay) -> None:
    replay.rules = [{"operation": "GetFolder", "answers": [{"status": 401, "file": "unauthorized.xml"}]}]
    box = mailbox(replay)
    with pytest.raises(MailboxUnavailable, match="refused the user name or password"):
        list(box.pages(None))
    box.close()


def exchange_project(folder: Path, endpoint: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "staff.csv").write_text("name,email,role\nSam Worker,sam.worker@example.gov.uk,social_worker\n")
    (folder / "config.toml").write_text(f"""
profile = "north-somerset"
data_dir = "data"
[directory]
csv = "staff.csv"
[mailbox]
backend = "exchange"
service_endpoint = "{endpoint}"
auth = "basic"
username = 'COUNCIL\\svc-carepanel'
password_env = "CAREPANEL_TEST_EWS_PASSWORD"
address = "panel@example.gov.uk"
{extra}
[outbox]
backend = "exchange"
from_address = "panel@example.gov.uk"
""")
    return folder / "config.toml"


def test_mailbox_check_signs_in_and_says_plainly_what_is_wrong(tmp_path: Path, replay: EwsReplay,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from carepanel.cli import main

    monkeypatch.setenv("CAREPANEL_TEST_EWS_PASSWORD", "not-a-real-password")
    config = exchange_project(tmp_path / "p", replay.endpoint)
    ok = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert ok.exit_code == 0, ok.output
    assert "can read panel@example.gov.uk's INBOX (3 messages in it) and file into carepanel-processed" in ok.output
    assert replay.ops().count("CreateFolder") == 1
    replay.rules = [{"operation": "GetFolder", "answers": [{"status": 401, "file": "unauthorized.xml"}]}]
    bad = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert bad.exit_code == 1 and "refused the user name or password" in bad.stderr
    monkeypatch.delenv("CAREPANEL_TEST_EWS_PASSWORD")
    unset = CliRunner().invoke(main, ["--config", str(config), "mailbox", "check"])
    assert unset.exit_code != 0 and "CAREPANEL_TEST_EWS_PASSWORD is not set" in unset.stderr


def test_the_config_names_what_is_missing(tmp_path: Path) -> None:
    from carepanel.config import load_config
    from carepanel.errors import ConfigError

    config = exchange_project(tmp_path, "https://mail.example.gov.uk/EWS/Exchange.asmx")
    config.write_text(config.read_text().replace("username = 'COUNCIL\\svc-carepanel'\n", ""))
    with pytest.raises(ConfigError, match="mailbox.username: required for backend = \"exchange\""):
        load_config(config)
    config.write_text(config.read_text().replace('service_endpoint = "https://mail.example.gov.uk/EWS/Exchange.asmx"',
                                                 'server = "mail.example.gov.uk"\nusername = "svc@example.gov.uk"'))
    assert load_config(config).mailbox.settings.service_endpoint == "https://mail.example.gov.uk/EWS/Exchange.asmx"


def test_the_sync_state_is_committed_with_the_pages_last_submission(tmp_path: Path, replay: EwsReplay) -> None:
    """A crash after page one's last commit but before its move: the sync state the page ends on
    is already in the database with that submission, so the next run reads on from page two."""
    box = mailbox(replay)
    moves = 0

    def crash_on_second_move(item_id: str, changekey: str | None = None) -> None:
        nonlocal moves
        moves += 1
        if moves == 2:
            raise KeyboardInterrupt  # the process dies here
        ExchangeMailbox.mark_processed(box, item_id, changekey)

    box.mark_processed = crash_on_second_move  # type: ignore[method-assign]
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        with pytest.raises(KeyboardInterrupt):
            svc.sweep(ExchangeInbox(box, KEY))
        assert svc.store.mailbox_state(KEY).token.endswith("E1")
        assert len(svc.store.submissions()) == 2
    box.close()
