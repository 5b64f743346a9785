"""A full disk under the state directory: every run ends cleanly and loses nothing.

The state directory of the example workspace is a small tmpfs (a real filesystem that really
fills up). Each run of a real publish starts with only so much space left, so one stops at
the `.gitignore`, one at doit's database, one in the builds (journal, `uv build` output,
build record), one in the staged trials' venvs; the last one fills it while uploads are in
flight, so the build records, the events, doit's database and the summary cannot be written.
Each time: exit 3, the cause is one line with its code, no traceback anywhere, the workspace
is byte-identical, no half-built folder is left, and what the index holds is exactly what
was built here. Once there is space again, a rerun finishes the release.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cli import Run, index_flags, rk, start_rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import last_run, records
from tests.harness.tree import workspace_files
from tests.harness.workspace import commit_all
from tests.reliability import mounts, support

pytestmark = pytest.mark.slow

STATE = ".rk-small"
FAULT = re.compile(r"error\[RK31[0-3]\][^\n]*")
#: Free space (KiB) left on the state directory's 320 KiB tmpfs before each run, in turn.
LEVELS_KB = (0, 8, 32, 160)
#: Where each level's run met the full disk, in that order.
WRITE_POINTS = ("creating the state directory", "opening doit's database", "build:", "trial:")
#: Workers per level. The trial level runs on one: with more, a late build and an early trial
#: race for the last free blocks, and either may be the one that meets the full disk.
JOBS = (4, 4, 4, 1)


@pytest.fixture
def small_disk_ws(example_ws: Path, uv_env: dict[str, str]) -> Iterator[Path]:
    """The example workspace, committed, its state directory a 320 KiB tmpfs."""
    manifest = example_ws / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace('state_dir = ".releasekit"', f'state_dir = "{STATE}"'))
    commit_all(example_ws, "example")
    with mounts.tmpfs(example_ws / STATE, "320k"):
        yield example_ws


def wide() -> dict[str, str]:
    """The test's environment, with summary rows shown whole (causes included)."""
    return {**os.environ, "COLUMNS": "1000"}


def publish(ws: Path, index: LocalIndex, jobs: int = 4) -> Run:
    return rk(ws, "publish", "-j", str(jobs), *index_flags(index, poll_timeout=30), env=wide())


def assert_clean_stop(ws: Path, done: Run, before: dict[str, str]) -> list[str]:
    """Exit 3, the cause in one line with its code, nothing lost or left half-done; the fault lines."""
    out = done.stdout + done.stderr
    faults = FAULT.findall(out)
    assert done.returncode == 3, out
    assert faults, out
    assert "Traceback" not in out and "RK999" not in out, out
    assert workspace_files(ws, STATE) == before, "the workspace changed"
    assert [line for line in support.git_status(ws) if mounts.FILLER not in line] == []
    state = ws / STATE
    assert not list(state.glob("builds/*/.*building-*")), "a half-built folder was left"
    assert not list(state.glob("journal/*.json")), "a file is still rewritten"
    for path in state.rglob("*"):
        if path.is_file() and path.name != mounts.FILLER:
            assert b"Traceback" not in path.read_bytes(), path
    return faults


def test_a_disk_full_at_each_write_point_stops_cleanly_and_the_rerun_finishes(
        small_disk_ws: Path, local_index: LocalIndex) -> None:
    ws, state = small_disk_ws, small_disk_ws / STATE
    before = workspace_files(ws, STATE)
    for level, point, jobs in zip(LEVELS_KB, WRITE_POINTS, JOBS, strict=True):
        mounts.fill(state, leave=level * 1024)
        done = publish(ws, local_index, jobs)
        faults = assert_clean_stop(ws, done, before)
        print(f"{level} KiB: {faults[0]}")
        assert any(point in line for line in faults), f"{level} KiB: expected a fault at {point!r}: {faults}"
        if "STOPPED" in done.stdout:  # the run had started: its summary is printed all the same
            assert "acme-core" in done.stdout and "rerun the same command" in done.stdout
        else:  # stopped before the run: one line, nothing else to say
            assert [line for line in done.stderr.splitlines() if line.startswith("error[")] == faults
        assert not local_index.files(), "the staged gate uploads nothing before every trial passed"

    mounts.unfill(state)
    mounts.resize(state, "16m")
    again = publish(ws, local_index)
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(p["status"] for p in last_run(ws, STATE)["packages"]) == {"published"}
    assert local_index.files() == records(ws, STATE)
    assert all(s.stored == 1 for s in local_index.uploads.values())
    assert workspace_files(ws, STATE) == before


def test_a_disk_that_fills_while_uploading_keeps_what_landed_and_the_rerun_finishes(
        small_disk_ws: Path, local_index: LocalIndex) -> None:
    ws, state = small_disk_ws, small_disk_ws / STATE
    mounts.resize(state, "16m")
    before = workspace_files(ws, STATE)
    gate = local_index.hold_uploads()
    proc = start_rk(ws, "publish", "-j", "4", *index_flags(local_index, poll_timeout=30), env=wide())
    try:
        gate.wait_arrived(1, timeout=180)  # the staged gate passed; an upload is at the index
        mounts.fill(state, leave=0)
    finally:
        gate.release()
    out, err = proc.communicate(timeout=240)
    done = Run(proc.returncode, out, err)
    faults = assert_clean_stop(ws, done, before)
    assert any("upload:" in line for line in faults), faults  # the landed upload's record could not be saved
    # The summary reached the terminal though it could not be saved, naming why.
    assert "STOPPED" in out and "the summary could not be saved: error[RK312]" in out, out
    assert "error[RK312]" in out and "doit's database" in out, out
    landed = local_index.files()
    assert landed and all(records(ws, STATE).get(f) == sha for f, sha in landed.items())

    mounts.unfill(state)
    again = publish(ws, local_index)
    assert again.returncode == 0, again.stdout + again.stderr
    statuses = {p["name"]: p["status"] for p in last_run(ws, STATE)["packages"]}
    assert set(statuses.values()) <= {"published", "already-published"}, statuses
    assert "already-published" in statuses.values(), "what landed before the disk filled is not sent again"
    assert local_index.files() == records(ws, STATE)
    assert all(s.stored == 1 for s in local_index.uploads.values())
    assert workspace_files(ws, STATE) == before
