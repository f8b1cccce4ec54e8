"""Helpers for the security tests: a clock the tests move, a config with extra [web] settings."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from carepanel.config import Config, load_config
from test_intake_e2e import NOW


class MovingClock:
    """The web app's clock, moved forward by the test (no sleeping, no timed assertions)."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def with_web(cfg: Config, **web: Any) -> Config:
    """The same project with extra ``[web]`` settings, as a council would write them."""
    assert cfg.path is not None
    text = cfg.path.read_text(encoding="utf-8")
    lines = "\n".join(f"{k} = {_toml(v)}" for k, v in web.items())
    cfg.path.write_text(text + f"\n[web]\n{lines}\n", encoding="utf-8")
    return load_config(cfg.path)


def _toml(value: Any) -> str:
    """A value as TOML: JSON's strings, numbers, booleans and lists are TOML's; a dict is an inline table."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)
