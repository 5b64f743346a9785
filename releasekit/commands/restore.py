"""`restore`: put back every file an interrupted run left rewritten."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from releasekit.config import parse_config
from releasekit.journal import Journal
from releasekit.state import StateLock
from releasekit.workspace import locate


def restore(args: argparse.Namespace) -> int:
    # Only the root manifest is read: the members may be exactly the files left broken, and
    # restoring them must not depend on their being parseable.
    located = locate(getattr(args, "workspace", None) or Path.cwd())
    tool = located.data.get("tool", {})
    config = parse_config(
        tool.get("releasekit") if isinstance(tool, dict) else None, located.manifest, located.text
    )
    state = config.state_path(located.root)
    journal = Journal(state)
    if not journal.directory.is_dir() or journal.is_empty():
        print("nothing to restore: no file is rewritten", file=sys.stderr)
        return 0
    with StateLock(state, "restore"):
        for message in journal.repair():
            print(message)
    return 0
