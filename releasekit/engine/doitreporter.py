"""The bridge from doit's reporter callbacks to the observer: each task's outcome as a TaskEvent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from doit.exceptions import UnmetDependency

from releasekit.engine.observer import PublishObserver, TaskEvent, TaskStatus
from releasekit.engine.plan import Plan
from releasekit.support import envfaults


class Collector:
    """Task outcomes as doit reports them, forwarded to the observer."""

    def __init__(self, plan: Plan, observer: PublishObserver) -> None:
        self.observer = observer
        self.outcomes: dict[str, TaskEvent] = {
            t.name: TaskEvent(t.name, t.stage, t.package, TaskStatus.PENDING) for t in plan.tasks
        }
        self.runtime_errors: list[str] = []
        #: Told of a stage that failed on an environment fault (a full disk): the run drains.
        self.on_fault: Callable[[str], None] | None = None

    def update(self, task: Any, status: TaskStatus, message: str = "", values: dict[str, Any] | None = None) -> None:
        if task.name not in self.outcomes:
            return  # group tasks and helper tasks are not shown
        event = TaskEvent(
            task.name,
            self.outcomes[task.name].stage,
            self.outcomes[task.name].package,
            status,
            message,
            {} if values is None else values,  # doit's own dict, as its database keeps it: not copied per task
        )
        self.outcomes[task.name] = event
        self.observer.on_task(event)
        if status is TaskStatus.FAILED and self.on_fault is not None and envfaults.is_fault_line(message):
            self.on_fault(message)


class Reporter:
    """A doit reporter (every method defined on the class: doit's MReporter checks the class)."""

    desc = "releasekit observer bridge"
    collector: Collector | None = None

    def __init__(self, outstream: Any = None, options: Any = None, collector: Collector | None = None) -> None:
        self.collector = collector

    def initialize(self, tasks: Any, selected_tasks: Any) -> None:
        pass

    def get_status(self, task: Any) -> None:
        pass

    def execute_task(self, task: Any) -> None:
        if self.collector:
            self.collector.update(task, TaskStatus.RUNNING)

    def add_success(self, task: Any) -> None:
        if self.collector:
            self.collector.update(task, TaskStatus.DONE, values=task.values)

    def add_failure(self, task: Any, fail: Any) -> None:
        if not self.collector:
            return
        if isinstance(fail, UnmetDependency):
            self.collector.update(task, TaskStatus.BLOCKED, f"waits for {fail.message}")
        else:
            message = getattr(fail, "message", "") or fail.get_msg()
            self.collector.update(task, TaskStatus.FAILED, str(message).strip())

    def skip_uptodate(self, task: Any) -> None:
        if self.collector:
            self.collector.update(task, TaskStatus.UPTODATE)

    def skip_ignore(self, task: Any) -> None:
        if self.collector:
            self.collector.update(task, TaskStatus.CANCELLED, "ignored")

    def teardown_task(self, task: Any) -> None:
        pass

    def cleanup_error(self, exception: Any) -> None:
        if self.collector:
            self.collector.runtime_errors.append(str(exception))

    def runtime_error(self, msg: str) -> None:
        if self.collector:
            self.collector.runtime_errors.append(msg)

    def complete_run(self) -> None:
        pass
