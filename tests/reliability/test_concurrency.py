"""One workspace, several releasekit processes: the lock names its holder, refuses the
others without touching the holder's files, and a dead holder's lock needs no human."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.cli import index_flags, rk, start_rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import STATE, records
from tests.harness.tree import diff_trees, workspace_files
from tests.reliability import support

pytestmark = pytest.mark.slow

SUBSET = ["-p", "rkz-top", "--with-deps", "--no-smoke-test"]  # core, left, right, top


def test_a_second_run_refuses_names_the_holder_and_leaves_its_files_alone(
        ws10: Path, local_index: LocalIndex) -> None:
    before = workspace_files(ws10)
    flags = index_flags(local_index)
    gate = local_index.hold_uploads()  # the holder cannot finish before the others have tried
    first = start_rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    try:
        support.wait_pinned(ws10, first, before)
        holder = json.loads((ws10 / STATE / "lock").read_text())
        assert holder["pid"] == first.pid and holder["command"] == "publish"
        doit = str(Path(sys.executable).parent / "doit")
        refusals = {
            "publish": rk(ws10, "publish", *SUBSET, *flags),
            "publish --format json": rk(ws10, "publish", "--format", "json", *SUBSET, *flags),
            "restore": rk(ws10, "restore"),
            "check --fix": rk(ws10, "check", "--fix"),
            "bump": rk(ws10, "bump", "--patch", "--no-lock"),
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
    # No half NDJSON stream either: one JSON error object, the same refusal.
    assert json.loads(refusals["publish --format json"].stdout)["error"]["code"] == "RK300"
    assert plain_doit.returncode != 0 and "RK300" in plain_doit.stdout + plain_doit.stderr
    assert still_running, "the refusals must have happened while the first run held the lock"
    # The holder was never disturbed: had anything restored its pinned pyproject.toml mid-build,
    # its wheel would lack the pins and the build would have failed.
    assert first.returncode == 0, out + err
    assert workspace_files(ws10) == before
    assert local_index.files() == records(ws10)
    assert all(s.stored == 1 for s in local_index.uploads.values())


def test_a_dead_holders_lock_is_recovered_without_a_human(ws10: Path, local_index: LocalIndex) -> None:
    before = workspace_files(ws10)
    flags = index_flags(local_index)
    first = start_rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    support.kill_while_pinned(ws10, first, before)
    # What a human would find: a lock file naming a dead process, a rewritten pyproject.toml.
    stale = json.loads((ws10 / STATE / "lock").read_text())
    assert stale["pid"] == first.pid
    assert diff_trees(before, workspace_files(ws10))

    again = rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"(pid {first.pid}) died without releasing this workspace; took it over" in again.stderr
    assert "repaired a file left by an interrupted run" in again.stderr
    assert workspace_files(ws10) == before
    assert not support.git_status(ws10)
    assert local_index.files() == records(ws10)
    assert all(s.stored == 1 for s in local_index.uploads.values())
    assert (ws10 / STATE / "lock").read_text() == ""  # released on the way out
