"""The state directory: one place for the journal, the doit DB, builds, runs and the lock.

It ignores itself for git (a ``.gitignore`` holding ``*``), so nothing releasekit writes
ever shows in ``git status``. The lock is an OS file lock: a holder that dies, even by
SIGKILL, releases it, so a stale lock never needs a human.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from releasekit.errors import StateError
from releasekit.journal import Journal

GITIGNORE = "# Created by releasekit: its state never belongs in version control.\n*\n"


def ensure_state_dir(state_dir: Path) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE, encoding="utf-8")
    return state_dir


def _stderr_notice(message: str) -> None:
    print(f"releasekit: {message}", file=sys.stderr, flush=True)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class StateLock:
    """Exclusive lock on a workspace's state directory, naming its holder."""

    def __init__(self, state_dir: Path, command: str, *,
                 notice: Callable[[str], None] | None = None) -> None:
        self.path = state_dir / "lock"
        self.command = command
        # Told when the lock is taken over from a holder that died (default: stderr).
        self.notice = notice or _stderr_notice
        self._handle: IO[str] | None = None
        self.recovered_from: dict[str, Any] | None = None

    def holder(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            return json.loads(text) if text else None
        except (OSError, ValueError):
            return None

    def acquire(self) -> StateLock:
        ensure_state_dir(self.path.parent)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            _lock(handle)
        except OSError:
            handle.close()
            info = self.holder() or {}
            since = time.strftime("%H:%M:%S", time.localtime(info.get("started", 0))) if info else "?"
            who = (
                f"`releasekit {info.get('command', '?')}` (pid {info.get('pid', '?')} on "
                f"{info.get('host', '?')}, started {since})"
                if info
                else "another process"
            )
            raise StateError(
                f"another releasekit run holds this workspace: {who}",
                path=self.path,
                code="RK300",
                hint="wait for it to finish, or stop it; a dead holder releases the lock by itself",
            ) from None
        previous = self.holder()
        if previous and previous.get("pid") and not _pid_alive(int(previous["pid"])):
            self.recovered_from = previous
            self.notice(
                f"the previous `releasekit {previous.get('command', '?')}` (pid {previous['pid']}) died "
                "without releasing this workspace; took it over"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "command": self.command,
                    "started": time.time(),
                    "argv": [os.path.basename(sys.argv[0]), *sys.argv[1:2]],
                }
            )
        )
        handle.flush()
        os.fsync(handle.fileno())
        self._handle = handle
        return self

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
            handle.flush()
        with contextlib.suppress(OSError):
            _unlock(handle)
        handle.close()

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def repair_leftovers(state_dir: Path, *, holding_lock: bool = False,
                     notice: Callable[[str], None] | None = None) -> list[str]:
    """Restore files a killed run left rewritten, unless a live run owns them.

    Called at the start of every command. Without the lock we take it briefly; if a live
    run holds it, its journal entries are its own business and nothing is touched.
    """
    journal = Journal(state_dir)
    if not journal.directory.is_dir() or journal.is_empty():
        return []
    if holding_lock:
        return journal.repair()
    lock = StateLock(state_dir, "repair", notice=notice)
    try:
        lock.acquire()
    except StateError:
        return []
    try:
        return journal.repair()
    finally:
        lock.release()
