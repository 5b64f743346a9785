"""What every command does first: find the workspace, repair a killed run's leftovers, load."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from releasekit import tomlio
from releasekit.config import parse_config
from releasekit.state import repair_leftovers
from releasekit.workspace import Workspace, find_root, load_workspace


def stderr_notice(message: str) -> None:
    print(f"releasekit: {message}", file=sys.stderr, flush=True)


def open_workspace(
    start: Path | None = None,
    *,
    repair: bool = True,
    notice: Callable[[str], None] = stderr_notice,
) -> Workspace:
    """Locate the workspace, restore files an interrupted run left rewritten, then parse it."""
    root = find_root(start or Path.cwd())
    if repair:
        manifest = root / "pyproject.toml"
        text = tomlio.decode(tomlio.read_bytes(manifest), manifest)
        raw = tomlio.parse(text, manifest).get("tool", {})
        config = parse_config(raw.get("releasekit") if isinstance(raw, dict) else None, manifest, text)
        for message in repair_leftovers(config.state_path(root)):
            notice(f"repaired a file left by an interrupted run: {message}")
    return load_workspace(root)
