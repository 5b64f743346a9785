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

from releasekit.errors import EnvironmentFault, StateError
from releasekit.support import envfaults
from releasekit.support.fsutil import atomic_write
from releasekit.support.journal import Journal

GITIGNORE = "# Created by releasekit: its state never belongs in version control.\n*\n"


def ensure_state_dir(state_dir: Path) -> Path:
    """The state directory, created with its ``.gitignore``; a path that cannot be one, or a
    directory that cannot be written, is an EnvironmentFault naming it (RK310-RK312)."""
    if state_dir.is_symlink() and not state_dir.exists():
        raise envfaults.fault(envfaults.NOT_A_DIRECTORY, state_dir, "the state directory is a broken symlink")
    if state_dir.exists() and not state_dir.is_dir():
        raise envfaults.fault(envfaults.NOT_A_DIRECTORY, state_dir, "the state directory is a file, not a directory")
    with envfaults.named("creating the state directory", state_dir):
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file appeared there meanwhile, or a parent is one
            raise envfaults.fault(
                envfaults.NOT_A_DIRECTORY, state_dir, "the state directory is not a directory"
            ) from None
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        with envfaults.named("creating the state directory"):
            atomic_write(ignore, GITIGNORE.encode())  # never a half-written, empty one
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

    def __init__(self, state_dir: Path, command: str, *, notice: Callable[[str], None] | None = None) -> None:
        self.path = state_dir / "lock"
        self.command = command
        # Told when the lock is taken over from a holder that died (default: stderr).
        self.notice = notice or _stderr_notice
        self._handle: IO[str] | None = None
        self._read_only = False  # held for a repair on a state directory that cannot be written
        self.recovered_from: dict[str, Any] | None = None

    def holder(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            return json.loads(text) if text else None
        except (OSError, ValueError):
            return None

    def _held_by_another(self) -> StateError:
        info = self.holder() or {}
        since = time.strftime("%H:%M:%S", time.localtime(info.get("started", 0))) if info else "?"
        who = (
            f"`releasekit {info.get('command', '?')}` (pid {info.get('pid', '?')} on "
            f"{info.get('host', '?')}, started {since})"
            if info
            else "another process"
        )
        return StateError(
            f"another releasekit run holds this workspace: {who}",
            path=self.path,
            code="RK300",
            hint="wait for it to finish, or stop it; a dead holder releases the lock by itself",
        )

    def acquire(self) -> StateLock:
        ensure_state_dir(self.path.parent)
        with envfaults.named("taking the workspace lock"):
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise self._held_by_another() from None
        try:
            self._write_holder(handle)
        except OSError as exc:
            with contextlib.suppress(OSError):
                _unlock(handle)
            handle.close()
            raise envfaults.from_oserror(exc, doing="taking the workspace lock") or exc from None
        self._handle = handle
        return self

    def acquire_for_repair(self) -> StateLock:
        """The lock for putting files back: as :meth:`acquire`, or, when the state directory
        cannot be written (read-only, full), held on a read-only handle, which excludes a live
        run just as well. No lock file there means no run has ever held it."""
        try:
            return self.acquire()
        except EnvironmentFault:
            pass
        try:
            handle = open(self.path, encoding="utf-8")  # noqa: SIM115 - held until release()
        except FileNotFoundError:
            return self
        except OSError as exc:
            raise envfaults.from_oserror(exc, doing="taking the workspace lock") or exc from None
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise self._held_by_another() from None
        self._handle = handle
        self._read_only = True
        return self

    def _write_holder(self, handle: IO[str]) -> None:
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

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            if not self._read_only:
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


def repair_leftovers(
    state_dir: Path,
    *,
    holding_lock: bool = False,
    notice: Callable[[str], None] | None = None,
    command: str = "repair",
    refuse_if_held: bool = False,
) -> list[str]:
    """Restore files a killed run left rewritten, unless a live run owns them.

    Called at the start of every command. Without the lock we take it briefly (read-only if
    the state directory cannot be written); if a live run holds it, its journal entries are
    its own business and nothing is touched (``refuse_if_held``: RK300 says so). Files that
    cannot be written back raise PinnedFiles (RK313).
    """
    journal = Journal(state_dir)
    with envfaults.named("reading the journal"):
        if not journal.directory.is_dir() or journal.is_empty():
            return []
    if holding_lock:
        return journal.repair()
    lock = StateLock(state_dir, command, notice=notice)
    try:
        lock.acquire_for_repair()
    except StateError as exc:
        if exc.code == "RK300" and not refuse_if_held:
            return []
        raise
    try:
        return journal.repair()
    finally:
        lock.release()
