"""Running a plan on doit's parallel runner, with a graceful stop and an honest result.

doit gives dependency-triggered dispatch; this module adds what a release needs around
it (measured behaviour in the project notes, doit.md §3-§6):
- SIGINT/SIGTERM drain instead of killing: nothing new starts, in-flight stages finish,
  files are restored, the DB is flushed, the exit status is non-zero. A second signal stops
  hard; the journal still restores every file.
- Workers ignore Ctrl-C (the orchestrator owns it) and so does the uv they run, so a first
  interrupt never lands half-way through an upload; after a second one, the workers and
  their uv die together (PR_SET_PDEATHSIG on Linux), and nothing runs on unwatched.
- A reporter turns doit's callbacks into observer calls and a per-package result.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from doit.runner import ERROR, JobHold, JobTask, JobTaskPickle, MRunner

from releasekit import envfaults
from releasekit.dispatch import prioritize
from releasekit.errors import EnvironmentFault
from releasekit.events import EventTail, read_events
from releasekit.fsutil import atomic_write_json
from releasekit.observer import NullObserver, PublishObserver, SchedulerState, TaskEvent, TaskStatus
from releasekit.plan import Plan
from releasekit.settings import PublishSettings
from releasekit.stages import STAGES
from releasekit.state import ensure_state_dir
from releasekit.stopped import finished_by_workers, repair_after_run, stop_label
from releasekit.workspace import Workspace

START_METHODS = ("spawn", "forkserver", "fork")


@dataclass(frozen=True)
class Prepared:
    """Everything a run needs, computed once in the main process."""

    ws: Workspace
    plan: Plan
    settings: PublishSettings
    #: Versions left out of the plan because the index already has them whole.
    released: Mapping[str, str] = field(default_factory=dict)


# --- the doit reporter -----------------------------------------------------------------


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
        event = TaskEvent(task.name, self.outcomes[task.name].stage, self.outcomes[task.name].package,
                          status, message, dict(values or {}))
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
        from doit.exceptions import UnmetDependency

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


# --- graceful stop ---------------------------------------------------------------------


class RunControl:
    """Turns signals (and front-end keys) into a drain of doit's runner."""

    active: ClassVar[RunControl | None] = None

    def __init__(self, observer: PublishObserver) -> None:
        self.observer = observer
        self.runner: MRunner | None = None
        self.cancelled = False
        self.reason = ""
        self.paused = False  # pause/resume (ui): see the delimited section below
        self._notices: deque[tuple[SchedulerState, str]] = deque()
        self.front_end_error = ""

    def attach(self, runner: MRunner) -> None:
        self.runner = runner
        if self.cancelled:
            self._stop_runner()

    def _stop_runner(self) -> None:
        if self.runner is not None:
            self.runner._stop_running = True  # doit: get_next_job() hands out no new task
            self.runner.final_result = ERROR  # a partial run never exits 0

    def cancel(self, reason: str, *, by_signal: bool = True) -> None:
        if self.cancelled:
            return
        self.cancelled = True
        self.reason = reason
        self._stop_runner()
        self.observer.on_state(
            SchedulerState.DRAINING,
            f"{reason}: no new stage starts, running ones finish, files are restored"
            + (" (send it again to stop at once)" if by_signal else ""),
        )

    def stop_for_fault(self, line: str) -> None:
        """A stage met a full or read-only disk: every stage after it would too, so drain."""
        self.cancel(f"stopping: {line}", by_signal=False)

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.cancelled:
            self.observer.on_state(SchedulerState.STOPPED, f"{name} again: stopping now")
            raise KeyboardInterrupt
        self.cancel(f"{name} received")

    # --- pause / resume / tick (issue 5, branch ui) ------------------------------------
    # Pausing only flips a flag: DrainableMRunner holds back every job it would hand out
    # while the flag is set, and its main loop (which never blocks for more than
    # POLL_SECONDS) calls tick(), which delivers deferred notices and lets the front end
    # read keys and redraw in the main thread.

    def pause(self, reason: str = "pause requested", *, defer: bool = False) -> None:
        """No new stage starts; running ones finish. ``defer``: called from a signal handler."""
        if self.cancelled or self.paused:
            return
        self.paused = True
        self._notice(SchedulerState.PAUSED,
                     f"{reason}: no new stage starts, running stages finish (resume: r or SIGUSR2; "
                     "cancel: q or Ctrl-C)", defer)

    def resume(self, reason: str = "resume requested", *, defer: bool = False) -> None:
        if not self.paused:
            return
        self.paused = False
        if not self.cancelled:
            self._notice(SchedulerState.RUNNING, f"{reason}: stages start again", defer)

    def _notice(self, state: SchedulerState, detail: str, defer: bool) -> None:
        # A signal handler may interrupt the front end half-way through a write, so it
        # only queues the notice; tick() delivers it from the runner's loop.
        if defer:
            self._notices.append((state, detail))
        else:
            self.observer.on_state(state, detail)

    def handle_pause_signal(self, signum: int, frame: FrameType | None) -> None:
        self.pause(f"{signal.Signals(signum).name} received", defer=True)

    def handle_resume_signal(self, signum: int, frame: FrameType | None) -> None:
        self.resume(f"{signal.Signals(signum).name} received", defer=True)

    def tick(self) -> None:
        """Called by the runner's main loop at least every POLL_SECONDS, in the main thread."""
        while self._notices:
            state, detail = self._notices.popleft()
            self.observer.on_state(state, detail)
        on_tick = getattr(self.observer, "on_tick", None)
        if on_tick is None or self.front_end_error:
            return
        try:
            on_tick()
        except Exception as exc:  # a front-end bug must not stop a release half-way
            self.front_end_error = f"{type(exc).__name__}: {exc}"
            sys.stderr.write(f"releasekit: the progress display failed and is off ({exc!r}); "
                             "the release goes on\n")

    # --- end pause / resume / tick -----------------------------------------------------


