"""The benchmarks' pure parts on tiny inputs: a wrong bound or simulation would make every
figure in docs/benchmarks.md wrong, so they get real properties here (no timing)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _simbackend, e2e, scheduling
from benchmarks.scheduling import (
    LAGGED,
    LOCAL,
    Setup,
    critical_path,
    lower_bound,
    make_setup,
    random_dag,
    simulate_doit,
    simulate_lockstep,
    simulate_sequential,
)

EPS = 1e-9


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A 14-package random workspace and the product's plan for it."""
    return make_setup(tmp_path_factory.mktemp("sched") / "ws", random_dag(14, seed=3), seed=3)


def test_random_dag_is_seeded_acyclic_and_tiered() -> None:
    dag = random_dag(200, seed=7)
    assert dag == random_dag(200, seed=7)
    assert dag != random_dag(200, seed=8)
    assert len(dag) == 200
    assert all(d in dag and d != n for n, ds in dag.items() for d in ds)
    # Every dependency was created earlier, so the graph cannot have a cycle.
    position = {n: i for i, n in enumerate(dag)}
    assert all(position[d] < position[n] for n, ds in dag.items() for d in ds)
    stats = scheduling.dag_stats(dag)
    assert (
        stats["levels"] == 8
    )  # one dependency in the tier just below: chains as deep as the tiers
    assert stats["max_fan_out"] >= 10  # preferential attachment grows hubs
    assert stats["roots"] >= 1 and stats["leaves"] >= 20


def test_plan_and_durations_cover_every_stage_task(tiny: Setup) -> None:
    assert len(tiny.plan.tasks) == 7 * len(tiny.deps)
    durations = tiny.durations(LOCAL, scale=0.1, seed=3)
    assert set(durations) == set(tiny.task_deps)
    assert all(v > 0 for v in durations.values())
    # Bigger packages build slower; the lagged profile only lengthens polls.
    lagged = tiny.durations(LAGGED, scale=0.1, seed=3)
    assert all(lagged[t] == durations[t] for t in durations if not t.startswith("poll:"))
    assert all(lagged[t] > 100 * durations[t] for t in durations if t.startswith("poll:"))


def test_critical_path_on_a_hand_made_chain() -> None:
    deps = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}
    durations = {"a": 1.0, "b": 5.0, "c": 2.0, "d": 1.0}
    assert critical_path(deps, durations) == pytest.approx(7.0)
    bound = lower_bound(deps, durations, workers=1)
    assert bound.value == pytest.approx(9.0) and bound.binding == "work / N"
    assert lower_bound(deps, durations, workers=4).binding == "critical path"


@pytest.mark.parametrize("profile", [LOCAL, LAGGED], ids=["local", "lagged"])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_lower_bound_never_exceeds_a_simulated_schedule(
    tiny: Setup, profile: Mapping[str, float], workers: int
) -> None:
    durations = tiny.durations(profile, scale=0.1, seed=5)
    bound = lower_bound(tiny.task_deps, durations, workers).value
    doit = simulate_doit(tiny.doit_tasks(), durations, workers).makespan
    lockstep = simulate_lockstep(tiny.plan.levels, tiny.package_seconds(durations), workers)
    sequential = simulate_sequential(durations)
    assert bound <= doit + EPS
    assert bound <= lockstep + EPS
    assert bound <= sequential + EPS
    # A level's packages on N >= 1 workers never take longer than one after another.
    assert lockstep <= sequential + EPS
    assert sequential == pytest.approx(sum(durations.values()))


def test_doit_simulation_respects_dependencies_and_worker_count(tiny: Setup) -> None:
    durations = tiny.durations(LAGGED, scale=0.1, seed=5)
    workers = 3
    schedule = simulate_doit(tiny.doit_tasks(), durations, workers)
    assert set(durations) <= set(schedule.start)
    for task, deps in tiny.task_deps.items():
        assert schedule.end[task] == pytest.approx(schedule.start[task] + durations[task])
        for dep in deps:
            assert schedule.start[task] >= schedule.end[dep] - EPS, (
                f"{task} started before {dep} ended"
            )
    # At no instant do more tasks run than there are workers.
    for t in schedule.start.values():
        running = sum(1 for n in durations if schedule.start[n] <= t < schedule.end[n])
        assert running <= workers


