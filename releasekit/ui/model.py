"""What a publish run looks like right now, built from observer calls.

One model serves every front end: rows per package (stage, progress, elapsed, retries),
stage durations measured in this run (for the ETA), the errors, and the scheduler state.
It is not thread-safe by itself: the rich front end applies calls from the main thread
only (it queues the others), the line front ends need little of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from releasekit.engine.observer import SchedulerState, TaskEvent, TaskStatus

FINISHED_STATUSES = (TaskStatus.DONE, TaskStatus.UPTODATE)


@dataclass
class ErrorLine:
    at: float
    package: str
    stage: str
    message: str


@dataclass
class Row:
    """One package of the plan."""

    name: str
    version: str
    level: int
    order: int
    stages: tuple[str, ...]
    status: dict[str, TaskStatus] = field(default_factory=dict)
    started: float | None = None
    ended: float | None = None
    retries: int = 0
    step: str = ""
    last_change: float = 0.0
    final: str = ""  # the run's verdict for the package, once known
    result: str = ""  # the publish stage's status value (uploaded, already-published, ...)

    def __post_init__(self) -> None:
        for stage in self.stages:
            self.status.setdefault(stage, TaskStatus.PENDING)

    @property
    def done_stages(self) -> int:
        return sum(1 for s in self.stages if self.status[s] in FINISHED_STATUSES)

    @property
    def running(self) -> list[str]:
        return [s for s in self.stages if self.status[s] is TaskStatus.RUNNING]

    @property
    def state(self) -> str:
        """pending | running | waiting | done | failed | blocked | cancelled"""
        values = self.status.values()
        if TaskStatus.FAILED in values:
            return "failed"
        if TaskStatus.BLOCKED in values:
            return "blocked"
        if self.stages and self.status[self.stages[-1]] in FINISHED_STATUSES:
            return "done"
        if TaskStatus.RUNNING in values:
            return "running"
        if self.final == "cancelled" or TaskStatus.CANCELLED in values:
            return "cancelled"
        if any(v in FINISHED_STATUSES for v in values):
            return "waiting"
        return "pending"

    @property
    def stage_label(self) -> str:
        """What the row's stage column says."""
        state = self.state
        if state == "running":
            return "+".join(self.running)
        if state in ("failed", "blocked"):
            bad = TaskStatus.FAILED if state == "failed" else TaskStatus.BLOCKED
            return next(s for s in self.stages if self.status[s] is bad)
        if state == "done":
            return self.final or "published"
        nxt = next((s for s in self.stages if self.status[s] not in FINISHED_STATUSES), "")
        return f"→ {nxt}" if nxt else ""  # not running: the stage it waits to start

    def elapsed(self, now: float) -> float:
        """From its first stage's start until now, or until it finished, failed or stopped."""
        if self.started is None:
            return 0.0
        over = self.state in ("done", "failed", "blocked", "cancelled") and self.ended is not None
        return (self.ended if over and self.ended is not None else now) - self.started