class DrainableMRunner(MRunner):  # type: ignore[misc]
    """doit's process runner, attached to the active RunControl; its workers ignore Ctrl-C."""

    def run_tasks(self, task_dispatcher: Any) -> Any:
        if RunControl.active is not None:
            RunControl.active.attach(self)
        prioritize(task_dispatcher)  # an upload that unblocks a level goes before a leaf's build
        return self._run_tasks_pausable(task_dispatcher)  # ui: doit's loop + pause/resume

    @property
    def _ship_tasks(self) -> bool:
        # fork copies the table into workers for free; only spawn/forkserver pickle it.
        return multiprocessing.get_start_method() != "fork"

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state["tasks"] = {}  # workers get each task with its job (see get_next_job)
        return state

    def execute_task_subprocess(self, job_q: Any, result_q: Any, reporter_class: Any) -> Any:
        # Runs in the worker from its first instant: arm the parent watchdog before waiting
        # for a job, so a worker whose orchestrator was SIGKILLed never lingers.
        from releasekit.actions import worker_init

        worker_init()
        # SIGTERM is the orchestrator's, like Ctrl-C: a SIGTERM sent to the whole process
        # group (systemd, `docker stop`, `kill -TERM -PGID`) drains the run, so the stages in
        # flight finish. Had a worker died of it, doit would have raised its SystemExit in the
        # orchestrator (exit 1, no summary) or hung joining it. The orchestrator's own hard
        # stop kills workers instead (see below) and restores their files from the journal.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if hasattr(signal, "pthread_sigmask"):  # inherited blocked from _run_start_processes
            signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))
        return super().execute_task_subprocess(job_q, result_q, reporter_class)

    def _run_start_processes(self, job_q: Any, result_q: Any) -> Any:
        # Children inherit ignored SIGINT and SIGTERM (an ignored signal stays ignored across
        # exec), so a Ctrl-C or a SIGTERM sent to the whole group reaches only the
        # orchestrator, which drains, even while a worker is still starting up (a worker
        # that died of it there left the orchestrator waiting for it forever). Meanwhile the
        # orchestrator blocks them: one arriving now stays pending (Linux never discards a
        # blocked signal) and is handled once its handler is back.
        drained = (signal.SIGINT, signal.SIGTERM)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, drained) if hasattr(signal, "pthread_sigmask") else None
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in drained}
        try:
            return super()._run_start_processes(job_q, result_q)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            if mask is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    # --- pause / resume (issue 5, branch ui) -------------------------------------------
    # doit's loop blocks in result_q.get() and hands out jobs only when a result arrives,
    # so a pause that merely skipped dispatch could leave every worker idle with nothing
    # left to wake the loop. Instead:
    # - get_next_job() still feeds completions to doit's dispatcher (its bookkeeping stays
    #   exact), but while paused it *holds* each task job it would hand out and gives the
    #   worker a JobHold (a no-op token: the worker keeps waiting). Every held job thus
    #   owns exactly one idle worker.
    # - the loop waits for results with a timeout, so it always comes back to look at the
    #   controls: on resume it hands the held jobs to their waiting workers; on cancel it
    #   tells those workers, and the ones doit parked with "hold on", to exit, and counts
    #   them as finished. Workers still running finish and report as usual.

    POLL_SECONDS: ClassVar[float] = 0.1
    _held: list[Any]
    free_proc: int  # doit's count of workers parked with "hold on"

    def get_next_job(self, completed: Any) -> Any:
        job = super().get_next_job(completed)
        if isinstance(job, JobTaskPickle) and self._ship_tasks:
            # Ship the whole (small) task with its job instead of the whole task table with
            # every worker: under spawn/forkserver doit pickles the table (~0.5 MB for 200
            # packages) into each worker's start-up pipe, and the orchestrator blocks there
            # while the worker imports, starving the running workers (benchmarks/scheduling.py).
            job = JobTask(self.tasks[job.name])
        control = RunControl.active
        if control is not None and control.paused and isinstance(job, (JobTask, JobTaskPickle)):
            self._held.append(job)
            return JobHold()
        return job

    def _release_held(self, job_q: Any) -> int:
        """Act on resume/cancel; returns how many workers were told to exit."""
        held = self._held
        control = RunControl.active
        if self._stop_running:
            # Cancelled: held stages never start; their workers and doit's idle ones exit.
            idle = len(held) + self.free_proc
            held.clear()
            self.free_proc = 0
            for _ in range(idle):
                job_q.put(None)
            return idle
        if held and not (control is not None and control.paused):
            for job in held:
                job_q.put(job)
            held.clear()
        return 0

    def _check_workers(self, proc_list: list[Any]) -> None:
        """A worker that died (OOM killer, a signal) never reports: stop instead of waiting forever.

        Workers exit on their own (code 0) only after being told to, when nothing is left.
        """
        from doit.exceptions import InvalidTask

        for proc in proc_list:
            code = getattr(proc, "exitcode", None)
            if code not in (None, 0):
                how = f"exit code {code}"
                if code < 0:
                    with contextlib.suppress(ValueError):
                        how = f"signal {signal.Signals(-code).name}"
                raise InvalidTask(f"a worker process (pid {proc.pid}) died of {how}; the run was stopped "
                                  "(rerun the same command to resume)")

    def _run_tasks_pausable(self, task_dispatcher: Any) -> Any:
        """doit 0.37's MRunner.run_tasks with a polling wait and the pause/resume/cancel hooks."""
        from multiprocessing import Process

        self._held = []
        result_q = self.Queue()
        job_q = self.Queue()
        self._run_tasks_init(task_dispatcher)
        proc_list = self._run_start_processes(job_q, result_q)
        proc_count = len(proc_list)
        control = RunControl.active
        try:
            while proc_count:
                if control is not None:
                    control.tick()
                proc_count -= self._release_held(job_q)
                if not proc_count:
                    break
                try:
                    result = result_q.get(timeout=self.POLL_SECONDS)
                except queue.Empty:
                    self._check_workers(proc_list)
                    continue
                if "exit" in result:
                    raise result["exit"](result["exception"])
                node = task_dispatcher.nodes[result["name"]]
                task = node.task
                if "reporter" in result:
                    getattr(self.reporter, result["reporter"])(task)
                    continue
                self._process_result(node, task, result)
                free_proc = self.free_proc + 1
                self.free_proc = 0
                completed = node
                for _ in range(free_proc):
                    next_job = self.get_next_job(completed)
                    completed = None
                    if next_job is None:
                        proc_count -= 1
                    job_q.put(next_job)
                # check for cyclic dependencies (held jobs own their workers: never all free)
                assert len(proc_list) > self.free_proc
        except (SystemExit, KeyboardInterrupt, Exception):
            if self.Child == Process:
                # Workers ignore SIGTERM (see execute_task_subprocess): kill them, and wait,
                # so none can still write a file once the journal is replayed.
                for proc in proc_list:
                    proc.kill()
                for proc in proc_list:
                    proc.join(timeout=10)
            raise
        for proc in proc_list:
            proc.join()
        while not result_q.empty():  # teardown reports; safe because the workers joined
            result = result_q.get()
            task = task_dispatcher.tasks[result["name"]]
            getattr(self.reporter, result["reporter"])(task)

    # --- end pause / resume ------------------------------------------------------------


