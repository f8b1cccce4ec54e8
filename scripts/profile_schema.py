#!/usr/bin/env python3
"""Write carepanel/profiles/profile.schema.json, the JSON Schema of a panel profile (from the
pydantic model in carepanel/profiles/schema.py).  tests/rules/test_profile_schema.py fails when
it is stale.  An editor with a TOML language server (Taplo, Even Better TOML) uses it when a
profile or config starts with: #:schema ./profile.schema.json
"""

from __future__ import annotations

import json
from pathlib import Path

from carepanel.profiles import json_schema

PATH = Path(__file__).resolve().parents[1] / "carepanel" / "profiles" / "profile.schema.json"


def text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    PATH.write_text(text(), encoding="utf-8")
    print(f"wrote {PATH}")
