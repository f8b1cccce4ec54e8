"""The layers in docs/architecture.md hold: every import in carepanel/ (module level, inside
functions, under TYPE_CHECKING) is read with ast and checked against the ``layers`` block there."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "carepanel"
DOC = ROOT / "docs" / "architecture.md"

# Modules placed by the layer they belong to, not by the folder they live in, while a move is
# pending (see "Exceptions" in the doc): ``module -> (part, why)``. None at present.
EXCEPTIONS: dict[str, tuple[str, str]] = {}
# Rules the layers alone do not say: (importer prefix, imported prefix or name, why).
FORBIDDEN_MODULES = [
    ("carepanel.pipeline", "carepanel.mailbox", "rules do no I/O: a mailbox is the caller's"),
    ("carepanel.pipeline", "carepanel.office", "rules do no I/O: a converter is passed in"),
]
PROFILE_LOADERS = {"load_profile", "load_profile_data", "load_config", "build_config", "find_config", "builtin_forms",
                   "forms_for", "load_form_file", "profile_names", "PROFILE_NAMES"}
PROFILE_LOADING_MODULE = "carepanel.profiles.load"


@dataclass(frozen=True)
class Part:
    layer: int
    name: str  # the layer's name
    group: int  # siblings in one layer have different groups


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or package)
    names: tuple[str, ...]  # for ``from X import a, b``
    line: int


def layers_from_doc() -> dict[str, Part]:
    """``prefix -> Part`` from the ``layers`` block of docs/architecture.md."""
    block = re.search(r"```layers\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/architecture.md has no ```layers block"
    parts: dict[str, Part] = {}
    for layer, line in enumerate(block.group(1).strip().splitlines()):
        name, _, rest = line.partition(":")
        for group, siblings in enumerate(rest.split("|")):
            for prefix in siblings.split():
                parts[prefix] = Part(layer, name.strip(), group)
    return parts


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("carepanel"):
                    yield Import(name, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + (node.module.split(".") if node.module else []))
            if not module.startswith("carepanel"):
                continue
            names = tuple(a.name for a in node.names)
            submodules = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
            for sub in submodules:  # ``from ..pipeline import calendar`` imports pipeline.calendar
                yield Import(name, sub, (), node.lineno)
            if len(submodules) < len(names):
                yield Import(name, module, names, node.lineno)


def place(module: str, parts: dict[str, Part]) -> tuple[str, Part] | None:
    """The part a module belongs to: an exception's, else the longest prefix in the doc."""
    if module in EXCEPTIONS:
        prefix = EXCEPTIONS[module][0]
        return prefix, parts[prefix]
    for prefix in sorted(parts, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, parts[prefix]
    return None


def loads_profiles(imp: Import) -> bool:
    """An import of a profile loader: one by name from ``config`` or ``profiles``, or the loading
    module ``profiles.load`` itself."""
    if imp.target == PROFILE_LOADING_MODULE or imp.target.startswith(PROFILE_LOADING_MODULE + "."):
        return True
    return imp.target in ("carepanel.config", "carepanel.profiles") and bool(PROFILE_LOADERS & set(imp.names))


def violations(parts: dict[str, Part]) -> Iterator[str]:
    known = modules()
    for name, path in known.items():
        if name == "carepanel":
            continue
        src = place(name, parts)
        for imp in imports(name, path, set(known)):
            dst = place(imp.target, parts)
            if src is None or dst is None or imp.target == "carepanel":
                continue
            where = f"{path.relative_to(ROOT)}:{imp.line}: {name} imports {imp.target}"
            (sp, s), (dp, d) = src, dst
            if d.layer > s.layer:
                yield f"{where} ({s.name} may not import {d.name}, a higher layer)"
            elif d.layer == s.layer and d.group != s.group:
                yield f"{where} ({sp} and {dp} are siblings: neither imports the other)"
            for importer, imported, why in FORBIDDEN_MODULES:
                if name.startswith(importer) and imp.target.startswith(imported) and name not in EXCEPTIONS:
                    yield f"{where} ({why})"
            if name.startswith("carepanel.parsers") and loads_profiles(imp):
                yield f"{where} {sorted(PROFILE_LOADERS & set(imp.names))} (parsers get form descriptions from the caller)"


def test_every_import_runs_downhill() -> None:
    found = list(violations(layers_from_doc()))
    assert found == [], "imports against docs/architecture.md:\n" + "\n".join(found)


def test_every_module_has_a_place_in_the_layers() -> None:
    parts = layers_from_doc()
    unplaced = [m for m in modules() if m != "carepanel" and place(m, parts) is None]
    assert unplaced == [], f"modules with no layer in docs/architecture.md: {unplaced}"


def test_the_exceptions_are_still_needed_and_named_in_the_doc() -> None:
    """Once the lead moves a module, its exception must go too (and the doc's list with it)."""
    doc = DOC.read_text(encoding="utf-8")
    for module in EXCEPTIONS:
        assert module in modules(), f"{module} has moved: remove it from EXCEPTIONS"
        assert module.removeprefix("carepanel.").replace(".", "/") + ".py" in doc, module


@pytest.mark.parametrize("source, line, expected", [
    ("carepanel/pipeline/checks.py", "from ..store import Store", "rules may not import records"),
    ("carepanel/mailbox/message.py", "from ..parsers.outlook import OutlookItem", "siblings"),
    ("carepanel/store/__init__.py", "from ..web import app", "records may not import web"),
    ("carepanel/pipeline/calendar.py", "from ..mailbox import durable", "rules do no I/O"),
    ("carepanel/parsers/forms.py", "from ..config import load_config", "parsers get form descriptions from the caller"),
    ("carepanel/parsers/forms.py", "from ..profiles import load_profile", "parsers get form descriptions from the caller"),
    ("carepanel/parsers/forms.py", "from ..profiles.load import builtin_forms", "parsers get form descriptions from the caller"),
    ("carepanel/parsers/forms.py", "from ..profiles import load", "parsers get form descriptions from the caller"),
    ("carepanel/profiles/model.py", "from ..config import Limits", "profiles may not import settings"),
    ("carepanel/outputs/pack.py", "from .. import store", "siblings"),
])
def test_an_import_against_the_layers_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, line: str,
                                               expected: str) -> None:
    """The checker itself can fail: the same tree with one bad import added."""
    path = ROOT / source
    real_read = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        text = real_read(self, *args, **kwargs)  # type: ignore[arg-type]
        return text + f"\n{line}\n" if self == path else text

    monkeypatch.setattr(Path, "read_text", read_text)
    found = list(violations(layers_from_doc()))
    assert len(found) == 1 and expected in found[0], found
