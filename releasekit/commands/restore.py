"""`restore`: put back every file an interrupted run left rewritten."""

from __future__ import annotations

import argparse
import sys

from releasekit.context import open_workspace
from releasekit.journal import Journal
from releasekit.state import StateLock


def restore(args: argparse.Namespace) -> int:
    ws = open_workspace(getattr(args, "workspace", None), repair=False)
    state = ws.state_dir
    journal = Journal(state)
    if not journal.directory.is_dir() or journal.is_empty():
        print("nothing to restore: no file is rewritten", file=sys.stderr)
        return 0
    with StateLock(state, "restore"):
        for message in journal.repair():
            print(message)
    return 0
