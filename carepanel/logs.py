"""JSON-lines logs under ``DATA_DIR/logs/``.

No log line may hold a child's name, a date of birth, an address or a document's text: log
ids, hashes, counts and flag codes.  ``safe_fields`` keeps a log call honest by refusing
any key outside an allow-list, so a careless ``extra={"name": ...}`` fails in the tests.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ALLOWED_KEYS = frozenset({
    "event", "message_sha256", "message_id_hash", "submission_id", "attachment_sha256", "status",
    "flags", "panel_date", "attempt", "delay_seconds", "error_code", "error_type", "count",
    "seconds", "path_hash", "profile", "backend", "decision_id", "role", "format", "size", "pid",
    "pages", "cases", "revision", "warnings", "mails", "as_link", "review_id", "pack_id",
    "reason",  # a mailbox error in words: the server's answer, never message content
})

_configured: set[Path] = set()


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where it was raised, never its message: messages
            # of library errors can quote document text.
            line["exc_type"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            line["exc_at"] = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
                              for f in traceback.extract_tb(tb)][-8:] if tb else []
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        return json.dumps(line, ensure_ascii=False, default=str)


def safe_fields(**fields: Any) -> dict[str, Any]:
    """``extra=`` for a log call; only allow-listed keys, so no personal data slips in."""
    bad = set(fields) - ALLOWED_KEYS
    if bad:
        raise ValueError(f"log fields not allowed: {sorted(bad)}")
    return {"fields": fields}


def setup_logging(log_dir: Path, level: int = logging.INFO) -> None:
    log_dir = log_dir.resolve()
    if log_dir in _configured:
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_dir / "carepanel.jsonl", encoding="utf-8")
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger("carepanel")
    root.setLevel(level)
    root.addHandler(handler)
    _configured.add(log_dir)
