"""How long a refused sign-in takes for an unknown address and for a real account (finding 5).

    .venv/bin/python bench/login_timing.py [--rounds 20]

Both should take about one Argon2 verification; before the fix an unknown address was refused
in a few milliseconds and a real account's wrong password in a quarter of a second, which
tells an attacker which addresses have accounts.  Prints the median of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))

from starlette.testclient import TestClient  # noqa: E402

from carepanel.web.app import create_app  # noqa: E402
from webhelpers import ACCOUNTS, csrf_of, seeded_project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg, _ = seeded_project(Path(tmp))
        with TestClient(create_app(cfg)) as client:
            for label, email in (("unknown address", "nobody@example.gov.uk"), ("real account", ACCOUNTS["chair"][0])):
                times = []
                for n in range(args.rounds):
                    client.cookies.clear()
                    token = csrf_of(client.get("/login").text)
                    start = time.perf_counter()
                    client.post("/login", data={"email": email, "password": f"wrong password {n}", "csrf": token})
                    times.append((time.perf_counter() - start) * 1000)
                    # cleared, so the throttle never answers in Argon2's place
                    client.app.state.web.store.conn.execute("DELETE FROM sign_in_throttles")
                print(f"{label:16} median {statistics.median(times):7.1f} ms over {args.rounds} refusals")


if __name__ == "__main__":
    main()
