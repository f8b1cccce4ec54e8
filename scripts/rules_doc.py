#!/usr/bin/env python3
"""Write docs/rules.md: every profile's rules, the policy words, and the tests that prove them.

    .venv/bin/python scripts/rules_doc.py          # rewrite docs/rules.md
    .venv/bin/python scripts/rules_doc.py --check  # exit 1 if it is stale

The same text is printed by ``carepanel rules --markdown``; tests/rules/test_rules_doc.py
fails when the checked-in file differs from it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from carepanel import rules

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"


def main(argv: list[str]) -> int:
    text = rules.markdown(rules.tests_index(ROOT / "tests" / "rules"))
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print("docs/rules.md is stale: run scripts/rules_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
