"""Faults of the machine, not of releasekit: a full disk, a read-only or missing state directory.

Each one becomes an :class:`~releasekit.errors.EnvironmentFault` with a stable code, the path
that could not be written and what the user can do about it, instead of an internal error
with a traceback. What releasekit's own writes raise (``OSError``) and what uv or sqlite
print about the same faults are classified alike.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from releasekit.errors import CommandError, EnvironmentFault, ReleasekitError
from releasekit.support.fsutil import TMP_MARK

NOT_A_DIRECTORY = "RK310"
READ_ONLY = "RK311"
NO_SPACE = "RK312"
PINNED = "RK313"
CODES = (NOT_A_DIRECTORY, READ_ONLY, NO_SPACE, PINNED)

MOVE = "the state directory can also move: --state-dir DIR (or [tool.releasekit] state_dir)"
_BY_ERRNO = {
    errno.ENOSPC: NO_SPACE,
    errno.EDQUOT: NO_SPACE,
    errno.EROFS: READ_ONLY,
    errno.EACCES: READ_ONLY,
    errno.EPERM: READ_ONLY,
    errno.ENOTDIR: NOT_A_DIRECTORY,
}
# What uv (Rust's io errors) and sqlite print about the same faults.
_IN_TEXT = (
    (
        re.compile(
            r"no space left on device|os error 28\b|disk quota exceeded|os error 122\b"
            r"|database or disk is full",
            re.IGNORECASE,
        ),
        NO_SPACE,
    ),
    (re.compile(r"read-only file system|os error 30\b|attempt to write a readonly database", re.IGNORECASE), READ_ONLY),
)
_PATH_IN_LINE = re.compile(r"`(/[^`]+)`")  # uv names the file it failed on: `failed to write `/x/y`: ...`


def fault(code: str, path: Path | str | None, detail: str = "", *, doing: str = "") -> EnvironmentFault:
    """The fault ``code`` at ``path``, with what was being done and the hint that fits."""
    while_ = f" while {doing}" if doing else ""
    if code == NO_SPACE:
        message = f"no space left on the device{while_}"
        hint = f"free space on that disk and rerun (it goes on where this run stopped); {MOVE}"
    elif code == READ_ONLY:
        message = f"{detail or 'not writable'}{while_}"
        hint = f"make it writable (permissions, a read-only mount); {MOVE}"
    else:
        message = (detail or "the state directory is not a directory") + while_
        hint = f"remove or rename what is in the way; {MOVE}"
    return EnvironmentFault(message, path=path, code=code, hint=hint)


def from_oserror(
    exc: OSError, *, doing: str = "", path: Path | str | None = None, state_dir: Path | str | None = None
) -> EnvironmentFault | None:
    """The environment fault ``exc`` is, or None when it is something else (a bug, a race).

    A file not found is a fault only when ``state_dir`` itself is gone (removed mid-run)."""
    code = _BY_ERRNO.get(exc.errno or 0)
    if exc.errno == errno.ENOENT and state_dir is not None and not os.path.isdir(state_dir):
        return fault(
            NOT_A_DIRECTORY, state_dir, "the state directory is gone (removed while releasekit ran)", doing=doing
        )
    if code is None:
        return None
    where = path if path is not None else _written(exc.filename)
    detail = exc.strerror or ""
    if code == NOT_A_DIRECTORY:
        detail = f"a part of the path is not a directory ({detail})" if detail else ""
    return fault(code, where, detail, doing=doing)


def _written(filename: str | bytes | int | None) -> str | None:
    """The file a write was for: atomic writes fail on their temporary sibling."""
    if not isinstance(filename, str):
        return None
    name = os.path.basename(filename)
    if TMP_MARK in name and name.startswith("."):
        return os.path.join(os.path.dirname(filename), name[1 : name.index(TMP_MARK)])
    return filename


def from_text(text: str, *, doing: str = "", path: Path | str | None = None) -> EnvironmentFault | None:
    """The environment fault a tool's output reports (uv's "os error 28"), or None."""
    for line in text.splitlines():
        for pattern, code in _IN_TEXT:
            if pattern.search(line):
                named_path = _PATH_IN_LINE.findall(line)
                where = path if path is not None else (named_path[-1] if named_path else None)
                return fault(code, where, "read-only file system" if code == READ_ONLY else "", doing=doing)
    return None


def stage_error(exc: BaseException, task: str, state_dir: str | None = None) -> ReleasekitError | None:
    """What the failed stage ``task`` (``build:pkg``) reports: an environment fault as such (also
    when uv or git met it), any other releasekit error as it is, and None for a bug."""
    if isinstance(exc, CommandError):
        tool = " ".join(os.path.basename(a) for a in exc.argv[:2])
        return from_text(exc.output, doing=f"running `{tool}` for {task}") or exc
    if isinstance(exc, ReleasekitError):
        return exc
    if isinstance(exc, OSError):
        return from_oserror(exc, doing=f"running {task}", state_dir=state_dir)
    return None


def is_fault_line(text: str) -> bool:
    """Does a one-line error (``error[RK312] ...``) report an environment fault?"""
    return any(f"error[{code}]" in text for code in CODES)


@contextlib.contextmanager
def named(doing: str, path: Path | str | None = None, *, state_dir: Path | str | None = None) -> Iterator[None]:
    """Turn an environment ``OSError`` raised in the block into its EnvironmentFault."""
    try:
        yield
    except OSError as exc:
        found = from_oserror(exc, doing=doing, path=path, state_dir=state_dir)
        if found is None:
            raise
        raise found from None


class PinnedFiles(EnvironmentFault):
    """Files an interrupted run rewrote that cannot be put back now, and how to do it later."""

    code = PINNED

    def __init__(self, files: list[tuple[Path, Path]], cause: EnvironmentFault, restored: list[str]) -> None:
        self.files = files  # (the rewritten file, the journal's copy of its original bytes)
        self.cause = cause
        self.restored = restored
        by_hand = "; ".join(f"cp {backup} {path}" for path, backup in files)
        self.why = f"{cause.code}: {cause.location()}: {cause.message}"
        super().__init__(
            f"{len(files)} file(s) an interrupted run rewrote could not be restored ({self.why}): "
            + ", ".join(str(path) for path, _ in files),
            code=PINNED,
            hint=f"fix that, then run `releasekit restore`; or copy each original back by hand: {by_hand}",
        )

    def warning_lines(self) -> list[str]:
        """The same, loud and one file per line, for commands that can go on reading."""
        lines = [
            f"WARNING[{PINNED}]: {len(self.files)} file(s) an interrupted run rewrote are still rewritten: "
            f"they could not be restored ({self.why})"
        ]
        lines += [f"  still rewritten: {path} (original bytes: {backup})" for path, backup in self.files]
        lines.append("  fix that, then run `releasekit restore` (or any command); or copy each original over its file")
        return lines
