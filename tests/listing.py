"""A request listed for panel as an administrator would list it: through the real pipeline, then
accepted by the library's review action (the one the web page and ``carepanel review`` use)
when the sample form does not meet a profile's sign-off rules."""

from __future__ import annotations

from carepanel.jobs.review import Review
from carepanel.service import Service
from carepanel.store import StoredSubmission


def listed_from(svc: Service, raw: bytes) -> StoredSubmission:
    sub = svc.ingest_bytes(raw, source="test").submission
    assert sub is not None
    if sub.status != "accepted":
        Review(svc.cfg, svc.store, svc.processor.directory, actor="pat.admin@example.gov.uk").accept(
            sub.id, reason="sign-off seen on the case record")
    listed = svc.store.submission(sub.id)
    assert listed is not None
    return listed