def test_unlimited_workers_reach_the_critical_path_and_lockstep_cannot(tiny: Setup) -> None:
    """With a worker per task, dependency-triggered dispatch is the as-soon-as-possible schedule,
    which is exactly as long as the critical path; lockstep waits at every level barrier."""
    durations = tiny.durations(LAGGED, scale=0.1, seed=5)
    many = len(durations) + 10
    doit = simulate_doit(tiny.doit_tasks(), durations, many).makespan
    assert doit == pytest.approx(critical_path(tiny.task_deps, durations))
    lockstep = simulate_lockstep(tiny.plan.levels, tiny.package_seconds(durations), many)
    assert lockstep >= doit - EPS


def test_lockstep_loses_to_dependency_triggered_on_the_specs_example(tmp_path: Path) -> None:
    """The spec's picture: D needs only A, but lockstep makes it wait for slow C as well."""
    deps = {"pa": (), "pb": (), "pc": (), "pd": ("pa",), "pe": ("pb",), "pf": ("pd", "pe")}
    setup = make_setup(tmp_path / "ws", deps, seed=1)
    durations = {t.name: 0.1 for t in setup.plan.tasks}
    durations["build:pc"] = 5.0
    workers = 6
    runs = {
        round(simulate_doit(setup.doit_tasks(), durations, workers).makespan, 9) for _ in range(5)
    }
    assert len(runs) == 1  # no ties that set order could break differently here
    doit = runs.pop()
    lockstep = simulate_lockstep(setup.plan.levels, setup.package_seconds(durations), workers)
    # One wave of 0.1 s tasks (builds and probes of pa and pb come first in doit's order), then
    # pc's chain: build 5.0 + upload, poll, verify, smoke, publish. Everything else overlaps.
    assert doit == pytest.approx(5.6)
    # Lockstep: pc's whole pipeline (5.6), then pd and pe (0.7), then pf (0.7).
    assert lockstep == pytest.approx(7.0)


def test_lockstep_simulation_by_hand() -> None:
    levels = [["a", "b", "c"], ["d"]]
    seconds = {"a": 3.0, "b": 2.0, "c": 2.0, "d": 1.0}
    assert simulate_lockstep(levels, seconds, 2) == pytest.approx(5.0)  # a | b, c ; then d
    assert simulate_lockstep(levels, seconds, 1) == pytest.approx(8.0)


def test_a_different_ready_queue_can_be_plugged_into_the_simulation(tiny: Setup) -> None:
    """The hook used to try other dispatch orders: any deque-like object works."""

    class Lifo:
        def __init__(self, dispatcher: Any) -> None:
            self.items: list[Any] = []

        def append(self, node: Any) -> None:
            self.items.append(node)

        def popleft(self) -> Any:
            return self.items.pop()

        def __bool__(self) -> bool:
            return bool(self.items)

    durations = tiny.durations(LOCAL, scale=0.1, seed=5)
    schedule = simulate_doit(tiny.doit_tasks(), durations, 2, ready_factory=Lifo)
    assert set(durations) <= set(schedule.start)
    assert schedule.makespan >= lower_bound(tiny.task_deps, durations, 2).value - EPS


def test_sim_actions_replace_every_stage_of_the_product(tiny: Setup) -> None:
    from releasekit.engine import pipeline

    before = dict(pipeline.ACTIONS)
    tasks = tiny.doit_tasks()
    assert before == pipeline.ACTIONS  # restored
    build = next(t for t in tasks if t.name.startswith("build:"))
    assert build.actions[0].py_callable is _simbackend.ACTIONS["build"]
    stage_of = {t.name: t.name.split(":")[0] for t in tasks if ":" in t.name}
    for task in tasks:
        if task.name in stage_of:
            assert task.actions[0].py_callable is _simbackend.ACTIONS[stage_of[task.name]]


def test_extrapolation_removes_overhead_in_proportion() -> None:
    assert scheduling.extrapolated(
        real=11.0, simulated=10.0, bound=10.0, scale=0.1
    ) == pytest.approx(1.01)
    assert scheduling.extrapolated(
        real=10.0, simulated=10.0, bound=10.0, scale=1.0
    ) == pytest.approx(1.0)


