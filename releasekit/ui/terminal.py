"""Single keys from the terminal without a reader thread, and the terminal mode put back.

The runner's main loop calls the front end every 0.1 s (RunControl.tick), so keys are
polled there with a zero-timeout select(): no thread exists when workers start, and keys
act in the same thread that hands out jobs. cbreak mode keeps ISIG, so Ctrl-C still sends
SIGINT (the graceful drain). The saved mode is restored by ``restore()``, which the
front end's context manager, ``atexit`` and every exit path call; it is idempotent.
"""

from __future__ import annotations

import atexit
import os
import select
import sys
from typing import Any, TextIO


class TerminalKeys:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self._fd: int | None = None
        self._saved: Any = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def start(self) -> bool:
        """Switch the terminal to cbreak (no echo, key by key); False when it is no terminal."""
        if self._saved is not None:
            return True
        try:
            # lazy: posix only (Windows has no termios: ImportError below means no keys)
            import termios
            import tty

            fd = self.stream.fileno()
            if not os.isatty(fd):
                return False
            self._saved = termios.tcgetattr(fd)
            self._fd = fd
            tty.setcbreak(fd, termios.TCSANOW)
        except (ImportError, OSError, ValueError, AttributeError):
            self._saved = None
            return False
        atexit.register(self.restore)
        return True

    def read(self) -> str:
        """Keys typed since the last call ('' if none); never blocks."""
        if self._fd is None or self._saved is None:
            return ""
        try:
            ready, _, _ = select.select([self._fd], [], [], 0)
            if not ready:
                return ""
            data = os.read(self._fd, 64)
        except (OSError, ValueError):
            return ""
        return data.decode("utf-8", "replace")

    def restore(self) -> None:
        if self._saved is None or self._fd is None:
            return
        saved, self._saved = self._saved, None
        try:
            import termios  # lazy: posix only, as in start()

            # TCSAFLUSH: keys typed during the drain must not leak into the shell afterwards
            termios.tcsetattr(self._fd, termios.TCSAFLUSH, saved)
        except (ImportError, OSError, ValueError):
            pass
        atexit.unregister(self.restore)
