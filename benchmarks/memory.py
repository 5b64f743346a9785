"""Memory benchmark: the peak RSS of the orchestrator and of a worker at 60 and 1000 packages.

Each size runs in its own process (a driver, ``python -m benchmarks.memory N``), so one peak does
not hide another: the driver generates a seeded random workspace of N packages, computes the
product's plan and runs it with ``releasekit.engine.runner.execute`` on doit's parallel runner
(spawn, one worker per core), exactly as ``releasekit publish`` does but with the simulated stage
actions of ``benchmarks._simbackend`` (sleeps scaled down hard: the figure is memory, not time).
The orchestrator's peak is the driver's own ``VmHWM`` at the end (and once after planning, before
the run); a worker's is what each simulated action records for its process (``VmHWM`` too:
``ru_maxrss`` would include the parent's size, see ``benchmarks._peakrss.own_peak_mib``). The real run with uv at 60
packages is measured by the realistic benchmark (its peak RSS table). ``run()`` returns the
markdown section; raw figures go to ``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks._e2ecommon import RESULTS, ROOT
from benchmarks._peakrss import own_peak_mib

GOAL_MIB = 100.0
SIZES = (60, 1000)
#: The scheduling benchmark's local-index stage times, scaled down this much.
SCALE = 0.005


def drive(packages: int, workdir: Path, seed: int = 7) -> dict[str, Any]:
    """Plan and run ``packages`` simulated packages in this process; report the peaks (MiB)."""
    from benchmarks.scheduling import LOCAL, make_setup, random_dag, run_real
    from releasekit.engine.events import iter_events

    setup = make_setup(workdir / "ws", random_dag(packages, seed), seed)
    workers = os.cpu_count() or 1
    durations = setup.durations(LOCAL, scale=SCALE, seed=seed)
    planned = own_peak_mib()
    began = time.monotonic()
    real = run_real(setup, durations, workers)
    events = list(Path(setup.root, ".releasekit", "runs").glob("*/events.ndjson"))
    worker = max((float(e.get("peak_mib", 0)) for path in events for e in iter_events(path)
                  if e.get("event") == "sim"), default=0.0)
    return {
        "packages": packages,
        "tasks": real.tasks,
        "workers": workers,
        "ok": real.ok,
        "seconds": time.monotonic() - began,
        "planned_mib": planned,
        "orchestrator_mib": own_peak_mib(),
        "worker_mib": worker,
    }


def measure_size(packages: int) -> dict[str, Any]:
    """One driver process for ``packages``."""
    with tempfile.TemporaryDirectory(prefix=f"rk-bench-mem-{packages}-") as tmp:
        done = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(packages), tmp], cwd=ROOT,
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return {"packages": packages, "ok": False, "detail": tail}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def goal_met(rows: Sequence[Mapping[str, Any]]) -> bool | None:
    big = [r for r in rows if r["packages"] == max(SIZES) and r.get("ok")]
    return all(r["orchestrator_mib"] < GOAL_MIB for r in big) if big else None


def render(data: Mapping[str, Any]) -> str:
    lines = [
        "## Memory: the orchestrator and a worker at 60 and 1000 packages",
        "",
        "Peak RSS of the process that plans and runs the release (the orchestrator) and of the "
        "largest worker, simulated stage actions on the product's plan and runner (spawn, one "
        f"worker per core; stage times scaled by {SCALE}). The real 60-member run with uv is in "
        "the realistic benchmark's peak RSS table.",
        "",
        "| packages | stage tasks | orchestrator after planning (MiB) | orchestrator (MiB) | worker (MiB) "
        "| run (s) | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        if not row.get("ok"):
            lines.append(f"| {row['packages']} | - | - | - | - | - | NO: {row.get('detail', '')} |")
            continue
        lines.append(f"| {row['packages']} | {row['tasks']} | {row['planned_mib']:.0f} | {row['orchestrator_mib']:.0f} "
                     f"| {row['worker_mib']:.0f} | {row['seconds']:.1f} | yes |")
    met = goal_met(data["rows"])
    verdict = "not measured" if met is None else "met" if met else "**not met**"
    lines += ["", f"Goal: orchestrator < {GOAL_MIB:.0f} MiB at {max(SIZES)} packages: {verdict}.", ""]
    return "\n".join(lines)


def run() -> str:
    """Measure, save the raw results, return the markdown section."""
    data = {"rows": [measure_size(n) for n in SIZES], "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return render(data)


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    print(json.dumps(drive(int(sys.argv[1]), Path(sys.argv[2]))))
