"""Running a plan: doit's task control, database and reporter, on releasekit's drainable runner.

What a release needs around doit (measured behaviour in the project notes, doit.md §3-§6):
SIGINT/SIGTERM drain instead of killing (nothing new starts, in-flight stages finish, files
are restored, the DB is flushed, the exit status is non-zero; a second signal stops hard and
the journal still restores every file), a pause, the critical-path dispatch order, and an
honest per-package result. The pieces live in runcontrol, workers, dispatch, drainrunner,
doitreporter and summary; this module puts one run together.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from doit.dependency import Dependency
from doit.exceptions import InvalidCommand, InvalidDodoFile, InvalidTask
from doit.globals import Globals

from releasekit.engine import buildenv
from releasekit.engine.doitdb import GuardedSqliteDB, check_database, doit_db_path
from releasekit.engine.doitreporter import Collector, Reporter
from releasekit.engine.drainrunner import run_tasks
from releasekit.engine.events import EventTail, iter_events
from releasekit.engine.observer import NullObserver, PublishObserver, SchedulerState
from releasekit.engine.pipeline import doit_tasks
from releasekit.engine.prepared import Prepared
from releasekit.engine.results import RunResult, released_rows
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.runfile import record_start
from releasekit.engine.stopped import repair_after_run
from releasekit.engine.summary import summarize, write_summary
from releasekit.engine.workers import DEFAULT_START_METHOD, set_start_method
from releasekit.errors import EnvironmentFault
from releasekit.support import envfaults
from releasekit.support.state import ensure_state_dir

#: doit's exit status when it stopped before running any task.
NOT_STARTED = 3


def _run_doit(
    prepared: Prepared, selected: Sequence[str], reporter: Reporter, control: RunControl, faults: list[str]
) -> int:
    """The selected tasks of the plan on doit, as a library; doit's exit status."""
    try:
        dep_manager = Dependency(GuardedSqliteDB, str(doit_db_path(prepared.settings)))
        Globals.dep_manager = dep_manager  # where doit's up-to-date checks (UploadIsCurrent) find it
        tasks = doit_tasks(prepared.plan, prepared.settings, prepared.ws)
        try:
            return run_tasks(tasks, selected, dep_manager, reporter, control, workers=prepared.settings.concurrency)
        finally:
            faults.extend(dep_manager.backend.faults)
    except (InvalidDodoFile, InvalidCommand, InvalidTask) as exc:
        faults.append(f"doit stopped before running tasks: {exc}")
        return NOT_STARTED


def execute(
    prepared: Prepared,
    observer: PublishObserver | None = None,
    *,
    start_method: str | None = None,
    selected: Sequence[str] = ("publish",),
    control: RunControl | None = None,
) -> RunResult:
    """Run ``selected`` doit tasks of the plan; always restores rewritten files before returning."""
    observer = observer or NullObserver()
    start_method = start_method or DEFAULT_START_METHOD
    settings = prepared.settings
    ensure_state_dir(Path(settings.state_dir))
    with envfaults.named("creating the run's directory"):
        Path(settings.run_dir).mkdir(parents=True, exist_ok=True)
    check_database(doit_db_path(settings))  # a disk that cannot hold it stops the run before it starts
    record_start(
        settings.run_dir,
        prepared.plan,
        concurrency=settings.concurrency,
        start_method=start_method,
        target=settings.target,
    )
    set_start_method(start_method)
    collector = Collector(prepared.plan, observer)
    control = control or RunControl(observer)
    collector.on_fault = control.stop_for_fault
    tail = EventTail(settings.events_path, observer.on_event).start()
    observer.on_start(prepared.plan, settings)
    observer.on_state(SchedulerState.RUNNING, f"{settings.workers}, start method {start_method}")
    started = time.monotonic()
    status = 0
    faults: list[str] = []
    try:
        status = _run_doit(prepared, selected, Reporter(collector=collector), control, faults)
    except KeyboardInterrupt:
        control.cancelled = True
        status = 2
    finally:
        tail.stop()
        messages, unrestored = repair_after_run(Path(settings.state_dir))
        for message in messages:
            observer.on_event({"event": "restore", "package": "", "stage": "", "detail": message})
    result = RunResult(
        run_id=settings.run_id,
        packages=released_rows(prepared.released)
        + summarize(prepared.plan, collector.outcomes, control.cancelled, iter_events(settings.events_path)),
        cancelled=control.cancelled,
        seconds=time.monotonic() - started,
        runtime_errors=[*collector.runtime_errors, *faults, *([unrestored] if unrestored else [])],
        doit_status=status,
    )
    observer.on_state(SchedulerState.STOPPED if control.cancelled else SchedulerState.FINISHED, f"{result.counts()}")
    try:
        write_summary(settings, result)
    except EnvironmentFault as exc:  # printed below all the same
        result.runtime_errors.append(f"the summary could not be saved: {exc.one_line()}")
    # Cleanup, last (a run killed before this leaves them to the next run: discard_abandoned).
    buildenv.discard(settings.run_dir)
    observer.on_finish(result)
    return result
