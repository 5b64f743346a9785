"""The one tree hasher: what a directory holds, so a test can say "nothing was written".

Every entry is named by its POSIX path relative to the root. A regular file maps to its
sha256, a symlink to ``link:<target>``, a directory (when ``dirs``) to ``dir``, a FIFO or
device to ``special:<mode>`` (never opened: reading one could block), and a file that cannot
be read to ``unreadable:<errno>``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Collection, Mapping
from pathlib import Path


def _entry(path: Path) -> str | None:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "link:" + os.readlink(path)
    if stat.S_ISDIR(mode):
        return None
    if not stat.S_ISREG(mode):
        return f"special:{stat.S_IFMT(mode):o}"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def tree_hash(base: Path, *, skip: Collection[str] = (), dirs: bool = True) -> dict[str, str]:
    """Every entry under ``base``; directories named in ``skip`` (at any depth) are left out
    whole. ``dirs=False`` lists files and links only, so an empty directory is no change."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for name in [*dirnames, *sorted(filenames)]:
            path = Path(dirpath) / name
            rel = path.relative_to(base).as_posix()
            entry = _entry(path)
            if entry is not None:
                out[rel] = entry
            elif dirs:
                out[rel] = "dir"
    return out


def workspace_files(ws: Path, state: str = ".releasekit") -> dict[str, str]:
    """The workspace's own files: everything but the state directory and ``.git``."""
    return tree_hash(ws, skip=(state, ".git"), dirs=False)


def diff_trees(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """``changed``/``removed``/``added`` lines, for an assertion message."""
    changed = [f"changed {p}" for p in sorted(before) if p in after and before[p] != after[p]]
    changed += [f"removed {p}" for p in sorted(set(before) - set(after))]
    changed += [f"added {p}" for p in sorted(set(after) - set(before))]
    return changed
