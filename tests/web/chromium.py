"""Debian's Chromium, driven by Playwright: the one way the browser tests start a browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Quiet: no update checks, sync or QUIC chatter from a test run (the machine may have no network).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def chromium(*needed: Path) -> Iterator[Any]:
    """A headless browser; fails the test (never skips it) when Chromium or a needed file is missing."""
    if not Path(CHROMIUM).exists() or not all(p.exists() for p in needed):
        pytest.fail("Chromium (or axe-core / PDF.js) is not installed: run scripts/setup.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
