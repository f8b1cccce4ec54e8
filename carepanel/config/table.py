"""A TOML table being read key by key, so that a key left over is an unknown key.

Hand-written rather than a pydantic model (as the profile is, ``profiles/schema.py``) because
the service settings read keys into values of other shapes as they go (megabytes into bytes,
paths relative to the config's folder, one backend's settings out of a flat ``[mailbox]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from ..errors import ConfigError


class Table:
    """A TOML table being read: takes keys off as they are used, so leftovers are errors."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table")
        self._data = dict(data)
        self.where = where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def take(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self._data:
            if default is ...:
                raise ConfigError(f"{self._name(key)}: required key is missing")
            return default
        value = self._data.pop(key)
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise ConfigError(f"{self._name(key)}: expected a number, got {value!r}")
        if not isinstance(value, kind):
            raise ConfigError(f"{self._name(key)}: expected {_kind_name(kind)}, got {value!r}")
        return value

    def table(self, key: str) -> Table:
        return Table(self.take(key, dict, {}), self._name(key))

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.take(key, str, default)
        if value is not None and value not in options:
            raise ConfigError(f"{self._name(key)}: {value!r} is not one of {', '.join(options)}")
        return value

    def strings(self, key: str, options: tuple[str, ...] | None = None, default: Any = ...) -> tuple[str, ...]:
        values = self.take(key, list, default)
        for v in values:
            if not isinstance(v, str):
                raise ConfigError(f"{self._name(key)}: expected a list of strings, got {v!r}")
            if options is not None and v not in options:
                raise ConfigError(f"{self._name(key)}: {v!r} is not one of {', '.join(options)}")
        return tuple(values)

    def done(self) -> None:
        if self._data:
            names = ", ".join(self._name(k) for k in sorted(self._data))
            raise ConfigError(f"unknown key{'s' if len(self._data) > 1 else ''}: {names}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {dict: "a table", list: "a list", str: "a string", int: "a whole number", float: "a number",
             bool: "true or false", date: "a date", time: "a time"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
