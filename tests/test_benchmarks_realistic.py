"""The realistic and memory benchmarks' pure parts: the generated workspace's shape (and the
product's plan of it), the floor and ratio arithmetic, the critical path, the peak sampler."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _realworkspace as shapes
from benchmarks import memory, realistic
from benchmarks._e2ecommon import Entry, cell, topological
from benchmarks._peakrss import PeakSampler
from benchmarks.scheduling import critical_path

MEMBERS = shapes.shape()


def test_the_workspace_has_the_shape_of_the_real_ones() -> None:
    assert len(MEMBERS) == 60
    plugins = [m for m in MEMBERS.values() if m.folder == "plugins"]
    samples = [m for m in MEMBERS.values() if m.folder == "samples"]
    assert len(plugins) == 30 and all(shapes.CORE in m.deps and m.namespace for m in plugins)
    assert len(samples) == 12 and not any(m.released for m in samples)
    deps = shapes.release_deps(MEMBERS)
    assert len(deps) == 48
    assert Counter(shapes.levels(deps).values()) == {0: 2, 1: 31, 2: 11, 3: 4}
    # Extras point back at members that depend on the package carrying them.
    plugin_names = {m.name for m in plugins}
    assert set(MEMBERS[shapes.BATTERIES].extras["all"]) == plugin_names
    (otel,) = MEMBERS[shapes.CORE].extras["otel"]
    assert shapes.CORE in MEMBERS[otel].deps
    assert max(len(n) for n in MEMBERS) > 40
    assert {t for m in MEMBERS.values() for t in m.third_party} == set(shapes.THIRD_PARTY)
    assert shapes.shape(60) == MEMBERS and shapes.shape(61) != MEMBERS


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("realistic") / "ws"
    return shapes.write(root, MEMBERS, "1.2.3", publish_url="http://127.0.0.1:9/",
                        check_url="http://127.0.0.1:9/simple/")


def test_a_namespace_plugin_is_packed_with_only_include(tree: Path) -> None:
    name = f"{shapes.PREFIX}-plugin-{shapes.PLUGINS[0]}"
    member = MEMBERS[name]
    manifest = (tree / member.path / "pyproject.toml").read_text(encoding="utf-8")
    assert f'only-include = ["src/rkbench/plugins/{shapes.PLUGINS[0].replace("-", "_")}"]' in manifest
    assert 'dependencies = ["rkbench-core>=1.2.3"' in manifest
    assert not (tree / member.path / "src" / "rkbench" / "__init__.py").exists()
    init = (tree / member.path / member.source_dir / "__init__.py").read_text(encoding="utf-8")
    assert "import rkbench.core" in init and '__version__ = "1.2.3"' in init


def test_releasekit_plans_the_generated_tree(tree: Path) -> None:
    plan = realistic.plan_json(tree, staged=True)
    assert [len(level) for level in plan["levels"]] == [2, 31, 11, 4]
    assert len(plan["packages"]) == 48
    assert len(plan["skipped"]) == 12 and all("exclude" in s["reason"] for s in plan["skipped"])
    task_deps = realistic.task_deps(plan)
    assert "gate" in task_deps and len(task_deps) == 48 * 8 + 1  # build stage trial probe upload poll verify publish
    unstaged = realistic.task_deps(realistic.plan_json(tree, staged=False))
    assert not any(t.startswith("trial:") for t in unstaged) and any(t.startswith("smoke:") for t in unstaged)


def test_the_loop_goes_in_topological_order(tree: Path) -> None:
    entries = realistic.loop_entries(tree, MEMBERS)
    position = {e.name: i for i, e in enumerate(entries)}
    assert len(entries) == 48
    assert all(position[d] < position[e.name] for e in entries for d in MEMBERS[e.name].deps)
    core = entries[position[shapes.CORE]]
    assert core.word() == f"{shapes.CORE}:{tree / 'packages' / shapes.CORE}:rkbench.core:{shapes.CORE}"
    assert topological({"b": ("a",), "a": ()}) == ["a", "b"]
    assert Entry("x", Path("/p"), "m", ("x", "y")).word() == "x:/p:m:x,y"


def test_critical_path_over_stage_tasks_counts_unmeasured_tasks_as_zero() -> None:
    task_deps = {
        "build:a": (), "build:b": (), "gate": ("build:a", "build:b"),
        "upload:a": ("gate",), "upload:b": ("gate", "upload:a"),
    }
    seconds = {"build:a": 3.0, "build:b": 1.0, "upload:a": 0.5, "upload:b": 0.25}
    assert critical_path(task_deps, seconds) == pytest.approx(3.75)


def _row(config: str, wall: float, rep: int = 0, cpu: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"config": config, "wall": wall, "rep": rep, "cpu": cpu, "ok": True, "stages": {}, **extra}


def test_floor_and_ratios_are_taken_within_one_repetition() -> None:
    assert realistic.floor(120.0, 2) == pytest.approx(60.0)
    assert realistic.floor(5.0, 0) == pytest.approx(5.0)
    rows = [
        _row("loop", 100.0, 0, cpu=120.0), _row(realistic.AUTO, 70.0, 0, critical_path=35.0),
        _row("loop", 200.0, 1, cpu=160.0), _row(realistic.AUTO, 100.0, 1),
        _row("xargs", 90.0, 0), _row("xargs", 95.0, 1),
    ]
    got = realistic.ratios(rows, cores=2)
    assert got[realistic.AUTO]["floor"] == pytest.approx([60.0, 80.0])
    assert got[realistic.AUTO]["vs_floor"] == pytest.approx([70.0 / 60.0, 100.0 / 80.0])
    assert got[realistic.AUTO]["vs_loop"] == pytest.approx([0.7, 0.5])
    assert got[realistic.AUTO]["vs_cp"] == pytest.approx([2.0])
    verdicts = dict(realistic.goals(rows, cores=2))
    assert verdicts["releasekit auto makespan <= 1.25x the floor"] is True  # median 1.208
    assert verdicts["releasekit auto ahead of the loop"] is True
    assert verdicts["releasekit auto ahead of xargs"] is False  # 100 s against 95 s in rep 2
    assert dict(realistic.goals([_row("loop", 1.0, cpu=1.0)], cores=2))["releasekit auto ahead of the loop"] is None


def test_render_reports_every_configuration_and_the_goals() -> None:
    rows = [
        {**_row("loop", 100.0, cpu=120.0), "index_cpu": 5.0, "peak_rss_mib": {}, "detail": "",
         "stages": {"build": [1.0, 2.0, 9.0]}},
        {**_row(realistic.AUTO, 70.0, cpu=90.0), "index_cpu": 6.0, "critical_path": 35.0, "detail": "", "workers": 3,
         "peak_rss_mib": {"orchestrator": 47.0, "worker": 38.0}},
        {**_row("releasekit -n 1", 150.0, cpu=100.0), "index_cpu": 6.0, "peak_rss_mib": {}, "ok": False,
         "detail": "RK1 boom"},
    ]
    data = {"config": {"repeats": 1, "configs": ["loop", realistic.AUTO], "once": ["releasekit -n 1"]},
            "members": 60, "released": 48, "levels": 4, "uv": "uv 0.13.9", "cpus": 2, "load_start": 0.5,
            "load_end": 1.5, "rows": rows}
    text = realistic.render(data)
    assert f"| {realistic.AUTO} (3 workers) | 70.00 | 1.17x | 0.70x | 90.0 | 6.0 | 2.00x | yes |" in text
    assert "| releasekit -n 1 | 150.00 | 2.50x | 1.50x | 100.0 | 6.0 | - | NO: RK1 boom |" in text
    assert f"| {realistic.AUTO} | 47 | 38 |" in text
    assert "| build | 2.000 | - | - |" in text
    assert "Load average\n0.50 at the start, 1.50 at the end" in text
    assert "- releasekit auto makespan <= 1.25x the floor: met" in text


def test_full_mode_runs_fixed_counts_once_and_quick_mode_only_three() -> None:
    full = realistic.Config()
    assert full.labels(0)[0] == "loop" and "releasekit -n 2" in full.labels(0)
    assert "releasekit -n 2" not in full.labels(1) and realistic.AUTO in full.labels(1)
    assert realistic.QUICK.labels(0) == ("loop", "xargs", realistic.AUTO) and realistic.QUICK.repeats == 1
    assert set(full.labels(0)) - {"loop", "xargs"} == set(realistic.RELEASEKIT)


def test_cell_is_median_min_max() -> None:
    assert cell([3.0, 1.0, 2.0]) == "2.00 [1.00-3.00]" and cell([1.0]) == "1.00" and cell([]) == "-"


def test_peak_sampler_sees_the_process_and_its_children_apart(tmp_path: Path) -> None:
    """A parent that holds ~8 MiB and a child that holds ~80 MiB: the parent's peak must not be the child's."""
    script = (
        "import subprocess, sys, time\n"
        "small = bytearray(8 << 20)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; big = bytearray(80 << 20); time.sleep(0.8)'])\n"
        "child.wait()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    sampler = PeakSampler(proc.pid, interval=0.05)
    proc.wait()
    peaks = sampler.stop()
    assert peaks["worker"] >= 80
    assert 8 <= peaks["orchestrator"] < 60


def test_memory_goal_and_render() -> None:
    rows = [
        {"packages": 60, "tasks": 420, "planned_mib": 33.0, "orchestrator_mib": 46.0, "worker_mib": 45.0,
         "seconds": 4.0, "ok": True},
        {"packages": 1000, "tasks": 7000, "planned_mib": 42.0, "orchestrator_mib": 110.0, "worker_mib": 84.0,
         "seconds": 20.0, "ok": True},
    ]
    assert memory.goal_met(rows) is False
    assert memory.goal_met([{**rows[1], "orchestrator_mib": 90.0}]) is True
    assert memory.goal_met([{"packages": 1000, "ok": False}]) is None
    text = memory.render({"rows": [*rows, {"packages": 5, "ok": False, "detail": "boom"}]})
    assert "| 1000 | 7000 | 42 | 110 | 84 | 20.0 | yes |" in text and "NO: boom" in text
    assert "**not met**" in text


def test_the_modules_are_benchmarks() -> None:
    from benchmarks.run import discover

    assert {"realistic", "memory"} <= set(discover())
    assert "_realworkspace" not in discover() and "_e2ecommon" not in discover()
    for module in (realistic, memory):
        assert callable(module.run)


def test_own_peak_is_not_the_parents() -> None:
    """A child of a 100 MiB parent: ru_maxrss would say >= 100 MiB, VmHWM says its own size."""
    script = (
        "import subprocess, sys\n"
        "big = bytearray(100 << 20)\n"
        "code = 'import resource; from benchmarks._peakrss import own_peak_mib; "
        "print(own_peak_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)'\n"
        "print(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout)\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    own, maxrss = map(float, done.stdout.split())
    assert own < 60, (own, maxrss)