class RunModel:
    """Folds observer calls into rows, durations, errors and state."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.rows: dict[str, Row] = {}
        self.deps: dict[str, tuple[str, ...]] = {}
        self.task_status: dict[str, TaskStatus] = {}
        self.task_started: dict[str, float] = {}
        self.durations: dict[str, list[float]] = {}
        self.errors: list[ErrorLine] = []
        self.state = SchedulerState.RUNNING
        self.state_detail = ""
        self.started = clock()
        self.finished: float | None = None
        self.concurrency = 1
        self.target = ""
        self.run_id = ""
        self.result: Any = None

    # --- feeding -------------------------------------------------------------------

    def start(self, plan: Any, settings: Any) -> None:
        self.started = self.clock()
        self.concurrency = max(1, int(getattr(settings, "concurrency", 1) or 1))
        self.target = str(getattr(settings, "publish_url", ""))
        self.run_id = str(getattr(settings, "run_id", ""))
        for pkg in plan.packages:
            self.rows[pkg.name] = Row(pkg.name, pkg.next_version, pkg.level, pkg.order, tuple(pkg.stages))
        for spec in plan.tasks:
            self.deps[spec.name] = tuple(spec.task_dep)
            self.task_status[spec.name] = TaskStatus.PENDING

    def task(self, event: TaskEvent) -> None:
        row = self.rows.get(event.package)
        self.task_status[event.task] = event.status
        if event.status is TaskStatus.RUNNING:
            self.task_started[event.task] = event.at
        elif event.status is TaskStatus.DONE and event.task in self.task_started:
            self.durations.setdefault(event.stage, []).append(event.at - self.task_started[event.task])
        if row is None or event.stage not in row.status:
            return
        row.status[event.stage] = event.status
        row.last_change = event.at
        if event.status is TaskStatus.RUNNING and row.started is None:
            row.started = event.at
        if event.status is not TaskStatus.RUNNING and event.status is not TaskStatus.PENDING:
            row.ended = event.at
        if event.status is TaskStatus.DONE and event.stage == row.stages[-1]:
            row.result = str(event.values.get("status", ""))
        if event.status is TaskStatus.FAILED:
            self.errors.append(ErrorLine(event.at, event.package, event.stage, event.message or "failed"))

    def event(self, event: dict[str, Any]) -> None:
        row = self.rows.get(str(event.get("package", "")))
        kind = event.get("event")
        if kind == "retry" and row is not None:
            row.retries += 1
            row.step = f"retry #{event.get('attempt')} in {event.get('delay')}s: {event.get('cause', '')}"
        elif kind == "step" and row is not None:
            detail = event.get("detail")
            row.step = f"{event.get('stage', '')}: {event.get('step', '')}" + (f" ({detail})" if detail else "")
        elif kind == "restore":
            self.errors.append(
                ErrorLine(float(event.get("t", self.clock())), "", "restore", str(event.get("detail", "")))
            )

    def set_state(self, state: SchedulerState, detail: str) -> None:
        if self.state is SchedulerState.DRAINING and state in (
            SchedulerState.PAUSED,
            SchedulerState.RUNNING,
        ):
            return  # a cancel outranks pause and resume
        self.state = state
        self.state_detail = detail

    def finish(self, result: Any) -> None:
        self.finished = self.clock()
        self.result = result
        for pkg in getattr(result, "packages", []):
            row = self.rows.get(pkg.name)
            if row is not None:
                row.final = pkg.status
        for message in getattr(result, "runtime_errors", []):
            self.errors.append(ErrorLine(self.finished, "", "run", message))

    # --- reading -------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("done", "running", "waiting", "pending", "failed", "blocked", "cancelled")}
        for row in self.rows.values():
            out[row.state] += 1
        return out

    @property
    def running_stages(self) -> int:
        return sum(1 for s in self.task_status.values() if s is TaskStatus.RUNNING)

    @property
    def stages_done(self) -> int:
        return sum(1 for s in self.task_status.values() if s in FINISHED_STATUSES)

    def elapsed(self) -> float:
        return (self.finished or self.clock()) - self.started

    def stage_estimate(self, stage: str) -> float | None:
        """Mean measured duration of ``stage`` in this run (None: not measured yet)."""
        samples = self.durations.get(stage)
        return sum(samples) / len(samples) if samples else None

    def eta(self) -> tuple[float | None, bool]:
        """(seconds left, whether that is only a lower bound), from this run's measurements.

        The larger of the longest remaining dependency chain and the remaining work spread
        over the workers. Stages nobody has finished yet count as zero and make the answer
        a lower bound; (None, True) until anything was measured. While draining, only the
        running stages count.
        """
        if self.finished is not None:
            return 0.0, False
        if not self.durations:
            return None, True
        now = self.clock()
        doomed = self._doomed()
        remaining: dict[str, float] = {}
        partial = False
        for name, status in self.task_status.items():
            if name in doomed or status not in (TaskStatus.PENDING, TaskStatus.RUNNING):
                continue
            if self.state is SchedulerState.DRAINING and status is TaskStatus.PENDING:
                continue
            estimate = self.stage_estimate(name.split(":", 1)[0])
            if estimate is None:
                partial = True
                estimate = 0.0
            if status is TaskStatus.RUNNING:
                estimate = max(0.0, estimate - (now - self.task_started.get(name, now)))
            remaining[name] = estimate
        # plan.tasks is in dependency order, so one pass computes every longest chain
        chain: dict[str, float] = {}
        for name in self.deps:
            if name in remaining:
                chain[name] = remaining[name] + max((chain[d] for d in self.deps[name] if d in chain), default=0.0)
        critical = max(chain.values(), default=0.0)
        return max(critical, sum(remaining.values()) / self.concurrency), partial

    def _doomed(self) -> set[str]:
        """Tasks that cannot run any more because something they need failed (one pass:
        plan.tasks lists every task after the tasks it depends on)."""
        bad = (TaskStatus.FAILED, TaskStatus.BLOCKED, TaskStatus.CANCELLED)
        doomed: set[str] = set()
        for name, deps in self.deps.items():
            if self.task_status.get(name) in bad or any(d in doomed for d in deps):
                doomed.add(name)
        return doomed

    def ordered(self, rows: Iterable[Row]) -> list[Row]:
        return sorted(rows, key=lambda r: (r.level, r.order))
