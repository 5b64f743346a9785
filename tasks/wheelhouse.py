"""The build backend (hatchling) as wheel files, so tests can serve it from a local index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tasks.paths import WHEELHOUSE

REQUIREMENTS = ("hatchling",)


def have_wheelhouse(directory: Path = WHEELHOUSE) -> bool:
    return any(directory.glob("hatchling-*.whl"))


def make_wheelhouse(directory: Path = WHEELHOUSE) -> Path:
    """Download hatchling and its dependencies once; a no-op when they are already there."""
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
    """download hatchling wheels for the test index (needs the package registry once)"""
    return {
        "actions": [_make_wheelhouse_action],
        "uptodate": [have_wheelhouse],
        "verbosity": 2,
    }
