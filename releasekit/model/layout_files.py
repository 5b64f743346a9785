"""The shipped-files model the backend readers share: roots in the wheel, and the helpers that read ``[tool.*]`` tables
and glob a member's files the way the backends do."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_GLOB = re.compile(r"[*?\[]")
# setuptools' flat-layout discovery never takes these top-level names for the project's code.
FLAT_RESERVED = (
    "ci",
    "bin",
    "debian",
    "doc",
    "docs",
    "documentation",
    "manpages",
    "news",
    "newsfragments",
    "changelog",
    "test",
    "tests",
    "unit_test",
    "unit_tests",
    "example",
    "examples",
    "scripts",
    "tools",
    "util",
    "utils",
    "python",
    "build",
    "dist",
    "venv",
    "env",
    "requirements",
    "tasks",
    "fabfile",
    "site_scons",
    "benchmark",
    "benchmarks",
    "exercise",
    "exercises",
    "htmlcov",
    "[._]*",
    "setup",
    "conftest",
    "toxfile",
    "noxfile",
    "pavement",
    "dodo",
    "manage",
    "conanfile",
)


@dataclass(frozen=True)
class Root:
    """A path the backend ships and where it lands in the wheel ("" = the wheel's top)."""

    source: Path
    target: str
    #: Walk into subdirectories of a directory without ``__init__.py`` (a PEP 420 portion);
    #: setuptools ships only the listed packages' own modules, so its roots do not.
    descend: bool = True


@dataclass(frozen=True)
class ShippedFiles:
    """A backend's file selection, before it is walked into import packages."""

    roots: tuple[Root, ...]
    source: str
    problem: str | None = None
    #: Skip setuptools' reserved top-level names (tests, docs, setup.py, ...): a guessed layout.
    flat: bool = False
    #: Member-relative gitignore-style patterns the backend leaves out.
    exclude: tuple[str, ...] = ()
    #: Import names the backend compiles itself (maturin's native module): no source path.
    native: tuple[str, ...] = ()
    #: Shipping no Python code is what the configuration asks for (a meta-package).
    may_be_empty: bool = False


def table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """The nested table at ``keys``, or an empty one when any level is missing or not a table."""
    for key in keys:
        value = data.get(key)
        if not isinstance(value, Mapping):
            return {}
        data = value
    return data


def strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def clean_path(path: str) -> str:
    """A member-relative posix path without leading/trailing slashes ("" for the member itself)."""
    cleaned = posixpath.normpath(path.strip().strip("/")) if path.strip().strip("/") else ""
    return "" if cleaned == "." else cleaned


def module_target(dotted: str, path: Path) -> str:
    target = dotted.replace(".", "/")
    return target + ".py" if path.suffix == ".py" else target


def glob_paths(base: Path, pattern: str) -> list[Path]:
    if not _GLOB.search(pattern):
        return [base / pattern]
    return sorted(p for p in base.glob(pattern) if p.is_dir() or p.suffix == ".py")


def is_reserved(name: str) -> bool:
    stem = name[:-3] if name.endswith(".py") else name
    return any(fnmatch.fnmatchcase(stem, pattern) for pattern in FLAT_RESERVED)
