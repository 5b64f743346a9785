"""Pause, resume and cancel inside doit's parallel runner, on real runs with spawn workers.

Each test drives ``runner.execute`` with fake stage actions (tests/ui_fakes.py) and a
controller observer whose ``on_tick`` (called by the runner's loop) presses the buttons
at chosen moments. Start times come from the workers themselves (events file).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from releasekit.engine.events import read_events
from releasekit.engine.observer import SchedulerState, TaskEvent, TaskStatus
from releasekit.engine.results import RunResult
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.runner import execute
from tests.ui_fakes import make_workspace, prepare, use_fakes

# Scripts pause once both workers are busy: a spawned worker can take a second to boot,
# so before that a job handed out earlier may still start late. After it, every start is
# a new dispatch. GRACE covers the hop from job queue to worker.
GRACE = 0.3


@pytest.fixture
def deadline() -> Iterator[Callable[[float], None]]:
    """Fail instead of hanging: a run that deadlocks is interrupted by SIGALRM."""

    def arm(seconds: float) -> None:
        def expire(signum: int, frame: Any) -> None:
            raise TimeoutError(f"the run did not end within {seconds} s (deadlock?)")

        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


class Controller:
    """Records what the runner reports and runs a script from the runner's own loop."""

    def __init__(self, script: Callable[[Controller], None]) -> None:
        self.script = script
        self.control: RunControl | None = None
        self.tasks: list[TaskEvent] = []
        self.states: list[tuple[float, SchedulerState, str]] = []
        self.marks: dict[str, float] = {}

    def on_start(self, plan: Any, settings: Any) -> None:
        pass

    def on_task(self, event: TaskEvent) -> None:
        self.tasks.append(event)

    def on_event(self, event: dict[str, Any]) -> None:
        pass

    def on_state(self, state: SchedulerState, detail: str) -> None:
        self.states.append((time.time(), state, detail))

    def on_finish(self, result: Any) -> None:
        pass

    def on_tick(self) -> None:
        self.script(self)

    # helpers for scripts
    def running(self) -> set[str]:
        status: dict[str, TaskStatus] = {}
        for e in self.tasks:
            status[e.task] = e.status
        return {t for t, s in status.items() if s is TaskStatus.RUNNING}

    def once(self, name: str) -> bool:
        if name in self.marks:
            return False
        self.marks[name] = time.time()
        return True


def run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    script: Callable[[Controller], None],
    packages: dict[str, list[str]],
    config: dict[str, Any],
    *,
    before: Callable[[RunControl], None] | None = None,
) -> tuple[RunResult, Controller, list[dict[str, Any]]]:
    prepared = prepare(make_workspace(tmp_path / "ws", packages), concurrency=2)
    use_fakes(monkeypatch, prepared.settings.state_dir, config)
    controller = Controller(script)
    control = RunControl(controller)
    controller.control = control
    if before is not None:
        before(control)
    result = execute(prepared, controller, control=control)
    return result, controller, read_events(prepared.settings.events_path)


def starts(events: list[dict[str, Any]]) -> dict[str, float]:
    return {f"{e['stage']}:{e['package']}": e["t"] for e in events if e["event"] == "start"}


def ends(events: list[dict[str, Any]]) -> dict[str, float]:
    finished = ("done", "fail")
    return {f"{e['stage']}:{e['package']}": e["t"] for e in events if e["event"] in finished}


PACKAGES = {"a": [], "b": [], "c": ["a"]}
SLOW_BUILDS = {
    "default": 0.02,
    "delay": {f"{s}:{p}": 0.6 for s in ("build", "probe") for p in PACKAGES},
}


def test_pause_holds_new_stages_in_flight_finish_resume_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: Callable[[float], None]
) -> None:
    def script(c: Controller) -> None:
        assert c.control is not None
        if len(c.running()) == 2 and c.once("pause"):
            c.control.pause("test")
        if "pause" in c.marks and not c.running() and c.once("idle"):
            pass
        if "idle" in c.marks and time.time() - c.marks["idle"] > 1.0 and c.once("resume"):
            c.control.resume("test")

    deadline(60)
    result, c, events = run(tmp_path, monkeypatch, script, PACKAGES, SLOW_BUILDS)
    paused, idle, resumed = c.marks["pause"], c.marks["idle"], c.marks["resume"]
    began, finished = starts(events), ends(events)

    quiet = [t for t, at in began.items() if paused + GRACE < at < resumed]
    assert quiet == [], f"stages started while paused: {quiet}"
    in_flight = [t for t, at in began.items() if at <= paused + GRACE]
    assert in_flight, "nothing was running when the pause came"
    assert all(finished[t] < resumed for t in in_flight), "in-flight stages did not finish"
    assert idle - paused < 2.0
    assert [t for t, at in began.items() if at >= resumed], "nothing started after resume"
    assert result.ok and result.exit_code == 0
    assert {p.status for p in result.packages} == {"published"}
    assert [s for _, s, _ in c.states].count(SchedulerState.PAUSED) == 1
    assert any(s is SchedulerState.RUNNING and "stages start again" in d for _, s, d in c.states)


