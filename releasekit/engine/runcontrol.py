"""Drain, pause and resume of a run: what signals and front-end keys ask of the runner.

The control only records what was asked; the runner it is passed to reads it between jobs
(no new stage starts once cancelled or while paused; running stages always finish). A
signal handler may interrupt the front end half-way through a write, so what it has to say
is queued and delivered by ``tick()``, which the runner calls from its main loop.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections import deque
from collections.abc import Iterator
from types import FrameType

from releasekit.engine.observer import PublishObserver, SchedulerState

#: Signals that drain the run (a second one stops it at once).
DRAINING_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunControl:
    """Cancel (drain), pause and resume requests for one run, and the front end's tick."""

    def __init__(self, observer: PublishObserver) -> None:
        self.observer = observer
        self.cancelled = False
        self.reason = ""
        self.paused = False
        self._notices: deque[tuple[SchedulerState, str]] = deque()
        self.front_end_error = ""

    @property
    def holding(self) -> bool:
        """Whether a stage that has not started yet must wait (paused) or never start (cancelled)."""
        return self.cancelled or self.paused

    def cancel(self, reason: str, *, by_signal: bool = True) -> None:
        if self.cancelled:
            return
        self.cancelled = True
        self.reason = reason
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

    def pause(self, reason: str = "pause requested", *, defer: bool = False) -> None:
        """No new stage starts; running ones finish. ``defer``: called from a signal handler."""
        if self.cancelled or self.paused:
            return
        self.paused = True
        self._notice(
            SchedulerState.PAUSED,
            f"{reason}: no new stage starts, running stages finish (resume: r or SIGUSR2; cancel: q or Ctrl-C)",
            defer,
        )

    def resume(self, reason: str = "resume requested", *, defer: bool = False) -> None:
        if not self.paused:
            return
        self.paused = False
        if not self.cancelled:
            self._notice(SchedulerState.RUNNING, f"{reason}: stages start again", defer)

    def _notice(self, state: SchedulerState, detail: str, defer: bool) -> None:
        if defer:
            self._notices.append((state, detail))
        else:
            self.observer.on_state(state, detail)

    def handle_pause_signal(self, signum: int, frame: FrameType | None) -> None:
        self.pause(f"{signal.Signals(signum).name} received", defer=True)

    def handle_resume_signal(self, signum: int, frame: FrameType | None) -> None:
        self.resume(f"{signal.Signals(signum).name} received", defer=True)

    def tick(self) -> None:
        """Called by the runner's main loop at least every poll interval, in the main thread."""
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
            sys.stderr.write(f"releasekit: the progress display failed and is off ({exc!r}); the release goes on\n")


@contextlib.contextmanager
def signals_to(control: RunControl) -> Iterator[None]:
    """While the run lasts: INT/TERM drain it, USR1/USR2 pause and resume it."""
    handlers = {
        **dict.fromkeys(DRAINING_SIGNALS, control.handle_signal),
        signal.SIGUSR1: control.handle_pause_signal,
        signal.SIGUSR2: control.handle_resume_signal,
    }
    saved = {s: signal.signal(s, h) for s, h in handlers.items()}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
