"""Plain doit in a workspace `releasekit init` set up runs like `releasekit publish`.

doit's default command `run` is replaced through doit's command plugin table
(``[tool.doit.plugins.command]``): the same critical-path order and graceful drain. Real doit,
real spawn workers, the fake stage backend (benchmarks/_simbackend.py).
"""

from __future__ import annotations

import collections
import inspect
import os
import re
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from doit.control import ExecNode, TaskDispatcher
from doit.dependency import SqliteDB
from doit.doit_cmd import DoitMain
from doit.runner import MRunner
from doit.task import Task

from releasekit.commands.init import init_text
from releasekit.doitcmd import ReleaseRun
from releasekit.doitloader import WorkspaceLoader
from releasekit.engine.events import read_events
from releasekit.engine.prepared import Prepared
from tests.ui_fakes import make_workspace, prepare, use_fakes

#: A chain (a <- b <- c) and three packages on their own.
PACKAGES = {"a": [], "b": ["a"], "c": ["b"], "x": [], "y": [], "z": []}


class PreparedLoader(WorkspaceLoader):
    """The loader the config names, on a prepared plan: the fake index has no releases to ask about."""

    def __init__(self, prepared: Prepared) -> None:
        super().__init__()
        self.prepared = prepared

    def _scoped(self, prepared: Prepared) -> Prepared:
        return prepared


def _doit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, delay: float, workers: int) -> tuple[DoitMain, Prepared]:
    root = make_workspace(tmp_path / "ws", PACKAGES)
    manifest = root / "pyproject.toml"
    manifest.write_text(init_text(manifest.read_text(encoding="utf-8"))[0], encoding="utf-8")
    prepared = prepare(root, concurrency=workers)
    use_fakes(monkeypatch, prepared.settings.state_dir, {"default": delay})
    Path(prepared.settings.run_dir).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "pypi-fake-token")
    return DoitMain(PreparedLoader(prepared), config_filenames=["pyproject.toml"]), prepared


def _starts(prepared: Prepared) -> dict[str, float]:
    return {f"{e['stage']}:{e['package']}": float(e["t"]) for e in read_events(prepared.settings.events_path)
            if e.get("event") == "start"}


def test_init_registers_releasekits_run_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main, _ = _doit(tmp_path, monkeypatch, 0.0, 1)
    assert main.get_cmds().get_plugin("run") is ReleaseRun


def test_plain_doit_hands_out_the_critical_path_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main, prepared = _doit(tmp_path, monkeypatch, 0.02, 1)
    assert main.run(["-n", "1", "publish"]) == 0
    starts = _starts(prepared)
    assert len(starts) == 6 * len(PACKAGES)
    # doit's first-in first-out queue would build every package before the first upload
    assert starts["upload:a"] < starts["upload:b"] < min(starts[f"build:{p}"] for p in "xyz")


def test_serial_plain_doit_runs_on_releasekits_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without -n the stages still run in a worker process, in critical-path order, not in doit's serial loop."""
    main, prepared = _doit(tmp_path, monkeypatch, 0.02, 1)
    assert main.run(["publish"]) == 0
    events = [e for e in read_events(prepared.settings.events_path) if e.get("event") == "start"]
    assert len(events) == 6 * len(PACKAGES)
    assert {e["pid"] for e in events} - {os.getpid()} == {e["pid"] for e in events}, "a stage ran in doit's process"
    starts = _starts(prepared)
    assert starts["upload:a"] < starts["upload:b"] < min(starts[f"build:{p}"] for p in "xyz")


def test_plain_doit_reports_a_database_it_could_not_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    main, _ = _doit(tmp_path, monkeypatch, 0.0, 1)

    def disk_full(self: SqliteDB) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteDB, "dump", disk_full)
    assert main.run(["publish"]) == 1
    err = capfd.readouterr().err
    assert "Traceback" not in err
    line = r"^releasekit: error\[RK312\] .*doit-\w+\.sqlite3: no space left .* saving doit's database"
    assert re.search(line, err, re.M), err


def test_plain_doit_drains_on_sigint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    main, prepared = _doit(tmp_path, monkeypatch, 0.3, 2)

    def interrupt() -> None:
        deadline = time.monotonic() + 30
        while len(_starts(prepared)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    status = main.run(["-n", "2", "publish"])
    events = read_events(prepared.settings.events_path)
    started = {(e["stage"], e["package"]) for e in events if e.get("event") == "start"}
    finished = {(e["stage"], e["package"]) for e in events if e.get("event") == "done"}
    assert status == 2  # a drained run never exits 0
    assert started == finished, "a stage in flight did not finish"
    assert len(started) < 6 * len(PACKAGES), "the drain started everything anyway"
    assert "releasekit: draining: SIGINT received" in capfd.readouterr().err


def test_the_doit_steps_the_runner_overrides_are_still_there() -> None:
    """The drainable runner overrides these doit 0.37 steps; a doit that renamed one would run without it."""
    expected = {
        "run_all": ["task_dispatcher"],
        "run_tasks": ["task_dispatcher"],
        "get_next_job": ["completed"],
        "_run_start_processes": ["job_q", "result_q"],
        "execute_task_subprocess": ["job_q", "result_q", "reporter_class"],
        "execute_task": ["task"],
        "process_task_result": ["node", "base_fail"],
        "_process_result": ["node", "task", "result"],
    }
    for name, params in expected.items():
        assert list(inspect.signature(getattr(MRunner, name)).parameters)[1:] == params, name
    assert isinstance(TaskDispatcher({}, {}, []).ready, collections.deque)  # releasekit.engine.dispatch replaces it
    # What drainrunner.forget_finished lets go of in a finished node: doit's names for it.
    node = ExecNode(Task("t", []), None)
    assert {"waiting_me", "wait_run", "wait_run_calc", "calc_dep", "ancestors", "generator"} <= set(vars(node))