@contextlib.contextmanager
def _signals(control: RunControl) -> Iterator[None]:
    import doit.cmd_run

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    original_runner = doit.cmd_run.MRunner
    doit.cmd_run.MRunner = DrainableMRunner  # Run._execute looks the class up here
    RunControl.active = control
    try:
        for s in saved:
            signal.signal(s, control.handle_signal)
        # ui: SIGUSR1/SIGUSR2 pause/resume non-interactive runs
        usr = {s: signal.signal(s, h) for s, h in ((signal.SIGUSR1, control.handle_pause_signal),
                                                  (signal.SIGUSR2, control.handle_resume_signal))}
        saved.update(usr)
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        doit.cmd_run.MRunner = original_runner
        RunControl.active = None


# --- results ---------------------------------------------------------------------------


@dataclass
class PackageResult:
    name: str
    version: str
    status: str  # published | already-published | kept-existing | failed | blocked | cancelled
    stage: str = ""
    message: str = ""
    uploaded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "status": self.status, "stage": self.stage,
                "message": self.message, "uploaded": self.uploaded}


@dataclass
class RunResult:
    run_id: str
    packages: list[PackageResult]
    cancelled: bool
    seconds: float
    runtime_errors: list[str] = field(default_factory=list)
    doit_status: int = 0

    @property
    def ok(self) -> bool:
        return not self.cancelled and not self.runtime_errors and all(
            p.status in ("published", "already-published", "kept-existing") for p in self.packages
        )

    @property
    def environment_fault(self) -> str:
        """The first environment fault the run met (error[RK312] ...), or ""."""
        return next((t for t in [*self.runtime_errors, *(p.message for p in self.packages)]
                     if envfaults.is_fault_line(t)), "")

    @property
    def exit_code(self) -> int:
        from releasekit.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_REFUSED

        if self.ok:
            return EXIT_OK
        if self.environment_fault:
            return EXIT_REFUSED
        return EXIT_CANCELLED if self.cancelled else EXIT_FAILED

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.packages:
            out[p.status] = out.get(p.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "releasekit.run/1",
            "run_id": self.run_id,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "packages": [p.to_json() for p in self.packages],
            "runtime_errors": self.runtime_errors,
        }


