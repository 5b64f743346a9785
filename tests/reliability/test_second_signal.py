"""A second Ctrl-C stops at once: the drain is abandoned, yet nothing is lost or uploaded twice.

The first SIGINT drains (running stages finish), which can take as long as the slowest
upload; an impatient user presses Ctrl-C again. The run must then end within seconds, with
the cancelled exit status, every pyproject.toml restored, and a rerun that completes.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.harness.cli import index_flags, rk, start_rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import journal_entries, records
from tests.harness.tree import workspace_files
from tests.reliability import support

pytestmark = pytest.mark.slow

SUBSET = ["-p", "rkz-top", "--with-deps", "--no-smoke-test"]  # core, left, right, top


def test_a_second_sigint_stops_at_once_and_loses_nothing(
        ws10: Path, local_index: LocalIndex, tmp_path: Path) -> None:
    before = workspace_files(ws10)
    flags = index_flags(local_index)
    gate = local_index.hold_uploads()  # the drain cannot end while an upload is held
    proc = start_rk(ws10, "publish", "-j", "2", *SUBSET, *flags, out_dir=tmp_path / "run")
    try:
        held = gate.wait_arrived(1, timeout=120)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
        time.sleep(1.0)
        draining = proc.poll() is None
        struck = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=60)
        stopped_in = time.monotonic() - struck
        workers_left = support.wait_group_gone(proc.pid, 15)
    finally:
        gate.release()
        support.kill_group(proc.pid)  # only if an assertion above left it running
    err = (tmp_path / "run" / "stderr").read_text()
    out = (tmp_path / "run" / "stdout").read_text()
    assert held, "an upload was in flight"
    # The held upload is labelled for what it was: cut off in flight, not "not started".
    assert "cancelled (upload)" in out and "stopped during the upload" in out, out
    assert draining, "the first SIGINT must drain, not stop: " + err
    assert rc == 130, err
    assert stopped_in < 15, f"the second SIGINT took {stopped_in:.1f}s to stop the run"
    assert "SIGINT again: stopping now" in err, err
    assert "Traceback" not in err, err
    assert workers_left == [], f"workers outlived the orchestrator: {workers_left}"
    assert workspace_files(ws10) == before, "pyproject.toml files restored by the run itself"
    assert not journal_entries(ws10)

    rerun = rk(ws10, "publish", "-j", "2", *SUBSET, *flags)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert workspace_files(ws10) == before
    published = local_index.files()
    assert published == records(ws10)
    assert len(published) == 8  # four packages, an sdist and a wheel each
    assert all(s.stored == 1 for s in local_index.uploads.values())
