"""doit's process runner with releasekit's dispatch order, drain and pause, driven as a library.

doit's own loop runs unchanged; this subclass only overrides its documented steps:
- the dispatcher's ready queue becomes a priority queue (releasekit.engine.dispatch);
- ``get_next_job`` hands out nothing once the run drains, and ships each task with its job;
- each worker passes the gate (releasekit.engine.workers) before a stage starts: it waits while
  paused and gives the job back unstarted once draining, so doit's loop winds down by itself;
- the result queue's blocking wait comes back every ``POLL_SECONDS`` so the control can tick
  (deferred notices, the front end's keys and redraw) and a dead worker is noticed.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.queues
import queue
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from doit.control import TaskControl
from doit.dependency import Dependency
from doit.runner import ERROR, JobTask, JobTaskPickle, MRunner
from doit.task import Stream, Task

from releasekit.engine.dispatch import prioritize
from releasekit.engine.runcontrol import RunControl, signals_to
from releasekit.engine.workers import NotStarted, WorkerGate, check_alive, signals_held_off, start_worker, stop_at_once

POLL_SECONDS = 0.1

if TYPE_CHECKING:
    _Queue = multiprocessing.queues.Queue[Any]
else:
    _Queue = multiprocessing.queues.Queue


class PollingQueue(_Queue):
    """A multiprocessing queue whose blocking ``get()`` never waits longer than POLL_SECONDS at a time.

    ``on_wait`` runs before every wait, ``on_quiet`` after each wait that saw no result. Both
    are set in the orchestrator only; the copy a worker unpickles blocks plainly.
    """

    on_wait: Callable[[], None] | None = None
    on_quiet: Callable[[], None] | None = None

    def __init__(self) -> None:
        super().__init__(ctx=multiprocessing.get_context())

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        wait, quiet = self.on_wait, self.on_quiet
        if wait is None or quiet is None or not block or timeout is not None:
            return super().get(block, timeout)
        while True:
            wait()
            try:
                return super().get(timeout=POLL_SECONDS)
            except queue.Empty:
                quiet()


class DrainRunner(MRunner):  # type: ignore[misc]
    """doit's MRunner for one run, steered by the control it is given."""

    Queue = staticmethod(PollingQueue)

    def __init__(
        self,
        dep_manager: Dependency,
        reporter: Any,
        control: RunControl,
        *,
        workers: int,
        continue_: bool = True,
        always: bool = False,
        stream: Stream | None = None,
    ) -> None:
        super().__init__(
            dep_manager, reporter, continue_=continue_, always_execute=always, stream=stream, num_process=workers
        )
        self.control = control
        self.gate = WorkerGate()
        self.workers: list[BaseProcess] = []

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.update(tasks={}, control=None, workers=[])  # workers get each task with its job
        return state

    @property
    def _ship_tasks(self) -> bool:
        # fork copies the table into workers for free; only spawn/forkserver pickle it.
        return multiprocessing.get_start_method() != "fork"

    def run_all(self, task_dispatcher: Any) -> int:
        status: int = super().run_all(task_dispatcher)
        return ERROR if self.control.cancelled else status  # a partial run never exits 0

    def run_tasks(self, task_dispatcher: Any) -> None:
        prioritize(task_dispatcher)  # an upload that unblocks a level goes before a leaf's build
        self.gate.follow(self.control)
        try:
            super().run_tasks(task_dispatcher)
        except BaseException:
            stop_at_once(self.workers)  # doit's terminate() is a SIGTERM, which workers ignore
            raise

    def get_next_job(self, completed: Any) -> Any:
        self.gate.follow(self.control)
        if self.control.cancelled:
            return None  # the worker that asked exits; the ones running finish
        processed = completed is not None and not self._stop_running  # doit hands it to its dispatcher
        job = super().get_next_job(completed)
        if processed:
            forget_finished(completed)  # the dispatcher has just released the tasks waiting for it
        if isinstance(job, JobTaskPickle) and self._ship_tasks:
            # Ship the whole (small) task with its job instead of the whole task table with
            # every worker: under spawn/forkserver doit pickles the table (~0.5 MB for 200
            # packages) into each worker's start-up pipe, and the orchestrator blocks there
            # while the worker imports, starving the running workers (benchmarks/scheduling.py).
            job = JobTask(self.tasks[job.name])
        return job

    def _run_start_processes(self, job_q: Any, result_q: PollingQueue) -> list[BaseProcess]:
        with signals_held_off():
            self.workers = super()._run_start_processes(job_q, result_q)
        result_q.on_wait = self._tick
        result_q.on_quiet = functools.partial(check_alive, self.workers)
        return self.workers

    def _tick(self) -> None:
        self.control.tick()  # deferred notices; the front end reads its keys and redraws
        self.gate.follow(self.control)

    def execute_task_subprocess(self, job_q: Any, result_q: Any, reporter_class: Any) -> Any:
        start_worker()
        return super().execute_task_subprocess(job_q, result_q, reporter_class)

    def execute_task(self, task: Task) -> Any:
        if not self.gate.admit():  # in the worker: the run drains, this stage never starts
            return NotStarted("not started: the run was draining")
        return super().execute_task(task)

    def _process_result(self, node: Any, task: Task, result: dict[str, Any]) -> None:
        # doit's own version keeps, for the rest of the run, the worker's whole copy of every
        # finished task (each attribute unpickled afresh) and builds the task's action objects
        # here only to hold its captured output: ~17 MB at 1000 packages (benchmarks/memory.py).
        # Only what the stage changed (values, result) is taken, and output only when there is
        # some (doit's reporters skip empty output), so what doit and its reporters read is the same.
        task.update_from_pickle(changed_attributes(task, result["task"]))
        if any(result["out"]) or any(result["err"]):
            for action, out, err in zip(task.actions, result["out"], result["err"], strict=False):
                action.out, action.err = out, err
        self.process_task_result(node, result.get("failure"))

    def process_task_result(self, node: Any, base_fail: Any) -> None:
        if isinstance(base_fail, NotStarted):
            return  # nothing ran: nothing to record, and the run hands out no more jobs
        super().process_task_result(node, base_fail)