def test_sigusr1_pause_then_cancel_drains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: Callable[[float], None]
) -> None:
    """Paused until every worker is idle, then cancelled: nothing else starts and the run
    ends (no deadlock) with exit 130, and the stages never started are reported cancelled."""

    def script(c: Controller) -> None:
        assert c.control is not None
        if len(c.running()) == 2 and c.once("pause"):
            os.kill(os.getpid(), signal.SIGUSR1)
        if c.control.paused and not c.running() and c.once("idle"):
            pass
        if "idle" in c.marks and time.time() - c.marks["idle"] > 0.5 and c.once("cancel"):
            c.control.cancel("test cancel")

    deadline(60)
    result, c, events = run(tmp_path, monkeypatch, script, PACKAGES, SLOW_BUILDS)
    began = starts(events)
    late = [t for t, at in began.items() if at > c.marks["pause"] + GRACE]
    assert late == [], f"stages started after the pause: {late}"
    assert any(s is SchedulerState.PAUSED and "SIGUSR1" in d for _, s, d in c.states)
    assert any(s is SchedulerState.DRAINING for _, s, _ in c.states)
    assert result.cancelled and result.exit_code == 130
    assert {p.status for p in result.packages} == {"cancelled"}
    assert time.time() - c.marks["cancel"] < 5, "the drain took too long"


def test_paused_before_the_first_job_starts_nothing_until_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: Callable[[float], None]
) -> None:
    """Pausing before the workers start (SIGUSR1 during loading) parks the very first jobs."""

    def script(c: Controller) -> None:
        assert c.control is not None
        if c.once("first tick"):
            return  # the workers have started and been handed their first jobs: they wait at the gate
        if time.time() - c.marks["first tick"] > 0.8 and c.once("resume"):
            c.control.resume("test")

    deadline(60)
    result, c, events = run(
        tmp_path,
        monkeypatch,
        script,
        {"a": [], "b": ["a"]},
        {"default": 0.02},
        before=lambda control: control.pause("before start"),
    )
    first = min(starts(events).values())
    assert first >= c.marks["resume"], "a stage started before the resume"
    assert result.ok


def test_sigusr2_resume_and_signal_handlers_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deadline: Callable[[float], None]
) -> None:
    def script(c: Controller) -> None:
        if c.running() and c.once("pause"):
            os.kill(os.getpid(), signal.SIGUSR1)
        if "pause" in c.marks and time.time() - c.marks["pause"] > 0.3 and c.once("resume"):
            os.kill(os.getpid(), signal.SIGUSR2)

    before = (signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2))
    deadline(60)
    result, c, _ = run(tmp_path, monkeypatch, script, {"a": []}, {"default": 0.05})
    assert result.ok
    assert [s for _, s, _ in c.states][:3] == [
        SchedulerState.RUNNING,
        SchedulerState.PAUSED,
        SchedulerState.RUNNING,
    ]
    assert "SIGUSR2" in c.states[2][2]
    assert (signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2)) == before


def test_a_crashing_display_does_not_stop_the_release(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    deadline: Callable[[float], None],
    capfd: pytest.CaptureFixture[str],
) -> None:
    calls: list[float] = []

    def script(c: Controller) -> None:
        calls.append(time.time())
        raise RuntimeError("display bug")

    deadline(60)
    result, c, _ = run(tmp_path, monkeypatch, script, {"a": [], "b": ["a"]}, {"default": 0.05})
    assert result.ok
    assert len(calls) == 1  # switched off after the first failure
    assert c.control is not None and "display bug" in c.control.front_end_error
    assert "the progress display failed and is off" in capfd.readouterr().err
