"""The scheduling benchmark's simulated backend: one action per stage that only sleeps.

They replace the real actions in ``releasekit.pipeline.ACTIONS`` for the duration of a
benchmark run, so everything else (plan, task dicts, dependencies, doit's parallel runner,
the reporter, the drain logic) is the product's own code. Like the real actions they are
module-level functions taking ``(package, settings)`` plain data, so they pickle by name
under ``spawn``; each worker reads the per-task durations once from a JSON file in the
state directory.

Each action records its own start and end (``time.time()``, comparable across processes)
as a ``sim`` event in the run's events file, which is where the makespan is measured.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from releasekit.events import emit

DURATIONS_FILE = "sim-durations.json"

_cache: dict[str, dict[str, float]] = {}


def write_durations(state_dir: str | Path, durations: dict[str, float]) -> Path:
    """Give the workers their per-task durations (seconds, keyed ``STAGE:PACKAGE``)."""
    path = Path(state_dir) / DURATIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(durations), encoding="utf-8")
    _cache.pop(str(state_dir), None)
    return path


def _durations(state_dir: str) -> dict[str, float]:
    if state_dir not in _cache:
        data = json.loads((Path(state_dir) / DURATIONS_FILE).read_text(encoding="utf-8"))
        _cache[state_dir] = {str(k): float(v) for k, v in data.items()}
    return _cache[state_dir]


def _simulate(
    stage: str, package: dict[str, Any], settings: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    started = time.time()
    nominal = _durations(settings["state_dir"])[f"{stage}:{package['name']}"]
    remaining = started + nominal - time.time()
    if remaining > 0:
        time.sleep(remaining)
    ended = time.time()
    emit(
        settings.get("events_path", ""),
        package["name"],
        stage,
        "sim",
        t0=started,
        t1=ended,
        nominal=nominal,
        pid=os.getpid(),
    )
    return result


def build(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("build", package, settings, {"files": {}, "reused": False})


def stage(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("stage", package, settings, {"status": "staged"})


def trial(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("trial", package, settings, {"status": "passed"})


def probe(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    # ok with no files: the upload's up-to-date check then finds nothing to skip.
    return _simulate("probe", package, settings, {"ok": True, "files": {}})


def upload(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("upload", package, settings, {"status": "uploaded", "uploaded": []})


def poll(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("poll", package, settings, {"status": "listed", "polls": 1})


def verify(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("verify", package, settings, {"status": "verified", "checked": {}})


def smoke(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("smoke", package, settings, {"status": "passed"})


def finish(package: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return _simulate("publish", package, settings, {"status": "uploaded"})


#: Drop-in replacement for ``releasekit.pipeline.ACTIONS``.
ACTIONS: dict[str, Callable[..., Any]] = {
    "build": build,
    "stage": stage,
    "trial": trial,
    "probe": probe,
    "upload": upload,
    "poll": poll,
    "verify": verify,
    "smoke": smoke,
    "publish": finish,
}
