"""Running external commands: every result is checked, every output redacted."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import CommandError
from releasekit.support.redact import redact


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return redact((self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip())


PR_SET_PDEATHSIG = 1  # linux/prctl.h
_die_with_parent: dict[str, Callable[..., int] | None] = {"prctl": None}


def die_with_parent() -> None:
    """From now on, commands this process starts are killed if it dies first (Linux).

    For stage workers: when a second Ctrl-C makes the orchestrator kill its workers, or the
    orchestrator dies and they leave, no `uv publish` or `uv build` may run on unwatched.
    Whatever it was doing is settled by the next run (the journal, the index probe).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        _die_with_parent["prctl"] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return


def _preexec() -> Callable[[], None] | None:
    prctl = _die_with_parent["prctl"]
    if prctl is None:
        return None
    parent = os.getpid()

    def in_child() -> None:  # between fork and exec: no allocation-heavy work here
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return in_child


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
    hint: str | None = None,
    stdin: str | None = None,
) -> Result:
    """Run ``argv``; raise :class:`CommandError` on a non-zero exit unless ``check`` is False."""
    merged = dict(os.environ)
    if env:
        merged.update(env)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=merged,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
            preexec_fn=_preexec(),
        )
    except FileNotFoundError:
        raise CommandError(
            list(argv), 127, f"{argv[0]}: command not found", hint=hint or f"install {argv[0]}"
        ) from None
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        text = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
        raise CommandError(list(argv), -1, f"timed out after {timeout} s\n{text}", hint=hint) from None
    result = Result(tuple(argv), proc.returncode, proc.stdout or "", proc.stderr or "", time.monotonic() - started)
    if check and proc.returncode != 0:
        raise CommandError(list(argv), proc.returncode, result.output, hint=hint)
    return result
