"""Drop messages into a running service's inbox at a steady pace and time each acknowledgement.

Shared by the intake and folder-latency benches, so both measure the same thing the same way:
from the moment a message lands to the moment its acknowledgement is in the outbox."""

from __future__ import annotations

import email
import time
from collections.abc import Callable
from email import policy
from pathlib import Path


def message_key(n: int) -> str:
    """The Message-ID the benches give message ``n``: the acknowledgement's In-Reply-To names it."""
    return f"<bench-{n}@example.gov.uk>"


def paced_waits(count: int, gap: float, drop: Callable[[int], None], outbox: Path,
                settle: float = 3.0) -> list[float]:
    """Seconds from each drop to its acknowledgement, sorted; messages never answered are left out."""
    time.sleep(settle)  # start-up is not part of the figure
    landed: dict[str, float] = {}
    answered: dict[str, float] = {}
    seen: set[Path] = set()
    next_drop = time.monotonic()
    n = 0
    deadline = time.monotonic() + count * gap + 120
    while len(answered) < count and time.monotonic() < deadline:
        if n < count and time.monotonic() >= next_drop:
            drop(n)
            landed[message_key(n)] = time.monotonic()
            n += 1
            next_drop += gap
        for path in outbox.glob("*.eml"):
            if path not in seen:
                seen.add(path)
                msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                answered[str(msg["In-Reply-To"])] = time.monotonic()
        time.sleep(0.005)
    return sorted(answered[k] - landed[k] for k in answered if k in landed)