_ABSENT = object()


#: Stands in for the sets of a finished node: empty, shared, and loud if doit ever filled one again.
_NOTHING: frozenset[Any] = frozenset()


def forget_finished(node: Any) -> None:
    """Drop what doit's dispatcher never reads again of a node whose result it has processed.

    doit keeps every ExecNode to the end of the run (~1.2 KB each with four sets, 8 MB at 1000
    packages). Once a node has its final status and the dispatcher has released the nodes that
    waited for it, doit reads only its task and status (a dependent looks it up to learn whether
    it failed); a node that has run is never a parent again, and no node waits for it any more.
    """
    if node.run_status not in ("successful", "failure") or node.task.setup_tasks:
        return
    node.waiting_me = node.wait_run = node.wait_run_calc = node.calc_dep = _NOTHING
    node.ancestors = ()  # only a node still adding its dependencies is a parent
    if node.generator is not None and node.generator.gi_frame is None:
        node.generator = None  # exhausted: stepped once more right after its task was handed out


def changed_attributes(task: Task, theirs: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a worker's copy of ``task`` that differ from the orchestrator's."""
    mine = task.__dict__
    return {key: value for key, value in theirs.items() if not _same(mine.get(key, _ABSENT), value)}


def _same(mine: Any, theirs: Any) -> bool:
    try:
        if mine is theirs or bool(mine == theirs):
            return True
        # A plain object without an equality of its own (doit's IOConfig) is the same by its attributes.
        return type(mine) is type(theirs) and hasattr(mine, "__dict__") and vars(mine) == vars(theirs)
    except Exception:  # one that cannot be compared is taken as changed, as doit takes every one
        return False


def run_tasks(
    tasks: list[Task],
    selected: Sequence[str] | None,
    dep_manager: Dependency,
    reporter: Any,
    control: RunControl,
    *,
    workers: int,
    stream: Stream | None = None,
    continue_: bool = True,
    always: bool = False,
) -> int:
    """Run ``selected`` tasks (and what they need) on ``workers`` processes; doit's exit status.

    doit's task control, dependency database and reporter; releasekit's dispatch order, and
    the control's drain and pause, which signals reach while the run lasts.
    """
    task_control = TaskControl(tasks)
    task_control.process(None if selected is None else list(selected))
    runner = DrainRunner(
        dep_manager, reporter, control, workers=workers, continue_=continue_, always=always, stream=stream
    )
    with signals_to(control):
        return runner.run_all(task_control.task_dispatcher())
