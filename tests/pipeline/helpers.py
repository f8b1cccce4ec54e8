"""Builders for the typed values the rules take, so each test states only what it varies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from carepanel.models import (
    AuthResults, Child, Costs, Message, QuotedMessage, Request, Signatory, SourceFile, Worker,
)


def a_request(**changes: object) -> Request:
    base = Request(
        source=SourceFile("form.docx", "0" * 64, "docx"),
        form="north-somerset",
        children=(Child(name="Amelia Hart", dob=date(2014, 3, 2), age=12, child_id="LCS123456"),),
        request="Agreement to accommodate under Section 20",
        request_types=("s20",),
        summary="Current situation: ...",
        social_worker=Worker(name="Sam Carter", team="Family Support North"),
        team_manager=Signatory(name="Tom Jones", signed=True, signed_on=date(2026, 11, 18)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def a_message(sender: str = "sam.carter@example.gov.uk", quoted: tuple[QuotedMessage, ...] = (),
              auth: AuthResults = AuthResults(), subject: str = "CRP request", body: str = "") -> Message:
    return Message(
        sha256="1" * 64, message_id="<m1@example.gov.uk>", sender=sender, sender_name=None, to=(), cc=(),
        subject=subject, date=None, received_at=datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc), body=body,
        quoted=quoted, attachments=(), auth=auth,
    )


def costs(weekly: float | None = None, total: float | None = None) -> Costs:
    return Costs(weekly, total)
