"""Worker processes: how they start, which signals they ignore, and the gate a stage passes to start.

- Workers ignore Ctrl-C and SIGTERM (the orchestrator owns them) and so does the uv they
  run, so a first interrupt never lands half-way through an upload; after a second one the
  orchestrator kills them, and their uv dies with them (PR_SET_PDEATHSIG on Linux).
- A job a worker has been handed starts only once the gate lets it: it waits while the run
  is paused and never starts once the run is draining (its result says so, nothing ran).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from multiprocessing.process import BaseProcess

from doit.exceptions import InvalidTask, TaskError

from releasekit.backends import process
from releasekit.engine.runcontrol import DRAINING_SIGNALS, RunControl
from releasekit.errors import UsageError

START_METHODS = ("spawn", "forkserver", "fork")
#: forkserver on Linux (Python 3.14's default there): each worker is forked from one server
#: that imported releasekit once, so 8 workers start in 0.3 s instead of 1.4 s, and nothing
#: is forked from the orchestrator's threads. Elsewhere spawn (macOS frameworks are fork-unsafe).
DEFAULT_START_METHOD = (
    "forkserver" if sys.platform == "linux" and "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
)


def set_start_method(method: str) -> None:
    if method not in START_METHODS:
        raise UsageError(f"unknown start method {method!r}", hint="use spawn, forkserver or fork")
    if method == "forkserver":
        # Import releasekit once in the fork server instead of once per worker (~0.35 s CPU
        # each, measured by benchmarks/scheduling.py); the modules have no import side effects.
        preload = ["__main__", "releasekit.engine.drainrunner", "releasekit.engine.actions"]
        multiprocessing.set_forkserver_preload(preload)
    if multiprocessing.get_start_method(allow_none=True) != method:
        multiprocessing.set_start_method(method, force=True)


class NotStarted(TaskError):  # type: ignore[misc]
    """A worker's answer for a job it was handed as the run began to drain: nothing ran."""


class WorkerGate:
    """Shared with the workers: whether a stage they have been handed may start."""

    def __init__(self) -> None:
        self._open = multiprocessing.Event()
        self._open.set()
        self._draining = multiprocessing.Event()
        self._followed = (False, False)  # (paused, cancelled) as last passed on: only changes cost

    def __getstate__(self) -> dict[str, object]:
        return {"_open": self._open, "_draining": self._draining}

    def follow(self, control: RunControl) -> None:
        """In the orchestrator: close the gate while paused; once draining, open it for good."""
        wanted = (control.paused, control.cancelled)
        if wanted == self._followed:
            return
        self._followed = wanted
        if control.cancelled:
            self._draining.set()
            self._open.set()
        elif control.paused:
            self._open.clear()
        else:
            self._open.set()

    def admit(self) -> bool:
        """In a worker, before a stage starts: wait while paused; False once the run drains."""
        self._open.wait()
        return not self._draining.is_set()


_worker = {"ready": False}


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Raised inside the running action, so its `finally` (restore) runs before exit.
    raise SystemExit(128 + signum)


def _watch_parent(sentinel: int) -> None:
    # multiprocessing's parent sentinel becomes ready when the orchestrator is gone, under
    # every start method (under forkserver, getppid() is the fork server, not the parent).
    multiprocessing.connection.wait([sentinel])
    # The orchestrator died (SIGKILL): do not linger holding locks or pipes. Files this
    # worker had rewritten are restored by the next run from the journal.
    os._exit(70)


def cpu_seconds() -> float:
    """CPU this worker and the commands it ran (uv, builds, venvs) have used so far: a stage's cost."""
    own, commands = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + commands.ru_utime + commands.ru_stime


def worker_init() -> None:
    """Once per worker process: Ctrl-C is the orchestrator's to handle (it drains), SIGTERM
    unwinds through `finally`, the worker exits if its parent disappears, and the commands it
    runs die with it."""
    if _worker["ready"]:
        return
    _worker["ready"] = True
    parent = multiprocessing.parent_process()
    if parent is None or threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    process.die_with_parent()
    sentinel = parent.sentinel
    if sentinel is not None:
        threading.Thread(target=_watch_parent, args=(sentinel,), daemon=True, name="parent-watch").start()


def start_worker() -> None:
    """First thing in a worker, before it waits for a job."""
    worker_init()  # arm the parent watchdog first, so a worker whose orchestrator was SIGKILLed never lingers
    # SIGTERM is the orchestrator's, like Ctrl-C: a SIGTERM sent to the whole process group
    # (systemd, `docker stop`, `kill -TERM -PGID`) drains the run, so the stages in flight
    # finish. Had a worker died of it, doit would have raised its SystemExit in the
    # orchestrator (exit 1, no summary) or hung joining it. The orchestrator's own hard stop
    # kills workers instead and restores their files from the journal.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # drops one pending since start-up
    if hasattr(signal, "pthread_sigmask"):  # inherited blocked from signals_held_off
        signal.pthread_sigmask(signal.SIG_UNBLOCK, DRAINING_SIGNALS)


@contextlib.contextmanager
def signals_held_off() -> Iterator[None]:
    """While workers start: they inherit INT and TERM blocked, and ignore them before unblocking.

    A signal mask survives fork and exec, so a Ctrl-C or a SIGTERM sent to the whole group
    while a worker is still starting stays pending there until `start_worker` ignores it (a
    worker that died of it left the orchestrator waiting for it forever). The orchestrator
    keeps its handlers: its other threads (the event tail, the staging index) do not block the
    signal and take it, and Python runs the handler in the main thread. Ignoring the signal here
    instead would drop one delivered to those threads.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, DRAINING_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def check_alive(workers: Sequence[BaseProcess]) -> None:
    """A worker that died (OOM killer, a signal) never reports: stop instead of waiting forever.

    Workers exit on their own (code 0) only after being told to, when nothing is left.
    """
    for proc in workers:
        code = proc.exitcode
        if code not in (None, 0):
            how = f"exit code {code}"
            if code < 0:
                with contextlib.suppress(ValueError):
                    how = f"signal {signal.Signals(-code).name}"
            raise InvalidTask(
                f"a worker process (pid {proc.pid}) died of {how}; the run was stopped "
                "(rerun the same command to resume)"
            )


def stop_at_once(workers: Sequence[BaseProcess]) -> None:
    """Kill the workers (they ignore SIGTERM) and wait, so none writes a file once the journal is replayed."""
    for proc in workers:
        proc.kill()
    for proc in workers:
        proc.join(timeout=10)
