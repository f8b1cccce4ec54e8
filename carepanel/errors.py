"""The project's own exceptions, each carrying a flag code from the contract.

    CarepanelError                 base; ``code`` is a contract flag code or ``None``
    ├── ConfigError                a bad config or profile (names the key)
    ├── DocumentError              a file could not be turned into a request
    │   ├── UnreadableAttachment   corrupt, encrypted, no text   -> unreadable_attachment
    │   ├── UnsafeAttachment       macros, executables, bombs    -> unsafe_attachment
    │   └── NotARequestForm        read, but it is not a form    -> no_request_form
    ├── MessageError               an email that cannot be parsed at all
    ├── StoreError                 the database refused a write
    │   └── DatabaseReplaced       the database file was deleted or replaced under this process
    ├── RetryLater                 the machine failed, not the message (LibreOffice hung): try again
    ├── PanelError                 a pack or decision asked of a panel or case that cannot have one
    │   └── PackDeferred           the pack cannot be finished now (LibreOffice hung, disk full): retry
    └── ReviewError                an administrator's review action that the rules refuse (jobs/review.py)

Library code raises these (wrapping third-party errors with ``from exc``); the CLI and the
web app each turn them into a message in exactly one place.
"""

from __future__ import annotations


class CarepanelError(Exception):
    """Base of every error carepanel raises on purpose."""

    code: str | None = None

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code

    def to_json(self) -> dict[str, object]:
        return {"error": {"code": self.code, "detail": self.detail}}


class ConfigError(CarepanelError):
    code = "config_error"


class DocumentError(CarepanelError):
    code = "unreadable_attachment"
    # True when the tool reading the file (LibreOffice) hung or died, not the file itself:
    # a caller that can wait tries again before it blames the file.
    transient: bool = False


class UnreadableAttachment(DocumentError):
    code = "unreadable_attachment"


class UnsafeAttachment(DocumentError):
    code = "unsafe_attachment"


class NotARequestForm(DocumentError):
    code = "no_request_form"


class MessageError(CarepanelError):
    code = "unreadable_message"


class StoreError(CarepanelError):
    code = "store_error"


class DatabaseReplaced(StoreError):
    """Whatever this process writes now goes into a file no other process will read: stop
    taking mail in and acknowledge nothing until a person has looked (docs/ops.md)."""

    code = "database_replaced"


class RetryLater(CarepanelError):
    """Raised where a fault of this machine (a LibreOffice that hung or died) would otherwise be
    blamed on the sender's file: the message stays on the ledger and is tried again."""

    code = "retry_later"


class PanelError(CarepanelError):
    code = "panel_error"


class PackDeferred(PanelError):
    """Nothing was written or sent: the fault is of the machine, not of the papers, so the
    scheduled papers-out tries again rather than send a pack with papers missing."""

    code = "pack_deferred"


class ReviewError(CarepanelError):
    """A review action refused before anything was written; ``code`` says which rule
    (``no_such_submission``, ``reason_required``, ``not_a_sitting``, ``closed``, ...)."""

    code = "review_refused"
