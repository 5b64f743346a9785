"""The one fake stage backend: an action per stage that only sleeps, scripted per task.

The scheduling benchmark and the front-end tests (tests/ui_fakes.py) swap these for the real
actions in ``releasekit.engine.pipeline.ACTIONS``, so everything else (plan, task dicts,
dependencies, doit's parallel runner, the reporter, the drain, the front ends) is the
product's own code. Like the real actions each takes ``(package, settings)`` plain data and
pickles by reference under ``spawn``; each worker reads the run's script once, from
``fake-stages.json`` in the state directory::

    {"delay": {"build:a": 0.5}, "default": 0.02, "retry": {"upload:b": 2}, "fail": {"upload:c": "why"}}

Each action records its own start and end (``time.time()``, comparable across processes) and
its worker's peak RSS so far as a ``sim`` event, where the benchmarks measure the makespan and
the memory; unless the script says ``"progress": false`` (the benchmarks: their stages last
fractions of a millisecond), it also talks to the front end the way the real ones do (start,
retry, step, done or fail events).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from benchmarks._peakrss import own_peak_mib
from releasekit.engine.events import emit
from releasekit.engine.stages import TABLE

SCRIPT_FILE = "fake-stages.json"

_cache: dict[str, dict[str, Any]] = {}


def write_script(state_dir: str | Path, script: Mapping[str, Any]) -> Path:
    """Tell the workers of runs in ``state_dir`` how each task behaves."""
    path = Path(state_dir) / SCRIPT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(script), encoding="utf-8")
    _cache.pop(str(state_dir), None)
    return path


def write_durations(state_dir: str | Path, durations: Mapping[str, float], *, peak: bool = True) -> Path:
    """The benchmark's script: per-task durations (seconds, keyed ``STAGE:PACKAGE``), nothing fails.

    ``peak``: each action records its worker's peak RSS (reading /proc costs ~0.4 ms of CPU
    per action, which the scheduling benchmark would count as the runner's overhead)."""
    return write_script(state_dir, {"delay": dict(durations), "default": 0.0, "progress": False, "peak": peak})


def _script(state_dir: str) -> dict[str, Any]:
    if state_dir not in _cache:
        _cache[state_dir] = json.loads((Path(state_dir) / SCRIPT_FILE).read_text(encoding="utf-8"))
    return _cache[state_dir]


class FakeStage:
    """The fake action of one stage (an instance pickles by reference to this class)."""

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def __repr__(self) -> str:
        return f"FakeStage({self.stage!r})"

    def __call__(self, package: dict[str, Any], settings: dict[str, Any]) -> Any:
        started = time.time()
        script = _script(settings["state_dir"])
        name, stage = package["name"], self.stage
        task = f"{stage}:{name}"
        events = settings.get("events_path", "")
        progress = events if script.get("progress", True) else ""  # emit() writes nothing without a path
        emit(progress, name, stage, "start", version=package["version"], pid=os.getpid())
        for attempt in range(1, int(script.get("retry", {}).get(task, 0)) + 1):
            emit(progress, name, stage, "retry", attempt=attempt, delay=0.01,
                 cause=f"503 from the index [tool.uv] attempt {attempt}")
        emit(progress, name, stage, "step", step="working", detail=f"fake {stage}")
        nominal = float(script.get("delay", {}).get(task, script.get("default", 0.02)))
        remaining = started + nominal - time.time()
        if remaining > 0:
            time.sleep(remaining)
        ended = time.time()
        peak = {"peak_mib": own_peak_mib()} if script.get("peak", True) else {}
        emit(events, name, stage, "sim", t0=started, t1=ended, nominal=nominal, pid=os.getpid(), **peak)
        failure = script.get("fail", {}).get(task)
        if failure:
            emit(progress, name, stage, "fail", message=failure)
            return TaskFailed(failure)
        emit(progress, name, stage, "done")
        # ok with no files: the upload's up-to-date check then finds nothing to skip.
        return {"status": "uploaded" if stage in ("upload", "publish") else "ok", "uploaded": [], "ok": True,
                "files": {}}


#: Drop-in replacement for ``releasekit.engine.pipeline.ACTIONS``: every stage of the stage table.
ACTIONS: dict[str, Callable[..., Any]] = {s.name: FakeStage(s.name) for s in TABLE if s.action}
