"""One workspace, several releasekit processes: the lock names its holder, refuses the
others without touching the holder's files, and a dead holder's lock needs no human."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness.index import LocalIndex
from tests.reliability import support

pytestmark = pytest.mark.slow

SUBSET = ["-p", "rkz-top", "--with-deps", "--no-smoke-test"]  # core, left, right, top


def _wait_pinned(ws: Path, proc: object, before: dict[str, str], timeout: float = 60) -> None:
    """Until the run holds the lock and has a pyproject.toml rewritten for a build (journaled
    *and* written: the journal entry comes first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if support.journal_entries(ws) and support.tree_snapshot(ws) != before:
            return
        assert proc.poll() is None, "the publish ended before it pinned anything"  # type: ignore[attr-defined]
        time.sleep(0.01)
    raise AssertionError("no pyproject.toml was pinned in time")


def test_a_second_run_refuses_names_the_holder_and_leaves_its_files_alone(
        ws10: Path, local_index: LocalIndex) -> None:
    before = support.tree_snapshot(ws10)
    flags = support.index_flags(local_index)
    gate = local_index.hold_uploads()  # the holder cannot finish before the others have tried
    first = support.start_rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    try:
        _wait_pinned(ws10, first, before)
        holder = json.loads((ws10 / support.STATE / "lock").read_text())
        assert holder["pid"] == first.pid and holder["command"] == "publish"
        doit = str(Path(sys.executable).parent / "doit")
        refusals = {
            "publish": support.rk(ws10, "publish", *SUBSET, *flags),
            "publish --format json": support.rk(ws10, "publish", "--format", "json", *SUBSET, *flags),
            "restore": support.rk(ws10, "restore"),
            "check --fix": support.rk(ws10, "check", "--fix"),
            "bump": support.rk(ws10, "bump", "--patch", "--no-lock"),
        }
        plain_doit = subprocess.run([doit, "-n", "2", "publish"], cwd=ws10, capture_output=True,
                                            text=True, timeout=60, check=False)
        still_running = first.poll() is None
    finally:
        gate.release()
        out, err = first.communicate(timeout=240)
    for what, done in refusals.items():
        lines = done.stderr.strip().splitlines()
        where = f"{what}: rc={done.returncode} stderr={done.stderr!r}"
        assert done.returncode == 3, where
        assert len(lines) == 1 and lines[0].startswith("error[RK300] "), where
        assert f"pid {first.pid}" in lines[0] and "`releasekit publish`" in lines[0], where
        assert "Traceback" not in done.stderr, where
    assert refusals["publish --format json"].stdout == ""  # no half NDJSON stream either
    assert plain_doit.returncode != 0 and "RK300" in plain_doit.stdout + plain_doit.stderr
    assert still_running, "the refusals must have happened while the first run held the lock"
    # The holder was never disturbed: had anything restored its pinned pyproject.toml mid-build,
    # its wheel would lack the pins and the build would have failed.
    assert first.returncode == 0, out + err
    assert support.tree_snapshot(ws10) == before
    assert local_index.files() == support.records(ws10)
    assert all(s.stored == 1 for s in local_index.uploads.values())


def test_a_dead_holders_lock_is_recovered_without_a_human(ws10: Path, local_index: LocalIndex) -> None:
    before = support.tree_snapshot(ws10)
    flags = support.index_flags(local_index)
    first = support.start_rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    while True:  # freeze the run, and kill it only if a pyproject.toml is rewritten right now
        _wait_pinned(ws10, first, before)
        os.killpg(first.pid, signal.SIGSTOP)
        if support.journal_entries(ws10) and support.tree_snapshot(ws10) != before:
            break
        os.killpg(first.pid, signal.SIGCONT)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    # What a human would find: a lock file naming a dead process, a rewritten pyproject.toml.
    stale = json.loads((ws10 / support.STATE / "lock").read_text())
    assert stale["pid"] == first.pid
    assert support.diff_snapshots(before, support.tree_snapshot(ws10))
    assert support.wait_group_gone(first.pid, 10) == []

    again = support.rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"(pid {first.pid}) died without releasing this workspace; took it over" in again.stderr
    assert "repaired a file left by an interrupted run" in again.stderr
    assert support.tree_snapshot(ws10) == before
    assert not support.git_status(ws10)
    assert local_index.files() == support.records(ws10)
    assert all(s.stored == 1 for s in local_index.uploads.values())
    assert (ws10 / support.STATE / "lock").read_text() == ""  # released on the way out
