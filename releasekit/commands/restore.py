"""`restore`: put back every file an interrupted run left rewritten."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from releasekit.model.config_parse import parse_config
from releasekit.model.workspace import locate
from releasekit.support.state import repair_leftovers


def restore(args: argparse.Namespace) -> int:
    # Only the root manifest is read: the members may be exactly the files left broken, and
    # restoring them must not depend on their being parseable.
    located = locate(getattr(args, "workspace", None) or Path.cwd())
    tool = located.data.get("tool", {})
    config = parse_config(tool.get("releasekit") if isinstance(tool, dict) else None, located.manifest, located.text)
    state = config.state_path(located.root)
    # A state directory that cannot be written still lets the files be put back (RK313 says
    # which ones could not be, and how to do it by hand); a live run's files are its own (RK300).
    messages = repair_leftovers(state, command="restore", refuse_if_held=True)
    if not messages:
        print("nothing to restore: no file is rewritten", file=sys.stderr)
    for message in messages:
        print(message)
    return 0