def test_render_reports_every_row(tiny: Setup) -> None:
    real = {
        "makespan": 1.1,
        "wall": 2.0,
        "startup": 0.3,
        "ramp": 0.1,
        "first_upload": 0.5,
        "busy": 3.0,
        "gap_ms": 1.0,
        "tasks": 98,
        "ok": True,
        "load": 1.0,
        "workers": 4,
        "start_method": "spawn",
    }
    row = {
        "workers": 4,
        "start_method": "spawn",
        "bound": {"value": 1.0, "binding": "work / N"},
        "simulated": {"doit_order": 1.0, "lockstep": 1.2, "sequential": 4.0},
        "real": [real, real],
    }
    data = {
        "config": {"scale": 0.1, "repeats": 2, "start_method": "spawn"},
        "dag": scheduling.dag_stats(tiny.deps),
        "stage_tasks": 98,
        "python": "3.11",
        "cpus": 2,
        "profiles": {"local index": {"stage_seconds": {"build": 0.1}, "work": 4.0, "rows": [row]}},
    }
    text = scheduling.render(data)
    assert "| 4 | spawn | 1.00 (work / N) | **1.100 [1.100-1.100]x** |" in text
    assert "1.200x" in text and "4.00x" in text
    assert "first upload starts at 45% of the makespan" in text


def test_e2e_workspace_shape() -> None:
    order = e2e.topological(e2e.PACKAGES)
    assert len(order) == 12 == len(set(order))
    position = {n: i for i, n in enumerate(order)}
    assert all(position[d] < position[n] for n, ds in e2e.PACKAGES.items() for d in ds)
    # A diamond: top reaches core along two paths.
    assert set(e2e.PACKAGES["rkb-top"]) == {"rkb-left", "rkb-right"}
    assert e2e.PACKAGES["rkb-left"] == e2e.PACKAGES["rkb-right"] == ("rkb-core",)
    # The longest chain has five packages.
    depth: dict[str, int] = {}
    for n in order:
        depth[n] = 1 + max((depth[d] for d in e2e.PACKAGES[n]), default=0)
    assert max(depth.values()) == 5
    assert set(e2e.QUICK_PACKAGES) <= set(e2e.PACKAGES)
    assert all(d in e2e.QUICK_PACKAGES for n in e2e.QUICK_PACKAGES for d in e2e.PACKAGES[n])


def test_quick_mode_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELEASEKIT_BENCH_QUICK", raising=False)
    for module in (scheduling, e2e):
        assert module.quick_requested(["--quick"])
        assert not module.quick_requested([])
    monkeypatch.setenv("RELEASEKIT_BENCH_QUICK", "1")
    assert scheduling.quick_requested([]) and e2e.quick_requested([])


def test_modules_expose_the_runner_contract() -> None:
    from benchmarks import timeline

    for module in (scheduling, e2e, timeline):
        assert callable(module.run)
        assert module.run.__annotations__.get("return") in ("str", str)
    assert not hasattr(_simbackend, "run")


def test_the_timeline_picture_draws_both_schedules_from_events(tiny: Setup, tmp_path: Path) -> None:
    """docs/benchmarks.md's picture: lockstep and the dispatch order as the events a run writes,
    drawn by the report's renderer; the section replaces itself in the document."""
    from benchmarks import timeline
    from releasekit.engine.runfile import RunFiles
    from releasekit.report.load import interpret
    from releasekit.report.rows import timeline as rows
    from releasekit.report.svg import document

    durations = tiny.durations(LAGGED, scale=0.1, seed=3)
    plan = {"plan": tiny.plan.to_json(), "concurrency": timeline.WORKERS}
    lockstep = interpret(RunFiles(tmp_path, "l", timeline.lockstep_events(tiny, durations), None, plan))
    expected = simulate_lockstep(tiny.plan.levels, tiny.package_seconds(durations), timeline.WORKERS)
    assert lockstep.totals.makespan == pytest.approx(expected)
    ordered = interpret(RunFiles(tmp_path, "d", timeline.dispatch_events(tiny, durations), None, plan))
    assert len(ordered.spans) == len(tiny.plan.tasks) and ordered.totals.makespan <= expected + EPS
    picture = document([("lockstep", rows(lockstep, max_rows=3)), ("dispatch", rows(ordered, max_rows=3))], "t")
    assert picture.count(">level 0</text>") == 2 and "lockstep" in picture and "dispatch" in picture
    doc = "# B\n\n## Other\n\ntext\n"
    once = timeline.splice(doc, "## Timeline: dependency-triggered against lockstep\n\nv1\n")
    twice = timeline.splice(once, "## Timeline: dependency-triggered against lockstep\n\nv2\n")
    assert twice == doc + "\n## Timeline: dependency-triggered against lockstep\n\nv2\n"
    middle = timeline.splice(twice + "\n## Later\n\nx\n", "## Timeline: dependency-triggered against lockstep\n\nv3\n")
    assert "v3" in middle and "v2" not in middle and middle.endswith("## Later\n\nx\n")
