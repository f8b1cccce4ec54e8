from __future__ import annotations

import json
import sqlite3
from dataclasses import FrozenInstanceError, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from carepanel.models import AttachmentInfo, Child, Costs, Flag, Request, Signatory, Signoff, SourceFile, Submission, Worker
from carepanel.store import SCHEMA_VERSION, Purged, Store, StoredSubmission, Throttle, file_integrity_problems
from carepanel.errors import StoreError

T0 = datetime(2026, 11, 18, 9, 0, tzinfo=timezone.utc)


def a_request_about(child: str | None) -> Request | None:
    """``id:X`` is a child with that ID; ``name:N|YYYY-MM-DD`` one with a name and DOB and no ID."""
    if child is None:
        return None
    kind, _, value = child.partition(":")
    if kind == "id":
        kid = Child(name="Amelia Hart", dob=date(2014, 3, 2), child_id=value)
    else:
        name, _, dob = value.partition("|")
        kid = Child(name=name, dob=date.fromisoformat(dob))
    return Request(source=SourceFile("form.docx", "0" * 64, "docx"), form="north-somerset", children=(kid,))


def a_submission(n: int, child: str | None = "id:LCS1", received: datetime = T0, status: str = "accepted") -> Submission:
    return Submission(
        id=f"sub-{n}", message_id=f"<m{n}@x>", message_sha256=f"{n:064d}", received_at=received, sender="a@x.gov.uk",
        subject="s", status=status, panel_date=date(2026, 11, 25), cutoff=T0, flags=(Flag("late", "x"),) if status == "flagged" else (),
        signoff=Signoff("form_signature", "Tom"), request=a_request_about(child), attachments=(), child_key=child,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "db.sqlite")
    yield s
    s.close()


def commit(store: Store, sub: Submission) -> StoredSubmission:
    store.note_message(sub.message_sha256, sub.message_id, "test", None, 10)
    return store.commit_submission(sub, [])


