"""Benchmarks (never timed tests): they write their figures to docs/benchmarks.md."""

from __future__ import annotations

from tasks.paths import PYTHON, ROOT


def task_bench() -> dict[str, object]:
    """run the benchmarks in benchmarks/ and write docs/benchmarks.md"""
    return {
        "actions": [f"{PYTHON} {ROOT / 'benchmarks' / 'run.py'}"],
        "task_dep": ["wheelhouse"],
        "uptodate": [False],
        "verbosity": 2,
    }