RELEASED = "already released: skipped without building"


def released_rows(released: Mapping[str, str]) -> list[PackageResult]:
    """Result rows for versions the index had whole before the run (releasekit.released)."""
    return [PackageResult(n, v, "already-published", message=RELEASED) for n, v in sorted(released.items())]


def summarize(plan: Plan, outcomes: dict[str, TaskEvent], cancelled: bool,
              worker_events: Sequence[dict[str, Any]] = ()) -> list[PackageResult]:
    """Each package's result; ``worker_events`` (the run's events file) tells what workers
    finished after a hard stop that the orchestrator never heard of."""
    finished = finished_by_workers(worker_events)
    results = []
    for pkg in plan.packages:
        stages = [s for s in STAGES if f"{s}:{pkg.name}" in outcomes]
        events = {s: outcomes[f"{s}:{pkg.name}"] for s in stages}
        final = events.get("publish")
        upload = events.get("upload")
        uploaded = list(upload.values.get("uploaded", [])) if upload else []
        if final is not None and final.status is TaskStatus.DONE:
            status = str(final.values.get("status", "uploaded"))
            mapped = {"uploaded": "published", "already-published": "already-published",
                      "existing-differs": "kept-existing"}.get(status, "published")
            if upload is not None and upload.status is TaskStatus.UPTODATE:
                mapped = "already-published"
            results.append(PackageResult(pkg.name, pkg.next_version, mapped, uploaded=uploaded))
            continue
        failed = next((s for s in stages if events[s].status is TaskStatus.FAILED), None)
        if failed:
            results.append(PackageResult(pkg.name, pkg.next_version, "failed", failed, events[failed].message))
            continue
        blocked = next((s for s in stages if events[s].status is TaskStatus.BLOCKED), None)
        if blocked:
            cause = _root_cause(pkg.name, blocked, outcomes)
            results.append(PackageResult(pkg.name, pkg.next_version, "blocked", blocked, cause))
            continue
        stage, detail = stop_label(pkg.name, stages, {s: e.status for s, e in events.items()}, finished, cancelled)
        results.append(PackageResult(pkg.name, pkg.next_version, "cancelled", stage, detail))
    return results


