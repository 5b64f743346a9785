"""A run's directory on disk: what a publish leaves behind, and finding it again.

``<state>/runs/<run-id>/`` holds ``events.ndjson`` (every stage's start and end, written by
the workers), ``summary.json`` (the verdict, written when the run ends) and ``plan.json``
(written here when it starts: the packages, their levels and the task graph, which the
events alone do not carry). A run killed with SIGKILL has events and a plan but no
summary; the report still draws it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.engine.events import Event, read_events
from releasekit.errors import UsageError
from releasekit.support.fsutil import atomic_write
from releasekit.support.redact import redact

PLAN_FILE = "plan.json"
SUMMARY_FILE = "summary.json"
EVENTS_FILE = "events.ndjson"
HTML_FILE = "report.html"
PLAN_SCHEMA = "releasekit.runplan/1"


def record_start(run_dir: str | Path, plan: Any, *, concurrency: int, start_method: str, target: str) -> None:
    """Write ``plan.json`` as the run starts (never fails the run: a report is a nicety)."""
    data = {
        "schema": PLAN_SCHEMA,
        "started": round(time.time(), 3),
        "concurrency": concurrency,
        "start_method": start_method,
        "target": target,
        "plan": plan.to_json(),
    }
    with contextlib.suppress(OSError):
        atomic_write(Path(run_dir) / PLAN_FILE, (redact(json.dumps(data, indent=1)) + "\n").encode())


@dataclass(frozen=True)
class RunFiles:
    """Everything one run left on disk, read as it is (no interpretation yet)."""

    run_dir: Path
    run_id: str
    events: list[Event]
    summary: dict[str, Any] | None
    plan: dict[str, Any] | None


def _json_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_run_dir(path: Path) -> bool:
    return (path / EVENTS_FILE).is_file() or (path / PLAN_FILE).is_file()


def read_run(run_dir: Path) -> RunFiles:
    return RunFiles(
        run_dir=run_dir,
        run_id=run_dir.name,
        events=read_events(run_dir / EVENTS_FILE),
        summary=_json_file(run_dir / SUMMARY_FILE),
        plan=_json_file(run_dir / PLAN_FILE),
    )


def list_runs(state_dir: Path) -> list[Path]:
    """Run directories, oldest first (by when they were last written, then by id: ids start with the time)."""
    root = state_dir / "runs"
    try:
        found = [p for p in root.iterdir() if p.is_dir() and is_run_dir(p)]
    except OSError:
        return []
    return sorted(found, key=lambda p: (_last_written(p), p.name))


def _last_written(path: Path) -> float:
    times = [os.stat(p).st_mtime for p in (path / EVENTS_FILE, path / PLAN_FILE, path) if p.exists()]
    return max(times, default=0.0)


def find_run(state_dir: Path, ref: str) -> Path:
    """``last`` (the newest run, interrupted ones included) or a run id under ``state_dir``."""
    runs = list_runs(state_dir)
    if ref == "last":
        if runs:
            return runs[-1]
        raise UsageError(
            f"no publish run in {state_dir / 'runs'}",
            path=state_dir,
            code="RK154",
            hint="run `releasekit publish` first, or pass --workspace for another workspace",
        )
    chosen = state_dir / "runs" / ref
    if "/" not in ref and ref not in (".", "..") and is_run_dir(chosen):
        return chosen
    recent = ", ".join(p.name for p in reversed(runs[-3:])) or "none"
    raise UsageError(
        f"no run {ref!r} in {state_dir / 'runs'}",
        path=state_dir,
        code="RK154",
        hint=f"pass `last`, a run id (the newest: {recent}) or the path of a run directory",
    )
