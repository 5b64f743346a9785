"""The README's main job: rehearse a publish of the bundled example workspace."""

from __future__ import annotations

from tasks.paths import EXAMPLE, PYTHON


def task_demo() -> dict[str, object]:
    """publish examples/workspace to a throwaway pypiserver on 127.0.0.1 (real uv, real index)"""
    return {
        "actions": [f"{PYTHON} -m releasekit --workspace {EXAMPLE} publish --rehearse"],
        "uptodate": [False],
        "verbosity": 2,
    }
