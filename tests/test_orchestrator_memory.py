"""What the orchestrator keeps of a run: each task once, the stages' values, the events file unread.

benchmarks/memory.py measures the figure (the orchestrator under 100 MB at 1000 packages);
these tests fail when one of the savings it rests on is undone while the run still works, or
when a saving changes what doit, its database or the summary see. Real doit, real spawn
workers, the fake stage backend (benchmarks/_simbackend.py).
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from doit.dependency import Dependency
from doit.task import Task

from releasekit.engine.doitdb import GuardedSqliteDB, doit_db_path
from releasekit.engine.doitreporter import Collector, Reporter
from releasekit.engine.drainrunner import run_tasks
from releasekit.engine.events import iter_events
from releasekit.engine.observer import NullObserver, TaskEvent, TaskStatus
from releasekit.engine.pipeline import doit_tasks
from releasekit.engine.plan import build_plan
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.slimtask import SLOTTED, SlimTask, slim
from releasekit.engine.summary import summarize
from releasekit.engine.workers import set_start_method
from releasekit.model.workspace import load_workspace
from tests.harness.workspace import EXAMPLE
from tests.ui_fakes import make_workspace, prepare, use_fakes

#: b depends on a, y on x; x fails its build, so the rest of x is blocked.
PACKAGES = {"a": [], "b": ["a"], "x": [], "y": ["x"]}
FAKE_VALUES = {"status": "uploaded", "uploaded": [], "ok": True, "files": {}}


def test_a_finished_task_keeps_its_own_attributes_and_gets_the_stages_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = prepare(make_workspace(tmp_path / "ws", PACKAGES))
    use_fakes(monkeypatch, prepared.settings.state_dir, {"default": 0.0, "fail": {"build:x": "no room"}})
    Path(prepared.settings.run_dir).mkdir(parents=True, exist_ok=True)
    set_start_method("spawn")
    tasks = doit_tasks(prepared.plan, prepared.settings, prepared.ws)
    own = {t.name: (t.meta, t.io) for t in tasks}
    collector = Collector(prepared.plan, NullObserver())
    db = str(doit_db_path(prepared.settings))
    status = run_tasks(tasks, ["publish"], Dependency(GuardedSqliteDB, db), Reporter(collector=collector),
                       RunControl(NullObserver()), workers=2)
    assert status == 2  # x failed and y was blocked: doit's error status
    by_name = {t.name: t for t in tasks}
    assert all(isinstance(t, SlimTask) for t in tasks)
    # The worker's copy of each attribute is not kept: the orchestrator's own objects stay.
    assert all(by_name[name].meta is meta and by_name[name].io is io for name, (meta, io) in own.items())
    upload = by_name["upload:b"]
    assert upload.executed and upload.values == FAKE_VALUES and upload.result == FAKE_VALUES
    outcomes = collector.outcomes
    assert outcomes["upload:b"].status is TaskStatus.DONE and outcomes["upload:b"].values == FAKE_VALUES
    assert (outcomes["build:x"].status, outcomes["build:x"].message) == (TaskStatus.FAILED, "no room")
    assert outcomes["publish:x"].status is TaskStatus.BLOCKED
    assert not by_name["build:x"].values
    # doit's database records what it always did.
    assert Dependency(GuardedSqliteDB, db).get_values("upload:b") == FAKE_VALUES


def test_a_slim_task_shares_its_attribute_table_and_pickles_whole() -> None:
    task = Task("build:a", [(print, ["a"])], meta={"package": "a"}, doc="build a")
    task.pos_arg_val, task.cfg_values = ["v"], {"k": 1}
    thin = slim(task)
    assert sys.getsizeof(thin.__dict__) * 3 < sys.getsizeof(task.__dict__)  # 34 attributes overflow the shared table
    back = pickle.loads(pickle.dumps(thin))  # how a spawn worker receives it
    assert isinstance(back, SlimTask)
    assert (back.name, back.meta, back.pos_arg_val, back.cfg_values, back.params) == (
        "build:a", {"package": "a"}, ["v"], {"k": 1}, ())
    assert set(thin.pickle_safe_dict()) == set(task.pickle_safe_dict()) - set(SLOTTED)


def test_the_summary_reads_the_events_file_once_and_only_for_a_stopped_run(tmp_path: Path) -> None:
    plan = build_plan(load_workspace(EXAMPLE), smoke_test=False, staged=False)
    outcomes = {t.name: TaskEvent(t.name, t.stage, t.package, TaskStatus.PENDING) for t in plan.tasks}
    outcomes["upload:acme-core"].status = TaskStatus.RUNNING
    path = tmp_path / "events.ndjson"
    lines = [json.dumps({"package": "acme-core", "stage": "upload", "event": "done", "uploaded": ["a.whl"]}),
             "{torn", json.dumps({"package": "acme-core", "stage": "upload", "event": "start"})]
    path.write_text("\n".join(lines), encoding="utf-8")
    reads: list[str] = []

    def stream() -> Iterator[dict[str, Any]]:
        for event in iter_events(path):
            reads.append(event["event"])
            yield event

    assert summarize(plan, outcomes, cancelled=False, worker_events=stream())[0].message == "not run"
    assert reads == []
    core = {r.name: r for r in summarize(plan, outcomes, cancelled=True, worker_events=stream())}["acme-core"]
    assert core.message.endswith("after upload finished (uploaded a.whl); the rerun goes on from there")
    assert reads == ["done", "start"]  # the torn line skipped