def test_schema_is_versioned_and_durable(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(tmp_path / "db.sqlite")


def test_later_submission_for_same_child_and_panel_supersedes(store: Store) -> None:
    commit(store, a_submission(1))
    second = commit(store, a_submission(2, received=T0 + timedelta(hours=1), status="flagged"))
    assert second.status == "flagged"
    assert store.submission("sub-1").status == "superseded"
    actions = [a.action for a in store.audit_log("sub-1")]
    assert actions == ["submission_created", "submission_superseded"]


def test_older_message_processed_late_does_not_undo_the_newer(store: Store) -> None:
    commit(store, a_submission(2, received=T0 + timedelta(hours=1)))
    older = commit(store, a_submission(1))
    assert older.status == "superseded"
    assert store.submission("sub-2").status == "accepted"


def test_different_children_do_not_supersede(store: Store) -> None:
    commit(store, a_submission(1, child="id:LCS1"))
    commit(store, a_submission(2, child="id:LCS2"))
    assert [s.status for s in store.submissions()] == ["accepted", "accepted"]


def test_committing_the_same_message_twice_keeps_one(store: Store) -> None:
    first = commit(store, a_submission(1))
    again = commit(store, replace(a_submission(1), subject="changed"))
    assert again == first and len(store.submissions()) == 1


def test_filters(store: Store) -> None:
    commit(store, a_submission(1, child="id:A"))
    commit(store, a_submission(2, child="id:B", status="flagged"))
    assert [s.id for s in store.submissions(status="flagged")] == ["sub-2"]
    assert store.submissions(panel_date=date(2026, 12, 2)) == []


def test_audit_log_is_append_only(store: Store) -> None:
    store.audit("admin@x", "note", "submission", "sub-1", "why")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit")


def test_failure_keeps_reason_and_retry_time(store: Store) -> None:
    store.note_message("f" * 64, "<x@y>", "folder", "a.eml", 5)
    store.note_failure("f" * 64, "processing_error", "KeyError: boom", T0)
    [entry] = store.failed_messages()
    assert (entry.status, entry.attempts, entry.error_code, entry.next_attempt_at) == ("failed", 1, "processing_error", T0)


def test_outgoing_is_queued_with_the_submission_and_sent_once(store: Store) -> None:
    sub = a_submission(1)
    store.note_message(sub.message_sha256, sub.message_id, "test", None, 10)
    store.commit_submission(sub, [{"id": "ack-1", "kind": "ack_accepted", "submission_id": "sub-1",
                                   "recipients": {"to": ["a@x"], "cc": []}, "subject": "Re: s", "body": "b"}])
    [due] = store.due_outgoing(T0)
    store.mark_sent(due.id, "<sent@x>")
    assert store.due_outgoing(T0) == []
    assert store.outgoing_for("sub-1")[0].status == "sent"


def test_a_resubmission_that_adds_the_missing_child_id_still_supersedes(store: Store) -> None:
    """The administrator asked for the LCS number; the corrected form replaces the first."""
    first = a_submission(1, child="name:Amelia Hart|2014-03-02", status="flagged")
    commit(store, first)
    second = replace(a_submission(2, child="id:LCS1"), received_at=T0 + timedelta(hours=1))
    commit(store, second)
    assert store.submission("sub-1").status == "superseded"
    other = replace(a_submission(3, child="name:Amelia Hart|2015-03-02"), received_at=T0 + timedelta(hours=2))
    commit(store, other)  # another child of the same name: not the same child
    assert store.submission("sub-2").status == "accepted"


def test_rows_come_back_typed_and_read_only(store: Store) -> None:
    """What the store returns for mailboxes, accounts and the audit log says what it holds (a
    boolean is a boolean, not 0/1) and cannot be changed by accident by whoever reads it."""
    store.mailbox_health("imap:panel", ok=False, error="[AUTHENTICATIONFAILED] Authentication failed.")
    state = store.mailbox_state("imap:panel")
    assert state is not None and state.connected is False and state.last_error == "[AUTHENTICATIONFAILED] Authentication failed."
    store.mailbox_health("imap:panel", ok=True)
    assert store.mailbox_state("imap:panel").connected is True  # type: ignore[union-attr]
    assert store.mailbox_state("imap:other") is None

    store.upsert_user("Pat.Admin@Example.gov.uk", "Pat Admin", "administrator", None, actor="setup")
    account = store.user("pat.admin@example.gov.uk")
    assert account is not None and account.email == "pat.admin@example.gov.uk" and account.disabled is False
    with pytest.raises(AttributeError):
        account.role = "chair"  # type: ignore[misc]

    [entry] = [a for a in store.audit_log("pat.admin@example.gov.uk") if a.action == "user_saved"]
    assert entry.actor == "setup" and entry.details() == {"role": "administrator"}
    assert entry.to_json()["data"] == '{"role": "administrator"}'  # exports print the stored text as it is



def test_sessions_throttles_mailboxes_and_purges_come_back_as_frozen_rows(store: Store) -> None:
    """The reads the web, health, status and governance used to make in their own SQL now come
    from the store as frozen rows: a web session, a throttle, the mailboxes of one backend, what
    a purge freed (read-only, so whoever reads them cannot change them by accident)."""
    store.add_web_session("a" * 64, "Dana.Chair@Example.gov.uk", 100.0)
    session = store.web_session("a" * 64)
    assert session is not None and session.email == "dana.chair@example.gov.uk" and session.ended_at is None
    with pytest.raises(FrozenInstanceError):
        session.ended_at = 1.0  # type: ignore[misc]
    assert store.end_web_sessions_of("dana.chair@example.gov.uk", 200.0, "password_changed") == 1
    assert store.web_session("a" * 64).ended_at == 200.0  # type: ignore[union-attr]
    assert store.end_web_session("a" * 64, 300.0, "signed_out") == 0  # already over: left as it ended

    store.save_throttle(Throttle("account:dana.chair@example.gov.uk", 5, 100.0, 130.0))
    [throttle] = store.throttles()
    assert throttle == Throttle("account:dana.chair@example.gov.uk", 5, 100.0, 130.0)
    with pytest.raises(FrozenInstanceError):
        throttle.until = 0.0  # type: ignore[misc]
    assert store.throttle_until(("account:dana.chair@example.gov.uk", "address:192.0.2.1")) == 130.0
    assert store.clear_throttle("account:dana.chair@example.gov.uk") and store.throttle_until(("x",)) is None

    store.mailbox_health("imap:panel", ok=False, error="[AUTHENTICATIONFAILED] Authentication failed.")
    store.mailbox_health("graph:panel", ok=True)
    assert [(m.key, m.connected) for m in store.mailbox_states()] == [("graph:panel", True), ("imap:panel", False)]
    assert [m.key for m in store.mailbox_states("imap")] == ["imap:panel"]

    commit(store, a_submission(1))
    purged = store.purge_submission("sub-1", "pat.admin@example.gov.uk", "retention period ended")
    assert purged == Purged(messages=(f"{1:064d}",), blobs=())
    with pytest.raises(FrozenInstanceError):
        purged.blobs = ()  # type: ignore[misc]
    assert store.purge_submission("sub-1", "pat.admin@example.gov.uk", "again") is None

CONTRACT = Path(__file__).resolve().parents[1] / ".." / "shared" / "contract" / "README.md"


def _contract_submission_keys() -> list[str]:
    """The keys of the contract's submission object, in its order, read from its example."""
    text = CONTRACT.read_text()
    block = text[text.index('"schema": "carepanel/submission@1"') - 4:]
    example = json.loads(block[block.index("{"):block.index("\n```")])
    return list(example)


def a_full_submission() -> Submission:
    """Every part of the contract filled, so reading it back has everything to get right."""
    request = Request(
        source=SourceFile("form.docx", "1" * 64, "docx"), form="north-somerset",
        children=(Child(name="Amelia Hart", dob=date(2014, 3, 2), age=12, gender="Female", child_id="LCS123456",
                        legal_status="CIN", ethnicity="White British", plan="CIN"), Child(name="Ben Hart")),
        request="Agreement to accommodate under Section 20", request_types=("s20", "placement"), summary="Needs a home.",
        costs=Costs(weekly=850.0, total=44200.0), social_worker=Worker("Sam Worker", "Team A", None),
        team_manager=Signatory("Terry Manager", True, date(2026, 11, 18)), service_manager=Signatory(None, False, None),
        fields=(("What is being requested of the Panel?", "Section 20"), ("Empty", None)),
        missing=("summary.what_needs_to_change",), warnings=("a note",))
    return replace(a_submission(7), status="flagged", flags=(Flag("late", "after the cut-off"), Flag("missing_fields", "x")),
                   signoff=Signoff("sender_is_manager", "tm@x.gov.uk"), request=request, warnings=("advice",),
                   attachments=(AttachmentInfo("form.docx", "1" * 64, "request_form", True, "docx"),
                                AttachmentInfo("x.exe", "2" * 64, "other", False, None, "unsafe_attachment")))


def test_a_stored_submission_reads_back_as_the_contract_object_it_was_stored_as(store: Store) -> None:
    sub = a_full_submission()
    stored = commit(store, sub)
    # What the CLI printed before the rows were typed: the stored document, status and panel laid over it.
    status, doc, panel = store.conn.execute("SELECT status, doc, panel_date FROM submissions WHERE id = ?", (sub.id,)).fetchone()
    raw = {**json.loads(doc), "status": status, "panel_date": panel}
    assert json.dumps(stored.to_json(), ensure_ascii=False) == json.dumps(raw, ensure_ascii=False)
    assert stored.to_json() == sub.to_json()  # and what the pipeline judged, key for key
    assert list(stored.to_json())[:len(_contract_submission_keys())] == _contract_submission_keys()
    assert stored.request is not None and stored.request.children[0].dob == date(2014, 3, 2)
    assert stored.flag_codes == ("late", "missing_fields") and stored.panel_day == date(2026, 11, 25)


def test_the_submissions_json_of_the_command_line_is_the_stored_object(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from carepanel.cli import main
    from carepanel.demo import CONFIG, PANEL, STAFF

    (tmp_path / "config.toml").write_text(CONFIG.format(profile="north-somerset", panel=PANEL))
    (tmp_path / "staff.csv").write_text(STAFF)
    with Store(tmp_path / "data" / "carepanel.db") as store:
        commit(store, a_full_submission())
        status, doc, panel = store.conn.execute("SELECT status, doc, panel_date FROM submissions").fetchone()
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), "--data-dir", str(tmp_path / "data"),
                                       "submissions", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Byte for byte what it printed before the rows were typed: the stored document with its columns laid over.
    raw = {**json.loads(doc), "status": status, "panel_date": panel}
    assert result.output == json.dumps([raw], indent=2, ensure_ascii=False) + "\n"


def test_what_the_store_returns_is_frozen(store: Store) -> None:
    stored = commit(store, a_full_submission())
    with pytest.raises(FrozenInstanceError):
        stored.status = "accepted"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        stored.flags[0].code = "other"  # type: ignore[misc]
    assert store.submission(stored.id) == stored  # nothing changed it


def test_a_restored_database_file_is_checked_without_opening_it_as_the_store(store: Store, tmp_path: Path) -> None:
    """A backup's database is checked before it replaces anything: a sound copy passes, and a file
    that is not a database is a problem to report (not a traceback from inside the restore)."""
    copy = tmp_path / "copy.db"
    store.backup_to(copy)
    assert file_integrity_problems(copy) == []
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, only some text long enough to be read as one" * 100)
    assert file_integrity_problems(junk)
