"""An email is sent once, even when the process dies between sending it and recording it."""

from __future__ import annotations

import sys
from pathlib import Path

from carepanel.config import load_config
from carepanel.mailbox.outbox import FolderOutbox, build_email
from carepanel.service import _stable_message_id, open_service

sys.path.insert(0, str(Path(__file__).parent))
from opsdata import corpus, request_email, write_project


def test_a_crash_after_the_email_was_written_does_not_send_it_again(tmp_path: Path) -> None:
    cfg = load_config(write_project(tmp_path))
    (_, name, form), = corpus(1)
    outbox_dir = tmp_path / "data" / "outbox"
    outbox_dir.mkdir(parents=True)
    outbox_dir.chmod(0o700)
    blocker = outbox_dir
    blocker.rename(tmp_path / "outbox-away")
    blocker.write_text("not a folder")  # the outbox refuses: the acknowledgement stays queued
    with open_service(cfg) as service:
        service.ingest_bytes(request_email(0, name, form), source="test")
        item, = service.store.due_outgoing(service.clock().replace(year=2100))
        blocker.unlink()
        (tmp_path / "outbox-away").rename(outbox_dir)
        # what the crashed attempt did: marked the Message-ID as sending, wrote the file, died
        msg = build_email(cfg.outbox.from_address, item.recipients["to"], item.recipients.get("cc", []),
                          item.subject, item.body)
        del msg["Message-ID"]
        msg["Message-ID"] = _stable_message_id(item.id, cfg.outbox.from_address)
        service.store.note_sending(item.id, msg["Message-ID"])
        FolderOutbox(cfg.outbox).send(msg)
        service.store.conn.execute("UPDATE outgoing SET next_attempt_at = NULL")
        service.deliver_due()
        assert service.store.outgoing_for(item.submission_id)[0]["status"] == "sent"
    assert len(list(outbox_dir.glob("*.eml"))) == 1
