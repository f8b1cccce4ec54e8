"""Delivery into a real Dovecot to the acknowledgement sent: IDLE against polling.

    .venv/bin/python bench/imap_bench.py [--messages 40] [--gap 0.5]

Starts Dovecot on loopback (as the tests do), runs the real service (``carepanel run --no-web``,
its own process) on the ``imap`` backend, delivers messages one every ``--gap`` seconds by IMAP
APPEND, and times each from delivery to its acknowledgement appearing in the outbox folder.
Run twice: with IDLE (push) and with IDLE off, polling at the default interval (5 s).
"""

from __future__ import annotations

import argparse
import email
import os
import statistics
import subprocess
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "mailbox"))

from dovecot import Dovecot  # noqa: E402

from carepanel.demo import STAFF  # noqa: E402


def message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Sam Worker <sam.worker@example.gov.uk>"
    msg["To"] = "panel@example.gov.uk"
    msg["Subject"] = f"CRP request {n}"
    msg["Message-ID"] = f"<bench-imap-{n}@example.gov.uk>"
    msg.set_content("The form follows.")
    return bytes(msg)


def run(idle: bool, messages: int, gap: float) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = Dovecot(root / "dovecot")
        server.start()
        try:
            config = server.project(root, STAFF, password_env="BENCH_IMAP_PASSWORD",
                                    extra=f"idle = {'true' if idle else 'false'}")
            env = {**os.environ, "BENCH_IMAP_PASSWORD": server.password}
            proc = subprocess.Popen([sys.executable, "-m", "carepanel.cli", "--config", str(config), "run",
                                     "--no-web"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            outbox = root / "data" / "outbox"
            time.sleep(3)
            sent: dict[str, float] = {}
            got: dict[str, float] = {}
            seen: set[Path] = set()
            deadline = time.monotonic() + messages * gap + 60
            n = 0
            next_at = time.monotonic()
            while len(got) < messages and time.monotonic() < deadline:
                if n < messages and time.monotonic() >= next_at:
                    server.deliver(message(n))
                    sent[f"<bench-imap-{n}@example.gov.uk>"] = time.monotonic()
                    n += 1
                    next_at += gap
                for p in outbox.glob("*.eml") if outbox.exists() else ():
                    if p not in seen:
                        seen.add(p)
                        got[str(email.message_from_bytes(p.read_bytes(), policy=policy.default)["In-Reply-To"])] = time.monotonic()
                time.sleep(0.01)
            proc.terminate()
            proc.wait(timeout=30)
        finally:
            server.cleanup()
    return sorted(got[k] - sent[k] for k in got if k in sent)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--gap", type=float, default=0.5)
    args = ap.parse_args()
    for idle in (True, False):
        waits = run(idle, args.messages, args.gap)
        p95 = waits[max(0, int(round(0.95 * len(waits))) - 1)] if waits else float("nan")
        label = "IDLE (push)" if idle else "polling every 5 s"
        print(f"{label:<18} {len(waits)}/{args.messages} answered; delivery -> acknowledgement "
              f"median {statistics.median(waits):.2f} s, p95 {p95:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
