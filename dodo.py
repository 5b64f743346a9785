"""releasekit's own automation: `doit list` shows the tasks.

    doit test     the whole test suite (CI)
    doit quick    tests not marked slow
    doit lint     ruff check + ruff format --check + mypy --strict
    doit bench    benchmarks -> docs/benchmarks.md
    doit docs     regenerate the README's config and error-code tables
    doit demo     rehearse a publish of examples/workspace to a throwaway local index
"""

from pathlib import Path

from tasks.actionlint import task_actionlint
from tasks.bench import task_bench
from tasks.demo import task_demo
from tasks.docs import task_docs
from tasks.quality import task_lint, task_quick, task_test
from tasks.wheelhouse import task_wheelhouse

# doit opens its sqlite DB before running any task: in a fresh clone .cache/ must exist.
(Path(__file__).resolve().parent / ".cache").mkdir(exist_ok=True)

DOIT_CONFIG = {
    "default_tasks": ["quick"],
    "backend": "sqlite3",
    "dep_file": ".cache/doit-project.sqlite3",
    "verbosity": 2,
}

__all__ = [
    "task_actionlint", "task_bench", "task_demo", "task_docs", "task_lint", "task_quick", "task_test",
    "task_wheelhouse",
]
