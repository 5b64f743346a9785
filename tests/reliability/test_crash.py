"""Crash safety under signals: SIGKILL at random instants, SIGTERM and SIGINT (graceful).

The harness is :mod:`tests.reliability.crash`. CI runs a few seeded trials; the full run is
``RELEASEKIT_CRASH_TRIALS=30`` (SIGKILL trials; a third as many SIGTERM/SIGINT trials come
on top). ``RELEASEKIT_CRASH_SEED`` replays a run. The report is printed at the end of the
session and written to ``crash-report.json`` in the test's tmp dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.cli import index_flags, rk, start_rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import journal_entries, records
from tests.harness.tree import workspace_files
from tests.reliability import support
from tests.reliability.conftest import env_int
from tests.reliability.crash import CrashHarness, write_report

pytestmark = pytest.mark.slow

CI_KILLS = 5
CI_GRACEFUL = 3
DEFAULT_SEED = 20261121


def test_signals_at_random_instants_never_lose_a_file_or_upload_twice(
        ws10: Path, local_index: LocalIndex, tmp_path: Path,
        reliability_report: Callable[[str], None]) -> None:
    kills = env_int("RELEASEKIT_CRASH_TRIALS", CI_KILLS)
    graceful = env_int("RELEASEKIT_GRACEFUL_TRIALS", CI_GRACEFUL if kills == CI_KILLS else max(CI_GRACEFUL, kills // 3))
    seed = env_int("RELEASEKIT_CRASH_SEED", DEFAULT_SEED)
    # A short index lag gives the poll phase a window to strike in.
    local_index.faults.set(lag_s=0.4)
    print(f"crash harness: seed {seed}, {kills} SIGKILL + {graceful} SIGTERM/SIGINT trials "
          f"(replay: RELEASEKIT_CRASH_SEED={seed} RELEASEKIT_CRASH_TRIALS={kills})")
    harness = CrashHarness(ws10, local_index, tmp_path / "runs", seed=seed,
                           per_round=env_int("RELEASEKIT_CRASH_PER_ROUND", 4))
    report = harness.run(kills, graceful)
    path = tmp_path / "crash-report.json"
    write_report(report, path)
    print(report.line())
    print(f"crash report: {path}")
    reliability_report(report.line() + f" (report: {path})")

    # Across every round: the index holds exactly the bytes built here, each stored once.
    built = records(ws10)
    assert local_index.files() == built
    assert all(s.stored == 1 for s in local_index.uploads.values())
    assert len(report.trials) == kills + graceful
    assert not report.failures, json.dumps(report.failures, indent=2)


def test_a_worker_killed_under_the_orchestrator_stops_the_run_instead_of_hanging(
        ws10: Path, local_index: LocalIndex, tmp_path: Path) -> None:
    """The OOM killer takes a worker in the middle of a build, with a pyproject.toml pinned.
    doit's runner would wait for that worker's result forever; releasekit stops the run,
    says which worker died, restores the file, and the rerun completes."""
    before = workspace_files(ws10)
    args = ["publish", "-j", "2", "-p", "rkz-top", "--with-deps", "--no-smoke-test", *index_flags(local_index)]
    proc = start_rk(ws10, *args, out_dir=tmp_path / "killed")
    deadline = time.monotonic() + 60
    worker = 0
    while not worker and time.monotonic() < deadline:
        assert proc.poll() is None
        for entry in journal_entries(ws10):
            with contextlib.suppress(OSError, ValueError):
                worker = json.loads(entry.read_text())["pid"]  # the worker that pinned the file
        time.sleep(0.01)
    assert worker != proc.pid
    os.kill(worker, signal.SIGKILL)
    try:
        proc.wait(timeout=60)
    finally:
        support.kill_group(proc.pid)
    out = (tmp_path / "killed" / "stdout").read_text()
    err = (tmp_path / "killed" / "stderr").read_text()
    assert proc.returncode == 1, out + err
    assert f"a worker process (pid {worker}) died of signal SIGKILL" in out
    assert "Traceback" not in out + err
    assert workspace_files(ws10) == before  # the orchestrator replayed the journal
    assert not journal_entries(ws10)

    again = rk(ws10, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert workspace_files(ws10) == before
    assert local_index.files() == records(ws10)
    assert all(s.stored == 1 for s in local_index.uploads.values())
