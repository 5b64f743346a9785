"""The check for what killed or earlier runs left behind, and ``--fix`` deleting the safe part."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasekit.checks.base import CheckContext
from releasekit.checks.findings import Severity
from releasekit.checks.report import Change, Finding
from releasekit.errors import StateError
from releasekit.support.fsutil import TMP_MARK
from releasekit.support.journal import Journal
from releasekit.support.state import StateLock

KEPT_ORIGINAL = ".releasekit-original"
BACKUP_SUFFIXES = (".bak", ".orig")


def _artifacts(directory: Path) -> list[str]:
    """Files in a dist/ folder that count as content (uv writes a lone .gitignore there)."""
    try:
        return sorted(e.name for e in os.scandir(directory) if e.name != ".gitignore")
    except OSError:
        return []


def _live_holder(state_dir: Path) -> dict[str, Any] | None:
    """The lock holder's record when another live process holds the workspace, else None."""
    info = StateLock(state_dir, "check").holder()
    if not info:
        return None
    try:
        pid = int(info.get("pid", 0))
    except (TypeError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # killed without releasing: its rewrites are stale
    except OSError:
        pass  # alive, owned by someone else
    return info


def _leftover(
    severity: Severity, package: str | None, file: str, message: str, hint: str, fixable: bool = False
) -> Finding:
    return Finding("stale_artifacts", severity, package, file, message, hint, fixable)


def _entry_leftover(entry: os.DirEntry[str], package: str | None, rel: str) -> Finding | None:
    """What is wrong with one file or folder next to a pyproject.toml, or None."""
    if TMP_MARK in entry.name and entry.is_file():
        return _leftover(
            "warning",
            package,
            rel,
            "temporary file left by a killed releasekit write",
            "delete it (releasekit check --fix does)",
            fixable=True,
        )
    if entry.name.endswith(KEPT_ORIGINAL):
        return _leftover(
            "error",
            package,
            rel,
            "original saved by `releasekit restore` because the file was edited while releasekit had rewritten it",
            f"compare it with {entry.name[: -len(KEPT_ORIGINAL)]}, keep the right content, then delete it",
        )
    if entry.name.endswith(BACKUP_SUFFIXES) and entry.is_file():
        return _leftover(
            "warning",
            package,
            rel,
            "backup file left by an earlier run or editor",
            "compare it with the file it backs up, then delete it",
        )
    if entry.name == "dist" and entry.is_dir():
        content = _artifacts(Path(entry.path))
        if content:
            shown = ", ".join(content[:3]) + (f" and {len(content) - 3} more" if len(content) > 3 else "")
            return _leftover(
                "warning",
                package,
                rel,
                f"dist/ holds {len(content)} file(s) from an earlier build ({shown})",
                "delete dist/ so an old file cannot be uploaded by mistake (releasekit check --fix does)",
                fixable=True,
            )
    return None


def _journal_leftovers(ctx: CheckContext) -> list[Finding]:
    """Files an interrupted run rewrote and did not restore (unless a live run owns them)."""
    try:
        pending = Journal(ctx.ws.state_dir).entries()
    except StateError as exc:
        return [_leftover("error", None, ctx.rel(exc.path or ctx.ws.state_dir), exc.message, exc.hint)]
    holder = _live_holder(ctx.ws.state_dir) if pending else None
    if holder is not None:
        # A release in progress owns these rewrites and restores them when it ends.
        return [
            _leftover(
                "warning",
                None,
                ctx.rel(ctx.ws.state_dir),
                f"`releasekit {holder.get('command', '?')}` (pid {holder.get('pid')}) "
                f"is running and has {len(pending)} file(s) rewritten",
                "check again when it has finished",
            )
        ]
    return [
        _leftover(
            "error",
            None,
            ctx.rel(entry.path),
            f"rewritten by an interrupted run ({entry.reason or 'releasekit'}) and not restored yet",
            "run `releasekit restore` (every releasekit command also does it when no run is active)",
        )
        for entry in pending
    ]


def stale_artifacts(ctx: CheckContext) -> list[Finding]:
    found: list[Finding] = []
    owner = {p.path: p.name for p in ctx.ws.packages}
    for directory in dict.fromkeys([ctx.ws.root, *owner]):
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            finding = _entry_leftover(entry, owner.get(directory), ctx.rel(Path(entry.path)))
            if finding is not None:
                found.append(finding)
    return found + _journal_leftovers(ctx)


def remove_leftover(finding: Finding, ctx: CheckContext) -> Sequence[Change]:
    """What ``--fix`` does for a fixable finding: delete the temp file or dist/ it names."""
    if finding.check != "stale_artifacts" or not finding.fixable or finding.file is None:
        return []
    root = ctx.ws.root.resolve()
    target = ctx.ws.root / finding.file
    path = target.resolve()
    if target.is_symlink() or not path.is_relative_to(root) or path == root:
        return []  # never follow a link out of the workspace when deleting
    if path.name == "dist" and path.is_dir():
        shutil.rmtree(path)
    elif TMP_MARK in path.name and path.is_file():
        path.unlink()
    else:
        return []
    return [Change(finding.check, finding.package, finding.file, "removed")]
