"""Peak RSS of a running process and of its direct children (a helper: no ``run()``).

``os.wait4`` would give the largest of a process and every child it waited for, which hides
the orchestrator's own figure behind its workers'; ``/proc/<pid>/status`` ``VmHWM`` is each
process's own high-water mark.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path


def own_peak_mib(pid: int | str = "self") -> float:
    """A process's own peak RSS. Not ``getrusage().ru_maxrss``: Linux carries the high-water
    mark of the address space a process had before ``exec`` (its parent's, when forked) into it,
    so a child started by a big parent reports at least the parent's size."""
    return _status_kib(pid, "VmHWM") / 1024


def _status_kib(pid: int | str, field_name: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    """Every process below ``pid``: under forkserver the workers are the fork server's children."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in (int(p) for p in task.read_text().split()):
                out += [child, *_children(child)]
    return out


class PeakSampler:
    """Samples the peak RSS (``VmHWM``) of a process and of its direct children (the workers)
    every ``interval`` seconds; a process's own high-water mark only grows, so the last
    sample before it exits is its peak (to within the growth of the last interval)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.own = 0
        self.children: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.own = max(self.own, _status_kib(self.pid, "VmHWM"))
            for child in _children(self.pid):
                self.children[child] = max(self.children.get(child, 0), _status_kib(child, "VmHWM"))

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {"orchestrator": self.own / 1024, "worker": max(self.children.values(), default=0) / 1024}
