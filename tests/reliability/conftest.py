"""Fixtures of the reliability suite, and its summary at the end of the pytest run."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import workspace10

_LINES: list[str] = []


def env_int(name: str, default: int) -> int:
    """An integer knob from the environment (documented in docs/reliability.md)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"{name} must be an integer, not {raw!r}") from None


@pytest.fixture
def reliability_report() -> Callable[[str], None]:
    """Add a line to the "releasekit reliability" section printed after the test session."""
    return _LINES.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _LINES:
        terminalreporter.section("releasekit reliability")
        for line in _LINES:
            terminalreporter.write_line(line)


@pytest.fixture
def ws10(tmp_path: Path, uv_env: dict[str, str], git_env: dict[str, str]) -> Path:
    """The 10-package workspace, locked and committed in a fresh git repository."""
    return workspace10.write(tmp_path / "ws10")
