"""Real environment faults for tests: a small tmpfs that fills up, a read-only bind mount.

Both need the right to mount (CI runs as root); where it is missing the test is skipped
with a message saying so, never passed. Every mount is undone on the way out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = "filler.bin"


def _mount(*args: str) -> None:
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command here: this test needs real mounts (CI runs as root)")
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mounting is not permitted here ({done.stderr.strip()}): this test needs root, as in CI")


def _umount(path: Path) -> None:
    done = subprocess.run(["umount", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:  # still busy (a process the test killed is not reaped yet)
        subprocess.run(["umount", "-l", str(path)], capture_output=True, text=True, check=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``"320k"``) mounted at ``path`` (created if missing)."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)


def resize(path: Path, size: str) -> None:
    """Grow (or shrink) the tmpfs mounted at ``path``: what freeing a disk looks like."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` made read-only by a read-only bind mount over itself, for the block."""
    _mount("--bind", str(path), str(path))
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True, capture_output=True)
        yield path
    finally:
        _umount(path)


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def fill(path: Path, leave: int) -> None:
    """Take the free space of ``path``'s filesystem, all but ``leave`` bytes, with one file."""
    unfill(path)
    size = max(0, free_bytes(path) - leave)
    with open(path / FILLER, "wb") as handle:
        handle.write(b"\0" * size)


def unfill(path: Path) -> None:
    (path / FILLER).unlink(missing_ok=True)
