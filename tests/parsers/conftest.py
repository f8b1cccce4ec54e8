"""Fixtures for the parser tests: profiles, limits, a reader, and LibreOffice conversion."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carepanel import parsers
from carepanel.config import Limits, Profile, load_profile
from carepanel.parsers.values import parse_yes_no
from carepanel.pipeline.models import Request

from formfill import TODAY, VARIANTS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

Read = Callable[..., Request]


@pytest.fixture(scope="session")
def limits() -> Limits:
    mb = 1024 * 1024
    return Limits(max_message_bytes=60 * mb, max_attachment_bytes=30 * mb, max_pages=300,
                  max_decompressed_bytes=200 * mb, parse_timeout_seconds=60)


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return {name: load_profile(name) for name in ("north-somerset", "bexley", "swindon")}


@pytest.fixture(scope="session")
def read(limits: Limits, profiles: dict[str, Profile]) -> Read:
    def read(filename: str, data: bytes, profile: str = "north-somerset", today: date = TODAY) -> Request:
        return parsers.read_request(filename, data, profile=profiles[profile], forms=parsers.builtin_forms(),
                                    limits=limits, today=today)
    return read


@pytest.fixture(scope="session")
def pdf_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every variant marked ``pdf=True``, filled in and converted by LibreOffice in one run."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: the PDF versions of the forms cannot be made")
    work = tmp_path_factory.mktemp("pdf")
    sources = []
    for name, variant in VARIANTS.items():
        if variant.pdf:
            path = work / f"{name}.docx"
            path.write_bytes(variant.build())
            sources.append(str(path))
    profile_dir = work / "lo-profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile_dir}", "--headless", "--convert-to", "pdf",
         "--outdir", str(work), *sources],
        check=True, capture_output=True, timeout=300,
    )
    return {Path(s).stem: Path(s).with_suffix(".pdf").read_bytes() for s in sources}


def squash(text: str | None) -> str | None:
    """Text with its spacing made plain, so a PDF's line-wrapped answer compares equal."""
    return re.sub(r"\s+", " ", text).strip() if text is not None else None


def check(request: Request, expect: dict[str, Any]) -> None:
    """Assert each expectation of a ``formfill.Variant`` against the request read."""
    for key, want in expect.items():
        if key.startswith("children."):
            attr = key.split(".", 1)[1]
            assert [getattr(c, attr) for c in request.children] == want, key
        elif key.startswith("field:"):
            assert squash(request.field(key[6:])) == squash(want), key
        elif key == "request":
            assert squash(request.request) == squash(want)
        elif key == "request_types":
            assert request.request_types == want
        elif key == "costs":
            assert (request.costs.weekly, request.costs.total) == want
        elif key == "summary_has":
            for part in want:
                assert part in squash(request.summary or ""), part
        elif key == "warnings_has":
            for part in want:
                assert any(part in w for w in request.warnings), part
        elif key == "social_worker":
            assert (request.social_worker.name, request.social_worker.team) == want
        elif key in ("team_manager", "service_manager"):
            who = getattr(request, key)
            assert (who.name, who.signed, who.signed_on) == want, key
        elif key == "yes_no":
            for label, answer in want.items():
                assert parse_yes_no(request.field(label)) is answer, label
        elif key == "missing":
            assert list(request.missing) == want
        elif key == "duration":
            assert squash(request.duration) == squash(want)
        else:
            assert getattr(request, key) == want, key
