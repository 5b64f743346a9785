"""The dispatch policy: a free worker takes the ready task with the longest chain after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from doit.control import TaskControl
from doit.task import Task

from benchmarks import scheduling
from releasekit.engine.dispatch import PriorityReady, bottom_levels, prioritize
from releasekit.engine.stages import BY_NAME, weight


def test_bottom_level_is_weight_plus_heaviest_chain_after() -> None:
    deps = {
        "build:a": [],
        "upload:a": ["build:a"],
        "verify:a": ["upload:a"],
        "upload:b": ["verify:a"],
        "build:c": [],
    }
    level = bottom_levels(deps)
    w = {name: stage.weight for name, stage in BY_NAME.items()}
    assert level["upload:b"] == w["upload"]
    assert level["verify:a"] == w["verify"] + w["upload"]
    assert level["build:a"] == w["build"] + w["upload"] + w["verify"] + w["upload"]
    assert level["build:c"] == w["build"]
    assert weight("plan") == 0.0 and weight("nosuch:x") == 0.0


def test_a_deep_chain_does_not_recurse() -> None:
    deps = {f"upload:p{i}": [f"upload:p{i - 1}"] if i else [] for i in range(20000)}
    assert bottom_levels(deps)["upload:p0"] == pytest.approx(20000 * BY_NAME["upload"].weight)


class _Node:
    def __init__(self, name: str) -> None:
        self.task = Task(name, None)


def test_priority_ready_pops_highest_first_and_keeps_order_among_equals() -> None:
    ready = PriorityReady({"x": 1.0, "y": 5.0, "z": 1.0})
    for name in ("x", "z", "y", "unknown"):
        ready.append(_Node(name))
    assert len(ready) == 4 and ready
    assert [ready.popleft().task.name for _ in range(4)] == ["y", "x", "z", "unknown"]
    assert not ready


def test_uploads_start_early_on_the_products_own_tasks(tmp_path: Path) -> None:
    """On releasekit's real task dicts (60 packages, sleeping actions, doit's dispatcher in
    virtual time), the first upload no longer waits for every build to be handed out."""
    deps = scheduling.random_dag(60, 7)
    setup = scheduling.make_setup(tmp_path / "ws", deps, 7)
    durations = setup.durations(scheduling.PROFILES["local index"], 0.1, 7)

    def first_upload(ready_factory: Any) -> float:
        sim = scheduling.simulate_doit(setup.doit_tasks(), durations, 4, ready_factory=ready_factory)
        return min(v for k, v in sim.start.items() if k.startswith("upload:")) / sim.makespan

    fifo = first_upload(None)
    ours = first_upload(scheduling._product_ready)
    assert ours < 0.1 < fifo, (ours, fifo)


def test_a_started_dispatcher_is_refused() -> None:
    control = TaskControl([Task("build:a", [(lambda: True, (), {})])])
    control.process(None)
    dispatcher = control.task_dispatcher()
    dispatcher.ready.append(object())
    with pytest.raises(RuntimeError):
        prioritize(dispatcher)
