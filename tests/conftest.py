"""Shared fixtures. The real-parts harness (index, faults, git, GitHub fake) is in tests/harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.workspace import copy_example_workspace

pytest_plugins = ["tests.harness.fixtures", "tests.shapes.fixtures"]


@pytest.fixture
def example_ws(tmp_path: Path) -> Path:
    """A private copy of the bundled example workspace."""
    return copy_example_workspace(tmp_path / "ws")