def _root_cause(package: str, stage: str, outcomes: dict[str, TaskEvent]) -> str:
    """Follow 'waits for X' back to the task that actually failed."""
    seen: set[str] = set()
    current = f"{stage}:{package}"
    gated = ""
    while current not in seen:
        seen.add(current)
        event = outcomes.get(current)
        if event is None:
            break
        if event.stage == "gate":
            gated = "nothing uploaded: the staged gate stopped the release; "
        if event.status is TaskStatus.FAILED:
            return f"{gated}blocked by {event.package} (failed at {event.stage})"
        if event.status is TaskStatus.BLOCKED and event.message.startswith("waits for "):
            current = event.message[len("waits for "):].split()[0]
            continue
        break
    return "blocked by a failed dependency"


# --- running ---------------------------------------------------------------------------


def set_start_method(method: str) -> None:
    if method not in START_METHODS:
        from releasekit.errors import UsageError

        raise UsageError(f"unknown start method {method!r}", hint="use spawn, forkserver or fork")
    if method == "forkserver":
        # Import releasekit once in the fork server instead of once per worker (~0.35 s CPU
        # each, measured by benchmarks/scheduling.py); the modules have no import side effects.
        multiprocessing.set_forkserver_preload(["__main__", "releasekit.runner", "releasekit.actions"])
    if multiprocessing.get_start_method(allow_none=True) != method:
        multiprocessing.set_start_method(method, force=True)


