"""The side channel from actions (in worker processes) to the front end (in the main process).

doit only reports task-level events; retries, sub-stages and progress inside an action go
through an append-only NDJSON file in the run's directory. One ``write()`` per line with
O_APPEND keeps lines whole across processes, works under every start method, and leaves a
durable log of where a run stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from releasekit.support.redact import redact

Event = dict[str, Any]


def emit(events_path: str, package: str, stage: str, kind: str, **data: Any) -> None:
    """Append one event; never raises (progress reporting must not fail a release)."""
    if not events_path:
        return
    event = {"t": round(time.time(), 3), "package": package, "stage": stage, "event": kind, **data}
    line = redact(json.dumps(event, default=str)) + "\n"
    try:
        fd = os.open(events_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        pass


def iter_events(events_path: str | Path) -> Iterator[Event]:
    """The events of a file one line at a time: a 1000-package run writes megabytes of them."""
    try:
        with open(events_path, "rb") as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue
    except OSError:
        return


def read_events(events_path: str | Path) -> list[Event]:
    return list(iter_events(events_path))


class EventTail:
    """Follows an events file from a thread and hands each new event to ``callback``."""

    def __init__(self, events_path: str | Path, callback: Callable[[Event], None], interval: float = 0.1) -> None:
        self.path = Path(events_path)
        self.callback = callback
        self.interval = interval
        self._offset = 0
        self._buffer = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="releasekit-events", daemon=True)

    def start(self) -> EventTail:
        self._thread.start()
        return self

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except OSError:
            return
        if not chunk:
            return
        self._offset += len(chunk)
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with contextlib.suppress(Exception):  # a front-end bug must not stop the release
                self.callback(event)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._read()
