"""Passwords and client secrets: from an environment variable, or a file only the service can
read.  Never from config.toml, which lives in a repository and on backups."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ConfigError


def read_secret(env_name: str | None, file: Path | None, *, what: str) -> str:
    if env_name:
        value = os.environ.get(env_name)
        if value:
            return value
        if file is None:
            raise ConfigError(f"{what}: the environment variable {env_name} is not set")
    if file is None:
        raise ConfigError(f"{what}: give password_env (an environment variable) or password_file")
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {file} ({exc.strerror})") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{what}: {file} can be read by other users; chmod 600 it")
    value = file.read_text(encoding="utf-8").strip()
    if not value:
        raise ConfigError(f"{what}: {file} is empty")
    return value