def execute(
    prepared: Prepared,
    observer: PublishObserver | None = None,
    *,
    start_method: str = "spawn",
    selected: Sequence[str] = ("publish",),
    control: RunControl | None = None,
) -> RunResult:
    """Run ``selected`` doit tasks of the plan; always restores rewritten files before returning."""
    from doit.doit_cmd import DoitMain

    from releasekit.doitdb import PLUGIN, GuardedSqliteDB, check_database
    from releasekit.doitloader import WorkspaceLoader, doit_db_path

    observer = observer or NullObserver()
    settings = prepared.settings
    ensure_state_dir(Path(settings.state_dir))
    with envfaults.named("creating the run's directory"):
        Path(settings.run_dir).mkdir(parents=True, exist_ok=True)
    check_database(doit_db_path(settings))  # a disk that cannot hold it stops the run before it starts
    GuardedSqliteDB.faults = []
    from releasekit.report.runfile import record_start  # what `releasekit report` needs besides the events

    record_start(settings.run_dir, prepared.plan, concurrency=settings.concurrency, start_method=start_method,
                 target=settings.target)
    set_start_method(start_method)
    collector = Collector(prepared.plan, observer)
    reporter = Reporter(collector=collector)
    control = control or RunControl(observer)
    collector.on_fault = control.stop_for_fault
    tail = EventTail(settings.events_path, observer.on_event).start()
    observer.on_start(prepared.plan, settings)
    observer.on_state(SchedulerState.RUNNING, f"{settings.concurrency} workers, start method {start_method}")
    started = time.monotonic()
    status = 0
    try:
        with _signals(control):
            status = DoitMain(
                WorkspaceLoader(prepared, cli=True),
                config_filenames=(),
                extra_config={"GLOBAL": {"reporter": reporter, "verbosity": 0}, **PLUGIN},
            ).run(["run", "-n", str(settings.concurrency), "-P", "process", "--continue", *selected])
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
        + summarize(prepared.plan, collector.outcomes, control.cancelled, read_events(settings.events_path)),
        cancelled=control.cancelled,
        seconds=time.monotonic() - started,
        runtime_errors=[*collector.runtime_errors, *GuardedSqliteDB.faults, *([unrestored] if unrestored else [])],
        doit_status=status,
    )
    if status == 3 and not result.runtime_errors:
        result.runtime_errors.append("doit stopped before running tasks (exit 3); see the message above")
    observer.on_state(SchedulerState.STOPPED if control.cancelled else SchedulerState.FINISHED,
                      f"{result.counts()}")
    try:
        write_summary(settings, result)
    except EnvironmentFault as exc:  # printed below all the same
        result.runtime_errors.append(f"the summary could not be saved: {exc.one_line()}")
    observer.on_finish(result)
    return result


def write_summary(settings: PublishSettings, result: RunResult) -> None:
    data = result.to_json()
    with envfaults.named("saving the run's summary", state_dir=settings.state_dir):
        atomic_write_json(Path(settings.run_dir) / "summary.json", data)
        atomic_write_json(Path(settings.state_dir) / "last-run.json", data)


def render_summary(result: RunResult, *, rehearsal: bool = False) -> str:
    from releasekit.render import table

    rows = []
    for p in result.packages:
        what = p.status if not p.stage or p.status in ("published", "already-published") else f"{p.status} ({p.stage})"
        detail = p.message
        if p.status == "published":
            detail = f"uploaded {', '.join(p.uploaded)}" if p.uploaded else "uploaded"
        elif p.status == "already-published":
            detail = p.message or "already on the index with identical files; nothing uploaded"
        elif p.status == "kept-existing":
            detail = "different files already on the index were kept (--skip-existing)"
        rows.append((p.name, p.version, what, detail))
    text = table(("package", "version", "result", "detail"), rows, shrink=(3,), floors={3: 40}, prose=(3,))
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts().items()))
    fault = result.environment_fault
    verdict = "ok" if result.ok else ("STOPPED" if fault else "cancelled" if result.cancelled else "FAILED")
    text += f"\n{verdict}: {counts or 'nothing to do'} in {result.seconds:.1f}s (run {result.run_id})\n"
    for err in result.runtime_errors:
        text += f"error: {err}\n"
    if fault:
        text += "fix that (free space, a writable state directory: --state-dir DIR), then "
    if not result.ok and rehearsal and not fault:
        text += "every rehearsal starts from an empty throwaway index: fix what failed and rehearse again\n"
    elif not result.ok:
        text += "rerun the same command to resume: only what is missing on the index is uploaded\n"
    return text
