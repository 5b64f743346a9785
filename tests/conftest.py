"""Shared fixtures. The real-parts harness (index, faults, git, GitHub fake) is in tests/harness."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["tests.harness.fixtures", "tests.shapes.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "workspace"


@pytest.fixture
def example_ws(tmp_path: Path) -> Path:
    """A private copy of the bundled example workspace."""
    target = tmp_path / "ws"
    shutil.copytree(EXAMPLE, target,
                    ignore=shutil.ignore_patterns(".releasekit", "dist", "__pycache__"))
    return target
