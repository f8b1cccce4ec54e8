"""Finding 7: manager sign-off by sender address passed when nothing proved the sender.

The sender counts as proven only when the mail system says so (Authentication-Results
``dmarc=pass``/``compauth=pass``, or Exchange's internal-origin stamp on the Exchange and Graph
backends); otherwise ``[signoff] unproven_sender`` decides: refuse (default on server backends),
warn, or accept (default on the folder backend).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from carepanel.config import build_config, load_config
from carepanel.demo import compose_email
from carepanel.mailbox.message import parse_message
from carepanel.pipeline.sender_proof import sender_proven
from carepanel.demo.samples import north_somerset_form
from carepanel.models import Signoff
from carepanel.service import open_service
from carepanel.store import StoredSubmission
from test_intake_e2e import GOOD, NOW, TM, TM_ADDR, config_for, papers

UNSIGNED = replace(GOOD, team_manager=replace(TM, signed=None))


def _from_manager(headers: str = "") -> bytes:
    raw = compose_email(TM, TM_ADDR, "CRP request", "Attached.", NOW - timedelta(hours=1),
                        [("CRP request form.docx", north_somerset_form(UNSIGNED))] + papers(), f"<tm-{hash(headers)}@example.gov.uk>")
    return headers.encode("ascii") + raw


def _ingest(tmp_path: Path, policy: str | None, raw: bytes) -> StoredSubmission:
    config_for(tmp_path)
    path = tmp_path / "config.toml"
    if policy:
        path.write_text(path.read_text() + f'\n[signoff]\nunproven_sender = "{policy}"\n')
    with open_service(load_config(path), clock=lambda: NOW) as svc:
        sub = svc.ingest_bytes(raw, source="test").submission
    assert sub is not None
    return sub


def test_f7_an_unproven_manager_address_is_not_sign_off_when_the_council_refuses_it(tmp_path: Path) -> None:
    sub = _ingest(tmp_path, "refuse", _from_manager())
    assert sub.status == "flagged" and [f.code for f in sub.flags] == ["no_manager_signoff"]
    assert sub.signoff.source is None


def test_f7_a_dmarc_pass_proves_the_manager_address(tmp_path: Path) -> None:
    sub = _ingest(tmp_path, "refuse", _from_manager(
        "Authentication-Results: panel.example.gov.uk; spf=pass smtp.mailfrom=example.gov.uk; dkim=pass; dmarc=pass\r\n"))
    assert (sub.status, sub.signoff) == ("accepted", Signoff("sender_is_manager", TM_ADDR))


def test_f7_warn_counts_the_address_and_says_it_was_not_proven(tmp_path: Path) -> None:
    sub = _ingest(tmp_path, "warn", _from_manager())
    assert sub.signoff == Signoff("sender_is_manager", f"{TM_ADDR} (sender not proven by the mail system)")


def test_f7_a_failed_dmarc_is_never_sign_off_even_when_the_council_accepts_unproven_senders(tmp_path: Path) -> None:
    sub = _ingest(tmp_path, "accept", _from_manager("Authentication-Results: panel.example.gov.uk; dmarc=fail\r\n"))
    assert sub.status == "flagged" and sub.signoff.source is None


@pytest.mark.parametrize("backend, expected", [("folder", "accept"), ("imap", "refuse"), ("exchange", "refuse"),
                                               ("graph", "refuse")])
def test_f7_the_default_policy_follows_the_backend(backend: str, expected: str) -> None:
    mailbox = {"backend": backend, "host": "mail.example.gov.uk", "username": "panel", "password_env": "X",
               "address": "panel@example.gov.uk", "server": "mail.example.gov.uk", "tenant_id": "t", "client_id": "c",
               "client_secret_env": "S"}
    keep = {"folder": ("backend",), "imap": ("backend", "host", "username", "password_env"),
            "exchange": ("backend", "address", "server", "username", "password_env"),
            "graph": ("backend", "address", "tenant_id", "client_id", "client_secret_env")}[backend]
    cfg = build_config({"mailbox": {k: mailbox[k] for k in keep}}, base=Path("/tmp"))
    assert cfg.unproven_sender == expected


STAMP = "X-MS-Exchange-Organization-AuthAs: Internal\r\n"


@pytest.mark.parametrize("backend, proven", [("exchange", True), ("graph", True), ("imap", False), ("folder", False)])
def test_f7_exchanges_internal_stamp_is_believed_only_from_exchange(backend: str, proven: bool) -> None:
    message = parse_message(_from_manager(STAMP))
    assert sender_proven(message, backend, "refuse").counts is proven
