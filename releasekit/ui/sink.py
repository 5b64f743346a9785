"""A line writer that three kinds of caller can share without corrupting the output.

Observer callbacks arrive from the main thread, from the events-tail thread and, for
state changes, possibly from a signal handler that interrupted the main thread half-way
through a write. A plain lock would deadlock in the last case and a re-entrant one would
interleave bytes, so lines are queued and whoever holds the lock (never waited for)
writes out the queue.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TextIO


class LineSink:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending: deque[str] = deque()
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        """Queue one line (a newline is added) and flush the queue if nobody else is."""
        self._pending.append(line if line.endswith("\n") else line + "\n")
        self.flush()

    def flush(self) -> None:
        while self._pending:
            if not self._lock.acquire(blocking=False):
                return  # the holder (another thread, or the code a handler interrupted) writes it
            try:
                wrote = False
                while self._pending:
                    self.stream.write(self._pending.popleft())
                    wrote = True
                if wrote:
                    self.stream.flush()
            except (BrokenPipeError, ValueError):
                self._pending.clear()  # reader gone or stream closed: drop, never crash
            finally:
                self._lock.release()
            # a line queued between the last write and the release is picked up by the loop
