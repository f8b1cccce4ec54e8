"""Finding and reading profiles: every ``NAME.toml`` in this package is a built-in profile.

Adding a council is dropping its TOML here; nothing lists the names by hand.  The order is
stable: the default profile first, then the rest by name (the contract's order).  It matters
where two built-in forms' markers match a document equally: the earlier profile's form wins.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .build import build_profile, form_spec
from .model import DEFAULT_PROFILE, FormSpec, Profile
from .schema import FormModel, validated

SUFFIX = ".toml"


def builtin_directory() -> Traversable:
    """Where the built-in profiles are: this package's own folder (in a wheel or a checkout)."""
    return resources.files(__package__)


def profile_names(directory: Traversable | None = None) -> tuple[str, ...]:
    """The profiles in ``directory`` (the built-in ones by default), by file name without
    ``.toml``: the default profile first, then the rest sorted by name."""
    folder = directory if directory is not None else builtin_directory()
    names = sorted(p.name.removesuffix(SUFFIX) for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())
    return tuple(sorted(names, key=lambda n: n != DEFAULT_PROFILE))


# The built-in profiles, found once: for ``--profile``, ``config check`` and the rules matrix.
PROFILE_NAMES = profile_names()


def load_profile_data(name: str, directory: Traversable | None = None) -> dict[str, Any]:
    """A profile's tables as written, before any config overrides them."""
    folder = directory if directory is not None else builtin_directory()
    names = profile_names(folder) if directory is not None else PROFILE_NAMES
    if name not in names:
        raise ConfigError(f"profile: {name!r} is not a built-in profile ({', '.join(names)})")
    text = folder.joinpath(f"{name}{SUFFIX}").read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"profile: {name}{SUFFIX} is not valid TOML: {exc}") from None


def load_profile(name: str, overrides: Mapping[str, Any] | None = None,
                 directory: Traversable | None = None) -> Profile:
    """The profile ``name``, each table a config gives replacing the profile's key by key."""
    data = load_profile_data(name, directory)
    for section, values in (overrides or {}).items():
        data[section] = _merge(data.get(section, {}), values)
    return build_profile(data)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for k, v in over.items():
            merged[k] = _merge(base.get(k), v)
        return merged
    return over


@cache
def builtin_forms() -> tuple[FormSpec, ...]:
    """The form description of every built-in profile, each tagged with its profile's name.

    Loaded here, where profiles are, and handed to the parsers by their caller: a service
    recognises every council's form, so a Bexley form sent to another panel is read as Bexley's.
    """
    out = []
    for name in PROFILE_NAMES:
        spec = load_profile(name).form
        out.append(FormSpec(spec.template, spec.markers, spec.labels, {**spec.options, "profile": name}))
    return tuple(out)


def forms_for(learned: tuple[FormSpec, ...] = ()) -> tuple[FormSpec, ...]:
    """The forms a service recognises: those a config names (``[form] file``, learned by
    ``carepanel form learn``) first, then every built-in one."""
    return (*learned, *builtin_forms())


def load_form_file(path: Path) -> FormSpec:
    """One learned form description: its ``[form]`` table is a profile's ``[form]`` plus
    ``name``, the name a request read with it carries as ``form``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"form.file: no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"form.file: cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"form.file: {path} is not valid TOML: {exc}") from None
    section = dict(raw.get("form") or {})
    name = section.pop("name", None)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"form.file: {path} has no [form] name (written by carepanel form learn --name)")
    spec = form_spec(validated(FormModel, section, "form"))
    if not spec.markers:
        raise ConfigError(f"form.file: {path} has no markers to recognise the form by")
    return FormSpec(spec.template, spec.markers, spec.labels, {**spec.options, "profile": name.strip(), "learned": True})
