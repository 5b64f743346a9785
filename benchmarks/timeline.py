"""The scheduling benchmark as a picture: dependency-triggered dispatch against level-by-level lockstep.

The same 200-package DAG and stage durations as ``benchmarks/scheduling.py``, in its
index-lag profile at ``-n 8``: where a public index's lag makes chains long and workers
plentiful, which is where the two differ (at ``-n 4`` on the local profile both are near the
bound of total work / N). The upper timeline is a real run: ``releasekit.engine.runner.execute`` on doit's
process runner with the simulated stage actions, drawn by ``releasekit report``'s own
renderer from the run's events (each ``sim`` event carries its stage's start and end). The
lower one is lockstep, each package's whole pipeline on one worker and a barrier between
levels, scheduled in virtual time with the same durations and no overhead (generous to it),
written as the same kind of events and drawn by the same renderer on the same time axis.
200 packages collapse to one row per level, so the barriers show.

    python -m benchmarks.timeline    # writes docs/img/scheduling-timeline.svg and its section of docs/benchmarks.md
"""

from __future__ import annotations

import multiprocessing
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import scheduling

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "docs" / "img" / "scheduling-timeline.svg"
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Timeline: dependency-triggered against lockstep"
WORKERS = 8
PROFILE = "index lag"


def lockstep_events(setup: scheduling.Setup, durations: dict[str, float]) -> list[dict[str, Any]]:
    """The lockstep schedule as the ``sim`` events a run would have written."""
    package_seconds = setup.package_seconds(durations)
    starts = scheduling.lockstep_schedule(setup.plan.levels, package_seconds, WORKERS)
    events = []
    for pkg in setup.plan.packages:
        clock = starts[pkg.name]
        for stage in pkg.stages:
            took = durations[f"{stage}:{pkg.name}"]
            events.append({"t": clock + took, "package": pkg.name, "stage": stage, "event": "sim",
                           "t0": clock, "t1": clock + took})
            clock += took
    return events


def dispatch_events(setup: scheduling.Setup, durations: dict[str, float]) -> list[dict[str, Any]]:
    """releasekit's dispatch order on doit's dispatcher in virtual time (no runner overhead), as events."""
    schedule = scheduling.simulate_doit(setup.doit_tasks(), durations, WORKERS,
                                        ready_factory=scheduling._product_ready)
    return [{"t": schedule.end[t.name], "package": t.package, "stage": t.stage, "event": "sim",
             "t0": schedule.start[t.name], "t1": schedule.end[t.name]}
            for t in setup.plan.tasks if t.name in schedule.start]


def _newest_run(state_dir: Path) -> Path:
    return max((p for p in (state_dir / "runs").iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)


def draw(workdir: Path, config: scheduling.Config) -> tuple[str, dict[str, float]]:
    """The SVG and the two makespans."""
    from releasekit.engine.runfile import RunFiles, read_run
    from releasekit.report.load import interpret
    from releasekit.report.rows import timeline
    from releasekit.report.svg import document

    setup = scheduling.make_setup(workdir / "ws", scheduling.random_dag(config.packages, config.seed), config.seed)
    durations = setup.durations(scheduling.PROFILES[PROFILE], config.scale, config.seed)
    real = scheduling.run_real(setup, durations, WORKERS)
    ran = interpret(read_run(_newest_run(Path(setup.settings(WORKERS, "x").state_dir))))
    plan = {"plan": setup.plan.to_json(), "concurrency": WORKERS}
    lockstep = interpret(RunFiles(workdir / "lockstep", "lockstep", lockstep_events(setup, durations), None, plan))
    ordered = interpret(RunFiles(workdir / "dispatch", "dispatch", dispatch_events(setup, durations), None, plan))
    makespans = {"real": real.makespan, "dispatch": ordered.totals.makespan, "lockstep": lockstep.totals.makespan}
    panels = [
        (f"dependency-triggered, a real run: releasekit on doit's process runner, -n {WORKERS} "
         f"({real.makespan:.1f} s)", timeline(ran)),
        (f"dependency-triggered, the same dispatch order simulated without overhead ({ordered.totals.makespan:.1f} s)",
         timeline(ordered)),
        (f"level-by-level lockstep, simulated without overhead ({lockstep.totals.makespan:.1f} s)",
         timeline(lockstep)),
    ]
    title = (f"{config.packages} packages, {len(setup.plan.tasks)} stage tasks, the same stage durations: "
             "one row per level")
    return document(panels, title), makespans


def section(makespans: dict[str, float], image: Path = IMAGE) -> str:
    relative = image.relative_to(DOC.parent).as_posix()
    gain = makespans["lockstep"] / makespans["dispatch"]
    return f"""{HEADING}

![The 200-package scheduling run: dependency-triggered dispatch against level-by-level lockstep]({relative})

The scheduling benchmark's DAG and durations ({PROFILE} profile, `-n {WORKERS}`), drawn by
`releasekit report`'s renderer (`releasekit/report/svg.py`) from the run's own events. Each
row is a level of the DAG (200 packages are past the report's row limit); the bars are the
stages of that level's packages, merged where they overlap. Dependency-triggered, a package's
upload starts as soon as its own dependencies are verified, so the levels overlap; in lockstep
a level waits for the slowest package of the one before it. Makespans of this drawing: the real
run {makespans['real']:.1f} s (doit's start-up and per-task overhead on a shared 2-core machine
included), the same dispatch order without overhead {makespans['dispatch']:.1f} s, lockstep without
overhead {makespans['lockstep']:.1f} s ({gain:.2f}x the dispatch order). Regenerate with
`python -m benchmarks.timeline` (also part of `doit bench`).
"""


def run(config: scheduling.Config | None = None) -> str:
    """Draw the picture into docs/img/ and return the markdown section."""
    config = config or (scheduling.QUICK if scheduling.quick_requested() else scheduling.Config())
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        with tempfile.TemporaryDirectory(prefix="rk-bench-timeline-") as tmp:
            picture, makespans = draw(Path(tmp), config)
    finally:  # execute() sets the start method for the whole process: leave it as it was
        multiprocessing.set_start_method(method, force=True)
    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    IMAGE.write_text(picture, encoding="utf-8")
    return section(makespans)


def splice(document: str, text: str) -> str:
    """``document`` with this benchmark's section replaced (or added at the end)."""
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(document):
        return pattern.sub(lambda _: text.rstrip("\n") + "\n\n", document).rstrip("\n") + "\n"
    return document.rstrip("\n") + "\n\n" + text


def main() -> None:
    started = time.monotonic()
    text = run()
    DOC.write_text(splice(DOC.read_text(encoding="utf-8"), text), encoding="utf-8")
    print(f"wrote {IMAGE} and its section of {DOC} in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    import importlib

    sys.path.insert(0, str(ROOT))
    # Run the importable module, not __main__, so spawn pickles the actions by that name.
    importlib.import_module("benchmarks.timeline").main()
