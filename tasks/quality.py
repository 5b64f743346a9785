"""Tests, lint and type checks."""

from __future__ import annotations

from tasks.paths import PYTHON

LINT_PATHS = ["releasekit", "tests", "tasks", "benchmarks", "dodo.py"]


def task_test() -> dict[str, object]:
    """run the whole test suite, slow end-to-end tests included (what CI runs)"""
    return {
        "actions": [f"{PYTHON} -m pytest -q"],
        "task_dep": ["wheelhouse", "actionlint"],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_quick() -> dict[str, object]:
    """the quick loop: every test not marked slow, stop at the first failure"""
    return {
        "actions": [f"{PYTHON} -m pytest -q -m 'not slow' -x"],
        "task_dep": ["wheelhouse"],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_lint() -> dict[str, object]:
    """ruff on the whole tree, ruff format on the package, and mypy --strict on the package and the protocols' test"""
    return {
        "actions": [
            f"{PYTHON} -m ruff check {' '.join(LINT_PATHS)}",
            f"{PYTHON} -m ruff format --check releasekit",
            f"{PYTHON} -m mypy --strict releasekit",
            # the backend protocols' test: its assignments are the static half of it
            f"{PYTHON} -m mypy --strict tests/test_backend_protocols.py tests/harness/doubles.py",
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
