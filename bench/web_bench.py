"""Page times with 5,000 submissions in the store.

    .venv/bin/python bench/web_bench.py [--submissions 5000] [--requests 200]

Seeds a store with N submissions (a realistic mix: a third flagged, spread over a year of panels;
the stored objects are real ones from the sample forms, re-keyed), signs in as an administrator,
and times the main pages through the ASGI app in process (no network), printing the median and
95th percentile for each.  Target: p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))

from starlette.testclient import TestClient  # noqa: E402

from carepanel.store import Store  # noqa: E402
from carepanel.web.app import create_app  # noqa: E402
from test_intake_e2e import NOW  # noqa: E402
from webhelpers import seeded_project, sign_in  # noqa: E402


def seed(cfg, n: int) -> str:
    store = Store(cfg.db_path)
    template = json.loads(store.conn.execute("SELECT doc FROM submissions LIMIT 1").fetchone()[0])
    start = date(2026, 1, 7)
    with store.transaction():
        for i in range(n):
            doc = dict(template)
            day = start + timedelta(days=7 * (i % 52))
            flagged = i % 3 == 0
            doc.update(id=f"sub-bench{i:06d}", message_id=f"<bench-{i}@x>", panel_date=day.isoformat(),
                       status="flagged" if flagged else "accepted",
                       flags=[{"code": "late", "detail": "late"}] if flagged else [])
            sha = f"{i:064d}"
            store.conn.execute("INSERT INTO messages (sha256, message_id, source, size, status, first_seen_at) VALUES (?,?,?,?,?,?)",
                               (sha, doc["message_id"], "bench", 1, "processed", NOW.isoformat()))
            store.conn.execute(
                "INSERT INTO submissions (id, message_sha256, message_id, received_at, sender, status, panel_date, cutoff,"
                " child_key, doc, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc["id"], sha, doc["message_id"], (NOW - timedelta(minutes=i)).isoformat(), doc["sender"], doc["status"],
                 doc["panel_date"], doc["cutoff"], f"id:B{i}", json.dumps(doc), NOW.isoformat(), NOW.isoformat()))
    store.close()
    return "sub-bench000003"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg, ids = seeded_project(Path(tmp))
        one = seed(cfg, args.submissions)
        with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
            sign_in(client, "administrator")
            pages = {"dashboard": "/", "review queue": "/queue", "flagged only": "/queue?status=flagged",
                     "submission": f"/submissions/{one}", "panel agenda": "/panels/2026-06-03", "panels": "/panels"}
            worst = 0.0
            print(f"{args.submissions} submissions in the store; {args.requests} requests a page, in process")
            for name, path in pages.items():
                client.get(path)  # warm
                times = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    resp = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert resp.status_code == 200, (path, resp.status_code)
                times.sort()
                p95 = times[int(0.95 * len(times)) - 1]
                worst = max(worst, p95)
                print(f"  {name:<14} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")
            print(f"worst p95 {worst:.1f} ms (target 200 ms): {'met' if worst < 200 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
