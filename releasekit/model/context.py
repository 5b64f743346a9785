"""What every command does first: find the workspace, repair a killed run's leftovers, load."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from releasekit.model.config import Config
from releasekit.model.config_parse import parse_config
from releasekit.model.dynamic import resolve_dynamic
from releasekit.model.workspace import RootManifest, Workspace, load_workspace, locate
from releasekit.support.envfaults import PinnedFiles
from releasekit.support.state import repair_leftovers

Notice = Callable[[str], None]


def stderr_notice(message: str) -> None:
    print(f"releasekit: {message}", file=sys.stderr, flush=True)


def open_workspace(
    start: Path | None = None,
    *,
    repair: bool = True,
    notice: Callable[[str], None] = stderr_notice,
) -> Workspace:
    """Locate the workspace, restore files an interrupted run left rewritten, parse it, and ask
    the build backend for whatever pyproject.toml leaves dynamic (cached: usually no process).

    Files that cannot be restored now are named on stderr, one per line, and the command goes on.
    """
    located = locate(start or Path.cwd())
    if repair:
        try:
            repaired = repair_leftovers(_config(located).state_path(located.root), notice=notice)
        except PinnedFiles as exc:
            # Reading may go on, loudly; whatever writes refuses (its own repair raises this).
            repaired = exc.restored
            for line in exc.warning_lines():
                notice(line)
        for message in repaired:
            notice(f"repaired a file left by an interrupted run: {message}")
        if repaired:  # the root manifest itself may have been restored: read it again
            return resolve_dynamic(load_workspace(located.root))
    return resolve_dynamic(load_workspace(located=located))


def _config(located: RootManifest) -> Config:
    raw = located.data.get("tool", {})
    return parse_config(raw.get("releasekit") if isinstance(raw, dict) else None, located.manifest, located.text)


def state_dir_of(start: Path | None = None) -> Path:
    """The workspace's state directory, without loading its members (reading past runs needs no more)."""
    located = locate(start or Path.cwd())
    return _config(located).state_path(located.root)
