"""A seeded project (mail in it, an account per role), a clock the tests move, and clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from carepanel.config import Config
from carepanel.web.app import create_app
from sechelpers import MovingClock
from web.webhelpers import seeded_project


@pytest.fixture
def project(tmp_path: Path) -> tuple[Config, dict[str, str]]:
    return seeded_project(tmp_path)


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def make_client(project: tuple[Config, dict[str, str]], clock: MovingClock) -> Iterator[Any]:
    """``make_client(config=None, app=None, **testclient_kwargs)``: each a separate browser."""
    clients: list[TestClient] = []

    def make(cfg: Config | None = None, app: Any = None, **kwargs: Any) -> TestClient:
        """A new browser; on the same running app as another client with ``app=other.app``."""
        kwargs.setdefault("base_url", "http://127.0.0.1:8000")
        c = TestClient(app or create_app(cfg or project[0], clock=clock), **kwargs)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
