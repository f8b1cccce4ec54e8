"""Page times at ten years' volume: 50,000 submissions in the store by default.

    .venv/bin/python bench/web_bench.py [--submissions 50000] [--requests 200] [--years 10]

Seeds a store with N submissions (a realistic mix: a third flagged, received over ``--years``
years of weekly panels; the stored objects are real ones from the sample forms, re-keyed, with
their flags in the flags table), signs in as an administrator, and times every page through the
ASGI app in process (no network), printing the median and 95th percentile for each, of the wall
time and of the process's CPU time (which a busy shared machine does not inflate).
Target: p95 at most 50 ms for every page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
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

TARGET_MS = 50.0
LAST_PANEL = date(2026, 12, 30)  # a Wednesday, the sample profile's sitting day


def seed(cfg, n: int, years: int) -> str:
    store = Store(cfg.db_path)
    template = json.loads(store.conn.execute("SELECT doc FROM submissions LIMIT 1").fetchone()[0])
    weeks = 52 * years
    minutes = max(1, years * 365 * 24 * 60 // max(n, 1))
    with store.transaction():
        for i in range(n):
            doc = dict(template)
            day = LAST_PANEL - timedelta(days=7 * (i % weeks))
            flagged = i % 3 == 0
            doc.update(id=f"sub-bench{i:06d}", message_id=f"<bench-{i}@x>", panel_date=day.isoformat(),
                       status="flagged" if flagged else "accepted",
                       flags=[{"code": "late", "detail": "late"}] if flagged else [])
            sha = f"{i:064d}"
            received = (NOW - timedelta(minutes=minutes * i)).isoformat()
            store.conn.execute("INSERT INTO messages (sha256, message_id, source, size, status, first_seen_at) VALUES (?,?,?,?,?,?)",
                               (sha, doc["message_id"], "bench", 1, "processed", NOW.isoformat()))
            store.conn.execute(
                "INSERT INTO submissions (id, message_sha256, message_id, received_at, sender, status, panel_date, cutoff,"
                " child_key, doc, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc["id"], sha, doc["message_id"], received, doc["sender"], doc["status"],
                 doc["panel_date"], doc["cutoff"], f"id:B{i}", json.dumps(doc), NOW.isoformat(), NOW.isoformat()))
            if flagged:
                store.conn.execute("INSERT INTO flags (submission_id, code, detail) VALUES (?,?,?)", (doc["id"], "late", "late"))
    store.conn.execute("ANALYZE")
    store.close()
    return "sub-bench000003"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=50000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--years", type=int, default=10, help="years of weekly panels the submissions are spread over")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg, ids = seeded_project(Path(tmp))
        started = time.perf_counter()
        one = seed(cfg, args.submissions, args.years)
        print(f"seeded {args.submissions} submissions over {args.years} years in {time.perf_counter() - started:.1f} s")
        with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
            sign_in(client, "administrator")
            pages = {"dashboard": "/", "review queue": "/queue", "queue page 2": "/queue?page=2",
                     "queue page 200": "/queue?page=200", "flagged only": "/queue?status=flagged",
                     "flagged newest": "/queue?status=flagged&order=newest", "submission": f"/submissions/{one}",
                     "panel agenda": "/panels/2026-06-03", "panels": "/panels"}
            worst = 0.0
            print(f"{args.submissions} submissions in the store; {args.requests} requests a page, in process")
            for name, path in pages.items():
                client.get(path)  # warm
                times, cpu = [], []
                for _ in range(args.requests):
                    t, c = time.perf_counter(), time.process_time()
                    resp = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - c) * 1000)  # all threads: the app's and the client's
                    assert resp.status_code == 200, (path, resp.status_code)
                times.sort()
                cpu.sort()
                p95 = times[int(0.95 * len(times)) - 1]
                worst = max(worst, p95)
                print(f"  {name:<15} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms"
                      f"   (CPU median {statistics.median(cpu):5.1f} ms, p95 {cpu[int(0.95 * len(cpu)) - 1]:5.1f} ms)")
            print(f"worst p95 {worst:.1f} ms (target {TARGET_MS:.0f} ms): {'met' if worst <= TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
