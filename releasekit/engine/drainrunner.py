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
        job = super().get_next_job(completed)
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

    def process_task_result(self, node: Any, base_fail: Any) -> None:
        if isinstance(base_fail, NotStarted):
            return  # nothing ran: nothing to record, and the run hands out no more jobs
        super().process_task_result(node, base_fail)


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
