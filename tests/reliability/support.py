"""Helpers shared by the reliability suite: running the real CLI, snapshots, process groups."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from releasekit.engine import events
from tests.harness.gitrepo import GitRepo
from tests.harness.runstate import STATE, journal_entries
from tests.harness.tree import workspace_files


def git_status(ws: Path) -> list[str]:
    return GitRepo(ws).status()


def group_members(pgid: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes of process group ``pgid``: (pid, command)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ... ; comm may contain spaces and parentheses
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) < 3 or rest[0] == "Z" or int(rest[2]) != pgid:
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = "?"
        found.append((int(entry.name), cmd))
    return found


def wait_group_gone(pgid: int, timeout: float) -> list[tuple[int, str]]:
    """Wait until no live process is left in ``pgid``; returns what is still there."""
    deadline = time.monotonic() + timeout
    left = group_members(pgid)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = group_members(pgid)
    return left


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def events_of_latest_run(ws: Path, after: float = 0.0) -> list[dict[str, Any]]:
    """Events of the newest run directory created at or after ``after`` (time.time())."""
    runs = [d for d in (ws / STATE / "runs").glob("*") if d.is_dir() and d.stat().st_mtime >= after - 1]
    if not runs:
        return []
    newest = max(runs, key=lambda d: d.stat().st_mtime)
    return read_events(newest / "events.ndjson")


def read_events(path: Path) -> list[dict[str, Any]]:
    """The run's NDJSON events, read the way releasekit itself reads them."""
    return events.read_events(path)


def wait_pinned(ws: Path, proc: subprocess.Popen[str], before: Mapping[str, str], timeout: float = 60) -> None:
    """Until the run holds the lock and has a pyproject.toml rewritten for a build (journaled
    *and* written: the journal entry comes first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal_entries(ws) and workspace_files(ws) != before:
            return
        assert proc.poll() is None, "the publish ended before it pinned anything"
        time.sleep(0.01)
    raise AssertionError("no pyproject.toml was pinned in time")


def kill_while_pinned(ws: Path, proc: subprocess.Popen[str], before: Mapping[str, str]) -> list[str]:
    """SIGKILL the run's process group at an instant when a pyproject.toml is rewritten (frozen
    first, so the instant is certain); returns the workspace files it left rewritten."""
    def rewritten() -> list[str]:  # not merely a temporary file next to one, half written
        return [rel for rel, sha in workspace_files(ws).items()
                if rel.endswith("pyproject.toml") and before.get(rel) not in (None, sha)]

    while True:
        wait_pinned(ws, proc, before)
        os.killpg(proc.pid, signal.SIGSTOP)
        if journal_entries(ws) and rewritten():
            break
        os.killpg(proc.pid, signal.SIGCONT)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert wait_group_gone(proc.pid, 10) == []
    return rewritten()
