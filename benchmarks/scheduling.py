"""Scheduling benchmark: how close does dependency-triggered dispatch get to the best possible?

A seeded 200-package random DAG becomes a real workspace, ``build_plan`` turns it into the
product's Plan, and ``releasekit.engine.runner.execute`` runs it on doit's parallel runner (the product's start method,
``-n 4`` and ``-n 8``) exactly as ``releasekit publish`` does, with one difference: the stage
actions are the simulated ones of ``benchmarks._simbackend`` (they sleep for per-stage
durations). The makespan (first action start to last action end, from the actions' own
timestamps) is divided by the lower bound max(critical path of the stage-task DAG, total
work / N). Level-by-level lockstep and one-at-a-time publishing are computed by simulation
of the same durations, and so is doit's own dispatch order with zero overhead (doit's
``TaskDispatcher`` driven in virtual time), which separates the dispatch policy from the
runner's per-task overhead.

``run()`` returns the markdown section; raw figures go to ``benchmarks/results/scheduling.json``.
``--quick`` (or ``RELEASEKIT_BENCH_QUICK=1``) runs one repetition of a smaller, faster setup.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks import _simbackend
from benchmarks._workspace import write_workspace
from releasekit.engine.workers import DEFAULT_START_METHOD, START_METHODS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGET = 1.10

# --- durations -------------------------------------------------------------------------

#: Seconds per stage for a small hatchling package, from notes/test-harness.md §7 (real uv
#: and pypiserver on this machine): build 0.95-1.24 s, upload 35-41 ms, a simple-page GET
#: 2-4 ms, verify 3-4 ms (here doubled: listing plus a re-download), smoke install 0.37-0.50 s.
LOCAL: dict[str, float] = {
    "build": 1.10,
    "probe": 0.004,
    "upload": 0.040,
    "poll": 0.003,
    "verify": 0.008,
    "smoke": 0.44,
    "publish": 0.002,
}
#: The same with §7's 2 s indexing lag (poll 2.09-2.10 s): a public index lists an upload
#: only after a delay, and every dependent's upload waits for it, so chains get longer.
LAGGED: dict[str, float] = {**LOCAL, "poll": 2.10}
PROFILES: dict[str, dict[str, float]] = {"local index": LOCAL, "index lag": LAGGED}


def package_sizes(names: Sequence[str], seed: int) -> dict[str, float]:
    """A per-package size factor (log-normal, median 1): big packages build and install slower."""
    rng = random.Random(f"sizes-{seed}")
    return {n: min(3.0, max(0.4, rng.lognormvariate(0.0, 0.5))) for n in names}


def task_durations(
    tasks: Sequence[tuple[str, str, str]],
    profile: Mapping[str, float],
    sizes: Mapping[str, float],
    *,
    scale: float,
    seed: int,
) -> dict[str, float]:
    """Seconds for each ``(name, stage, package)``: the profile, varied per package, scaled."""
    rng = random.Random(f"jitter-{seed}")
    out: dict[str, float] = {}
    for name, stage, package in tasks:
        size = sizes[package]
        factor = {
            "build": size,
            "upload": size,
            "verify": size,
            "smoke": 0.6 + 0.4 * size,
            "poll": rng.uniform(0.8, 1.2) if profile["poll"] > 0.1 else 1.0,
        }.get(stage, 1.0)
        out[name] = profile[stage] * factor * scale
    return out


# --- the DAG ---------------------------------------------------------------------------


def random_dag(n: int, seed: int, *, tiers: int = 8) -> dict[str, tuple[str, ...]]:
    """A seeded package DAG shaped like a big monorepo.

    Packages sit in tiers (core libraries, libraries, plugins, apps): the tier sizes grow
    then shrink. Each package depends on one package of the tier just below (so chains
    are as deep as the tiers) plus 0-5 more from any lower tier, chosen by preferential
    attachment, which grows a few hubs with large fan-out (the "core" every plugin uses).
    """
    rng = random.Random(f"dag-{seed}")
    shape = [1, 3, 7, 14, 24, 26, 16, 9][:tiers] if tiers <= 8 else [1] * tiers
    total = sum(shape)
    sizes = [max(1, round(n * s / total)) for s in shape]
    sizes[sizes.index(max(sizes))] += n - sum(sizes)
    width = len(str(n - 1))
    names: list[list[str]] = []
    counter = 0
    for size in sizes:
        names.append([f"pkg-{i:0{width}d}" for i in range(counter, counter + size)])
        counter += size
    dependents: dict[str, int] = {}
    deps: dict[str, tuple[str, ...]] = {}
    extra_counts = (0, 1, 2, 3, 4, 5)
    extra_weights = (0.30, 0.30, 0.20, 0.10, 0.06, 0.04)
    for tier, members in enumerate(names):
        below = [m for t in names[:tier] for m in t]
        for name in members:
            chosen: set[str] = set()
            if tier:
                chosen.add(rng.choice(names[tier - 1]))
                want = min(len(below), 1 + rng.choices(extra_counts, extra_weights)[0])
                while len(chosen) < want:
                    weights = [1.0 + dependents.get(m, 0) for m in below]
                    chosen.add(rng.choices(below, weights)[0])
            for d in chosen:
                dependents[d] = dependents.get(d, 0) + 1
            deps[name] = tuple(sorted(chosen))
    return deps


def dag_stats(deps: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    fan_out: dict[str, int] = dict.fromkeys(deps, 0)
    for ds in deps.values():
        for d in ds:
            fan_out[d] += 1
    level: dict[str, int] = {}
    for name in _topo(deps):
        level[name] = 1 + max((level[d] for d in deps[name]), default=-1)
    return {
        "packages": len(deps),
        "edges": sum(len(d) for d in deps.values()),
        "levels": 1 + max(level.values(), default=-1),
        "roots": sum(1 for d in deps.values() if not d),
        "leaves": sum(1 for v in fan_out.values() if v == 0),
        "max_fan_in": max((len(d) for d in deps.values()), default=0),
        "max_fan_out": max(fan_out.values(), default=0),
    }


def _topo(deps: Mapping[str, Sequence[str]]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()
    for start in deps:
        stack = [(start, iter(deps[start]))]
        if start in seen:
            continue
        seen.add(start)
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                order.append(node)
                stack.pop()
            elif nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(deps[nxt])))
    return order


# --- bounds and simulated schedules ----------------------------------------------------


@dataclass(frozen=True)
class Bound:
    critical_path: float
    work: float
    workers: int

    @property
    def value(self) -> float:
        return max(self.critical_path, self.work / self.workers)

    @property
    def binding(self) -> str:
        return "critical path" if self.critical_path >= self.work / self.workers else "work / N"


def critical_path(task_deps: Mapping[str, Sequence[str]], durations: Mapping[str, float]) -> float:
    """Longest chain of the stage-task DAG, each task weighted by its duration."""
    finish: dict[str, float] = {}
    for name in _topo(task_deps):
        finish[name] = durations.get(name, 0.0) + max(
            (finish[d] for d in task_deps[name]), default=0.0
        )
    return max(finish.values(), default=0.0)


def lower_bound(
    task_deps: Mapping[str, Sequence[str]], durations: Mapping[str, float], workers: int
) -> Bound:
    """No schedule on ``workers`` workers can finish sooner than this."""
    return Bound(
        critical_path(task_deps, durations), sum(durations.get(t, 0.0) for t in task_deps), workers
    )


def simulate_sequential(durations: Mapping[str, float]) -> float:
    """One package at a time, its stages one after another: the sum of all the work."""
    return sum(durations.values())


def lockstep_schedule(
    levels: Sequence[Sequence[str]],
    package_seconds: Mapping[str, float],
    workers: int,
) -> dict[str, float]:
    """Level-by-level lockstep (the spec's "before" picture): each package runs its whole
    pipeline on one worker; a level starts when every package of the previous one is done.
    Within a level, packages go longest first to the earliest free worker (generous to it).
    Returns when each package starts."""
    clock = 0.0
    starts: dict[str, float] = {}
    for level in levels:
        free = [clock] * min(workers, max(1, len(level)))
        for pkg in sorted(level, key=lambda p: -package_seconds[p]):
            starts[pkg] = heapq.heappop(free)
            heapq.heappush(free, starts[pkg] + package_seconds[pkg])
        clock = max(free)
    return starts


def simulate_lockstep(
    levels: Sequence[Sequence[str]],
    package_seconds: Mapping[str, float],
    workers: int,
) -> float:
    """The makespan of :func:`lockstep_schedule`."""
    starts = lockstep_schedule(levels, package_seconds, workers)
    return max((start + package_seconds[p] for p, start in starts.items()), default=0.0)


@dataclass
class SimSchedule:
    makespan: float
    start: dict[str, float]
    end: dict[str, float]


class _Hold:
    pass


_HOLD = _Hold()


def _product_ready(dispatcher: Any) -> Any:
    """The ready queue releasekit's runner gives doit (releasekit.engine.dispatch)."""
    from releasekit.engine.dispatch import prioritize

    prioritize(dispatcher)
    return dispatcher.ready


def simulate_doit(
    tasks: Sequence[Any],
    durations: Mapping[str, float],
    workers: int,
    *,
    selected: Sequence[str] = ("publish",),
    ready_factory: Callable[[Any], Any] | None = None,
) -> SimSchedule:
    """doit's own ``TaskDispatcher`` on ``tasks``, driven in virtual time with zero overhead.

    The loop mirrors ``doit.runner.MRunner.run_tasks``/``get_next_job`` (free-process
    accounting, "hold on", one result at a time), with every task selected to run and each
    taking ``durations[name]`` (0 for tasks not listed, e.g. group tasks).
    ``ready_factory(dispatcher)`` may replace the dispatcher's ready queue, to try another
    dispatch order.
    """
    from doit.control import TaskControl

    control = TaskControl(list(tasks))
    control.process(list(selected))
    dispatcher = control.task_dispatcher()
    if ready_factory is not None:
        dispatcher.ready = ready_factory(dispatcher)
    generator = dispatcher.generator
    state = {"free": 0}

    def next_job(completed: Any) -> Any:
        node = completed
        while True:
            try:
                node = generator.send(node)
            except StopIteration:
                return None
            if node == "hold on":
                state["free"] += 1
                return _HOLD
            if node.run_status is None:  # select_task: nothing is up to date here
                node.run_status = "run"
                return node
            raise AssertionError(f"unexpected re-dispatch of {node.task.name}")  # setup tasks only

    heap: list[tuple[float, int, Any]] = []
    start: dict[str, float] = {}
    end: dict[str, float] = {}
    seq = 0

    def launch(node: Any, now: float) -> None:
        nonlocal seq
        name = node.task.name
        start[name] = now
        seq += 1
        heapq.heappush(heap, (now + durations.get(name, 0.0), seq, node))

    procs = 0
    for _ in range(workers):
        job = next_job(None)
        if job is None:
            break
        procs += 1
        if job is not _HOLD:
            launch(job, 0.0)
    while procs:
        if not heap:
            raise AssertionError("every worker holds and nothing runs: the dispatcher is stuck")
        now, _, node = heapq.heappop(heap)
        node.run_status = "successful"
        end[node.task.name] = now
        free = state["free"] + 1
        state["free"] = 0
        completed: Any = node
        for _ in range(free):
            job = next_job(completed)
            completed = None
            if job is None:
                procs -= 1
            elif job is not _HOLD:
                launch(job, now)
    timed = [n for n in start if n in durations]
    makespan = max((end[n] for n in timed), default=0.0) - min(
        (start[n] for n in timed), default=0.0
    )
    return SimSchedule(makespan, start, end)


# --- the product's plan for a generated workspace -------------------------------------


@dataclass
class Setup:
    """A generated workspace and everything derived from it once."""

    root: Path
    ws: Any
    plan: Any
    deps: dict[str, tuple[str, ...]]
    task_deps: dict[str, tuple[str, ...]]
    sizes: dict[str, float]

    def durations(self, profile: Mapping[str, float], scale: float, seed: int) -> dict[str, float]:
        return task_durations(
            [(t.name, t.stage, t.package) for t in self.plan.tasks],
            profile,
            self.sizes,
            scale=scale,
            seed=seed,
        )

    def package_seconds(self, durations: Mapping[str, float]) -> dict[str, float]:
        out: dict[str, float] = dict.fromkeys(self.deps, 0.0)
        for t in self.plan.tasks:
            out[t.package] += durations[t.name]
        return out

    def settings(self, workers: int, run_id: str) -> Any:
        from releasekit.engine.settings import resolve

        return resolve(self.ws, concurrency=workers, environ={}, run_id=run_id)

    def doit_tasks(self, workers: int = 1) -> list[Any]:
        from releasekit.engine.pipeline import doit_tasks

        with sim_actions():
            return list(doit_tasks(self.plan, self.settings(workers, "sim"), self.ws))


def make_setup(root: Path, deps: Mapping[str, Sequence[str]], seed: int) -> Setup:
    """Write the workspace and compute the product's plan for it."""
    from releasekit.engine.plan import build_plan
    from releasekit.model.workspace import load_workspace

    write_workspace(root, deps)
    ws = load_workspace(root)
    # The dispatch of the pipeline after the staged gate: the gate itself (every trial before
    # the first upload) is measured end to end, with real uv, in benchmarks/e2e.py.
    plan = build_plan(ws, staged=False)
    return Setup(
        root=root,
        ws=ws,
        plan=plan,
        deps={k: tuple(v) for k, v in deps.items()},
        task_deps={t.name: t.task_dep for t in plan.tasks},
        sizes=package_sizes(sorted(deps), seed),
    )


@contextlib.contextmanager
def sim_actions() -> Iterator[None]:
    """Swap the product's stage actions for the simulated ones (main process only: the task
    dicts are built here and reference the functions by name, which is all spawn pickles)."""
    from releasekit.engine import pipeline

    with mock.patch.dict(pipeline.ACTIONS, _simbackend.ACTIONS):
        yield


# --- real runs on doit's runner --------------------------------------------------------


@dataclass(frozen=True)
class RealRun:
    """One run of the plan on doit's process runner, timed by the actions themselves."""

    workers: int
    start_method: str
    makespan: float  # first action start -> last action end
    wall: float  # execute() from call to return: doit start-up and shutdown included
    startup: float  # execute() called -> first action started
    ramp: float  # first action started -> the last worker's first action started
    first_upload: float  # first action started -> first upload started
    busy: float  # sum of the measured action durations
    gap_ms: float  # mean idle time of a worker between two of its actions
    tasks: int
    ok: bool
    load: float  # 1-minute load average when the run started (the machine may be shared)


def run_real(
    setup: Setup,
    durations: Mapping[str, float],
    workers: int,
    *,
    start_method: str = DEFAULT_START_METHOD,
    peak: bool = True,
) -> RealRun:
    """One ``releasekit.engine.runner.execute`` of the plan with the simulated actions
    (``peak``: each records its worker's peak RSS, for the memory benchmark)."""
    from releasekit.engine.events import iter_events
    from releasekit.engine.prepared import Prepared
    from releasekit.engine.runner import execute

    settings = setup.settings(workers, f"bench-{workers}-{start_method}-{time.time_ns()}")
    state = Path(settings.state_dir)
    for db in state.glob("doit-*.sqlite3*"):
        db.unlink()
    _simbackend.write_durations(state, dict(durations), peak=peak)
    load = os.getloadavg()[0]
    with sim_actions():
        began = time.time()
        result = execute(Prepared(setup.ws, setup.plan, settings), start_method=start_method)
        returned = time.time()
    events = [e for e in iter_events(settings.events_path) if e.get("event") == "sim"]
    if not events:
        raise RuntimeError(f"no action ran ({result.counts()}, doit status {result.doit_status})")
    t0 = min(float(e["t0"]) for e in events)
    t1 = max(float(e["t1"]) for e in events)
    spans: dict[int, list[tuple[float, float]]] = {}
    for e in events:
        spans.setdefault(int(e["pid"]), []).append((float(e["t0"]), float(e["t1"])))
    gaps: list[float] = []
    for worker in spans.values():
        worker.sort()
        gaps.extend(b[0] - a[1] for a, b in itertools.pairwise(worker))
    return RealRun(
        workers=workers,
        start_method=start_method,
        makespan=t1 - t0,
        wall=returned - began,
        startup=t0 - began,
        ramp=max(w[0][0] for w in spans.values()) - t0,
        first_upload=min(float(e["t0"]) for e in events if e["stage"] == "upload") - t0,
        busy=sum(float(e["t1"]) - float(e["t0"]) for e in events),
        gap_ms=1000 * statistics.fmean(gaps) if gaps else 0.0,
        tasks=len(events),
        ok=result.ok and len(events) == len(durations),
        load=load,
    )


# --- the benchmark ---------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    packages: int = 200
    seed: int = 7
    workers: tuple[int, ...] = (4, 8)
    repeats: int = 3
    scale: float = 0.1
    profiles: tuple[str, ...] = ("local index", "index lag")
    start_method: str = DEFAULT_START_METHOD  # the product's default
    #: Also run the first profile at the largest N under these start methods.
    other_start_methods: tuple[str, ...] = tuple(m for m in START_METHODS if m != DEFAULT_START_METHOD)


QUICK = Config(
    packages=60, repeats=1, scale=0.05, profiles=("local index",), other_start_methods=()
)


def quick_requested(argv: Sequence[str] | None = None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return "--quick" in args or os.environ.get("RELEASEKIT_BENCH_QUICK", "") not in ("", "0")


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    """Every figure of the benchmark as plain data."""
    deps = random_dag(config.packages, config.seed)
    setup = make_setup(workdir / "ws", deps, config.seed)
    out: dict[str, Any] = {
        "config": asdict(config),
        "dag": dag_stats(deps),
        "stage_tasks": len(setup.plan.tasks),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "profiles": {},
    }
    for index, profile_name in enumerate(config.profiles):
        profile = PROFILES[profile_name]
        durations = setup.durations(profile, config.scale, config.seed)
        package_seconds = setup.package_seconds(durations)
        entry: dict[str, Any] = {
            "stage_seconds": {
                s: statistics.median(v for k, v in durations.items() if k.startswith(f"{s}:"))
                for s in profile
            },
            "work": sum(durations.values()),
            "rows": [],
        }
        methods = [config.start_method]
        for n in config.workers:
            if index == 0 and n == max(config.workers):
                methods = [config.start_method, *config.other_start_methods]
            bound = lower_bound(setup.task_deps, durations, n)
            # doit releases the dependents of a finished task in set order (object ids), so
            # ties fall differently from run to run: simulate a few times, keep the median.
            doit_runs = [
                simulate_doit(setup.doit_tasks(), durations, n, ready_factory=_product_ready).makespan
                for _ in range(5)
            ]
            fifo_runs = [simulate_doit(setup.doit_tasks(), durations, n).makespan for _ in range(5)]
            simulated = {
                "doit_order": statistics.median(doit_runs),
                "doit_order_runs": doit_runs,
                "doit_fifo": statistics.median(fifo_runs),
                "lockstep": simulate_lockstep(setup.plan.levels, package_seconds, n),
                "sequential": simulate_sequential(durations),
            }
            for method in methods:
                runs = [
                    run_real(setup, durations, n, start_method=method, peak=False)
                    for _ in range(config.repeats)
                ]
                entry["rows"].append(
                    {
                        "workers": n,
                        "start_method": method,
                        "bound": {**asdict(bound), "value": bound.value, "binding": bound.binding},
                        "simulated": simulated,
                        "real": [asdict(r) for r in runs],
                    }
                )
        out["profiles"][profile_name] = entry
    return out


def _spread(values: Sequence[float], fmt: str) -> str:
    """Median [min-max] of the repetitions."""
    med, lo, hi = (format(v, fmt) for v in (statistics.median(values), min(values), max(values)))
    return med if len(values) == 1 else f"{med} [{lo}-{hi}]"


def extrapolated(real: float, simulated: float, bound: float, scale: float) -> float:
    """The ratio at unscaled stage durations, if the runner's overhead (real minus simulated
    doit order: start-up and per-task dispatch) does not grow with the durations."""
    overhead = max(0.0, real - simulated)
    return (simulated / scale + overhead) / (bound / scale)


INTRO = """\
## Scheduling: makespan against the lower bound

A seeded random DAG of {packages} packages ({edges} edges, {levels} levels, {roots} roots,
{leaves} leaves, max fan-in {max_fan_in}, max fan-out {max_fan_out}) is written as a workspace,
and `build_plan` turns it into {stage_tasks} stage tasks. Every stage action is replaced by one
that sleeps (`benchmarks/_simbackend.py`); everything else is the product: the task dicts of
`releasekit.engine.pipeline` and `releasekit.engine.runner.execute` on doit's process runner. Stage durations
are the measurements of notes/test-harness.md §7 times {scale:g}, varied per package (a
log-normal size factor on build, upload, verify and smoke).

- **lower bound** = max(critical path of the stage-task DAG, total work / N);
- **real** = makespan from the actions' own timestamps (first start to last end) divided by the
  lower bound, median [min-max] of {repeats};
- **at real durations** = *real* extrapolated to unscaled durations, assuming the runner's
  overhead (real minus simulated dispatch order) does not grow with them;
- **dispatch order, simulated** = doit's own `TaskDispatcher`, with the priority queue
  releasekit gives it (`releasekit/engine/dispatch.py`: highest bottom level first), driven in
  virtual time with zero overhead: what the dispatch order alone costs (median of 5: doit
  breaks ties in set order); **doit FIFO** = the same with doit's own first-in first-out queue;
- **lockstep** (each package's whole pipeline, level by level, a barrier between levels) and
  **sequential** (one package at a time) are simulated with the same durations;
- **wall** = `execute()` from call to return (doit start-up, worker start and shutdown included);
  **start-up** = until the first action starts; **gap** = mean idle time of a worker between
  two of its actions.

Target: real <= {target:.2f}x the lower bound.
"""

HEADER = (
    "| N | start method | lower bound (s) | real | at real durations | dispatch order, simulated "
    "| doit FIFO, simulated | lockstep, simulated | sequential, simulated | wall (s) "
    "| start-up (s) | gap (ms) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _row(row: Mapping[str, Any], scale: float) -> str:
    b = row["bound"]["value"]
    real = row["real"]
    sim = row["simulated"]
    ratios = [r["makespan"] / b for r in real]
    verdict = "" if statistics.median(ratios) <= TARGET else " (misses)"
    failed = "" if all(r["ok"] for r in real) else " (a run FAILED)"
    at_scale = extrapolated(
        statistics.median(r["makespan"] for r in real), sim["doit_order"], b, scale
    )
    cells = [
        str(row["workers"]),
        row["start_method"],
        f"{b:.2f} ({row['bound']['binding']})",
        f"**{_spread(ratios, '.3f')}x**{verdict}{failed}",
        f"{at_scale:.3f}x",
        f"{sim['doit_order'] / b:.3f}x",
        f"{sim['doit_fifo'] / b:.3f}x" if "doit_fifo" in sim else "-",
        f"{sim['lockstep'] / b:.3f}x",
        f"{sim['sequential'] / b:.2f}x",
        _spread([r["wall"] for r in real], ".2f"),
        f"{statistics.median(r['startup'] for r in real):.2f}",
        f"{statistics.median(r['gap_ms'] for r in real):.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def render(data: Mapping[str, Any]) -> str:
    """The markdown section for docs/benchmarks.md."""
    cfg = data["config"]
    lines = [
        INTRO.format(
            **data["dag"],
            stage_tasks=data["stage_tasks"],
            scale=cfg["scale"],
            repeats=f"{cfg['repeats']} run{'s' if cfg['repeats'] != 1 else ''}",
            target=TARGET,
        )
    ]
    for name, entry in data["profiles"].items():
        stages = ", ".join(
            f"{k} {v * 1000:.{0 if v >= 0.01 else 1}f}" for k, v in entry["stage_seconds"].items()
        )
        lines += [
            f"### Profile: {name}",
            "",
            f"Median stage durations (ms): {stages}. Total work {entry['work']:.1f} s.",
            "",
            HEADER,
            *(_row(row, cfg["scale"]) for row in entry["rows"]),
            "",
        ]
        default = cfg["start_method"]
        runs = [r for row in entry["rows"] for r in row["real"] if row["start_method"] == default]
        if runs:
            share = statistics.median(r["first_upload"] / r["makespan"] for r in runs)
            lines += [
                f"The first upload starts at {share:.0%} of the makespan (median, {default} runs). "
                "With doit's own first-in first-out queue it started at 67% (local index) and 31% "
                "(index lag): every build found while exploring the graph was handed out before "
                "any upload that became ready later.",
                "",
            ]
    loads = [r["load"] for e in data["profiles"].values() for row in e["rows"] for r in row["real"]]
    lines += [
        f"Machine: {data['cpus']} CPUs, Python {data['python']}; 1-minute load average when the "
        f"runs started: {min(loads):.1f}-{max(loads):.1f} (the machine may be shared: compare rows "
        "of one table). Raw figures: `benchmarks/results/scheduling.json`.",
        "",
    ]
    return "\n".join(lines)


def run(config: Config | None = None) -> str:
    """Measure, save the raw results, return the markdown section."""
    import multiprocessing

    config = config or (QUICK if quick_requested() else Config())
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        with tempfile.TemporaryDirectory(prefix="rk-bench-sched-") as tmp:
            data = measure(config, Path(tmp))
    finally:  # execute() sets the start method for the whole process: leave it as it was
        multiprocessing.set_start_method(method, force=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scheduling.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return render(data)


def main() -> None:
    started = time.monotonic()
    print(run())
    print(f"(scheduling benchmark: {time.monotonic() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    import importlib

    sys.path.insert(0, str(ROOT))
    # Run the importable module, not __main__, so spawn pickles the actions by that name.
    importlib.import_module("benchmarks.scheduling").main()
