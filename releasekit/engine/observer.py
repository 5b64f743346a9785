"""What every front end implements: the publish pipeline reports through this protocol.

Two sources feed an observer, both in the main process: doit's reporter callbacks
(task-level: started, succeeded, failed, blocked, skipped) and the events side channel
(inside a task: steps, retries with their delay and cause). Front ends never reach into
doit or the workers; they only receive these calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from releasekit.engine.plan import Plan
from releasekit.engine.results import RunResult
from releasekit.engine.settings import PublishSettings


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
    def on_start(self, plan: Plan, settings: PublishSettings) -> None: ...
    def on_task(self, event: TaskEvent) -> None: ...
    def on_event(self, event: dict[str, Any]) -> None: ...
    def on_state(self, state: SchedulerState, detail: str) -> None: ...
    def on_finish(self, result: RunResult) -> None: ...


def destination(settings: PublishSettings) -> str:
    """Where a run goes and what it reaches over the network, for every front end's header."""
    fallback = settings.fallback_url
    third_party = f"third-party packages from {fallback}" if fallback else "no third-party index"
    return (
        f"to {settings.publish_url} (check {settings.check_url}; auth: {settings.auth}; {third_party}; "
        f"{settings.workers}"
    )


class NullObserver:
    """For tests and library use: hears everything, shows nothing."""

    def on_start(self, plan: Plan, settings: PublishSettings) -> None:
        pass

    def on_task(self, event: TaskEvent) -> None:
        pass

    def on_event(self, event: dict[str, Any]) -> None:
        pass

    def on_state(self, state: SchedulerState, detail: str) -> None:
        pass

    def on_finish(self, result: RunResult) -> None:
        pass
