"""What every front end implements: the publish pipeline reports through this protocol.

Two sources feed an observer, both in the main process: doit's reporter callbacks
(task-level: started, succeeded, failed, blocked, skipped) and the events side channel
(inside a task: steps, retries with their delay and cause). Front ends never reach into
doit or the workers; they only receive these calls.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TextIO


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    UPTODATE = "up-to-date"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class SchedulerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    DRAINING = "draining"
    STOPPED = "stopped"
    FINISHED = "finished"


@dataclass
class TaskEvent:
    task: str
    stage: str
    package: str
    status: TaskStatus
    message: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


class PublishObserver(Protocol):
    def on_start(self, plan: Any, settings: Any) -> None: ...
    def on_task(self, event: TaskEvent) -> None: ...
    def on_event(self, event: dict[str, Any]) -> None: ...
    def on_state(self, state: SchedulerState, detail: str) -> None: ...
    def on_finish(self, result: Any) -> None: ...


def destination(settings: Any) -> str:
    """Where a run goes and what it reaches over the network, for every front end's header."""
    fallback = getattr(settings, "fallback_url", "")
    third_party = f"third-party packages from {fallback}" if fallback else "no third-party index"
    return (f"to {settings.publish_url} (check {settings.check_url}; auth: {settings.auth}; {third_party}; "
            f"{settings.concurrency} workers")


class NullObserver:
    """For tests and library use: hears everything, shows nothing."""

    def on_start(self, plan: Any, settings: Any) -> None:
        pass

    def on_task(self, event: TaskEvent) -> None:
        pass

    def on_event(self, event: dict[str, Any]) -> None:
        pass

    def on_state(self, state: SchedulerState, detail: str) -> None:
        pass

    def on_finish(self, result: Any) -> None:
        pass


class LogObserver(NullObserver):
    """One plain line per change, on stderr: readable in any CI log."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.started = time.monotonic()

    def _line(self, text: str) -> None:
        self.stream.write(f"[{time.monotonic() - self.started:7.1f}s] {text}\n")
        self.stream.flush()

    def on_start(self, plan: Any, settings: Any) -> None:
        self._line(f"publishing {len(plan.packages)} package(s) {destination(settings)})")

    def on_task(self, event: TaskEvent) -> None:
        if event.status is TaskStatus.RUNNING and not self.verbose and event.stage == "probe":
            return
        detail = f" {event.message}" if event.message else ""
        if event.status is TaskStatus.DONE and event.values.get("status"):
            detail = f" ({event.values['status']})" + detail
        self._line(f"{event.package:<28} {event.stage:<8} {event.status.value}{detail}")

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "retry":
            self._line(
                f"{event.get('package', ''):<28} {event.get('stage', ''):<8} retry #{event.get('attempt')} "
                f"in {event.get('delay')}s: {event.get('cause', '')}"
            )
        elif kind == "step" and self.verbose:
            self._line(f"{event.get('package', ''):<28} {event.get('stage', ''):<8} {event.get('step')}"
                       + (f": {event['detail']}" if event.get("detail") else ""))

    def on_state(self, state: SchedulerState, detail: str) -> None:
        self._line(f"scheduler {state.value}: {detail}")
