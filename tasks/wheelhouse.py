"""The build backends as wheel files, so tests can serve them from a local index.

Real workspaces build with more than hatchling: VCS versions (hatch-vcs, setuptools-scm,
uv-dynamic-versioning), setuptools, uv_build, flit and pdm. The shape corpus uses each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tasks.paths import WHEELHOUSE

REQUIREMENTS = (
    "hatchling",
    "hatch-vcs",
    "setuptools",
    "setuptools-scm",
    "wheel",
    "uv-build",
    "flit-core",
    "pdm-backend",
    "uv-dynamic-versioning",
    # hatchling asks for it to build editable metadata: `uv lock` of a member whose version or
    # dependencies are dynamic (the shape corpus, tests/shapes) needs it.
    "editables",
)
#: One wheel file prefix per requirement: the wheelhouse is complete when each is there.
_PREFIXES = tuple(r.replace("-", "_") + "-" for r in REQUIREMENTS)


def have_wheelhouse(directory: Path = WHEELHOUSE) -> bool:
    names = [p.name.lower() for p in directory.glob("*.whl")] if directory.is_dir() else []
    return all(any(n.startswith(prefix) for n in names) for prefix in _PREFIXES)


def make_wheelhouse(directory: Path = WHEELHOUSE) -> Path:
    """Download the build backends and their dependencies once; a no-op when they are there."""
    if have_wheelhouse(directory):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
         "--dest", str(directory), *REQUIREMENTS],
        check=True,
    )
    return directory


def _make_wheelhouse_action() -> None:
    # A doit python-action must return None, True, a str or a dict, not the Path.
    make_wheelhouse()


def task_wheelhouse() -> dict[str, object]:
    """download the build backends' wheels for the test index (needs the package registry once)"""
    return {
        "actions": [_make_wheelhouse_action],
        "uptodate": [have_wheelhouse],
        "verbosity": 2,
    }
