"""A hostile index: 30% of uploads fail (5xx, 429 + Retry-After, reset) behind a 3 s lag;
and a file already on the index under the same name with other bytes."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.harness.cli import index_flags, rk, start_rk
from tests.harness.faults import RESET
from tests.harness.index import LocalIndex
from tests.harness.projects import seed_files, uv_build
from tests.harness.runstate import STATE, journal_entries, last_run, records
from tests.harness.tree import workspace_files
from tests.reliability import support, workspace10
from tests.reliability.conftest import env_int

pytestmark = pytest.mark.slow

#: Each kind answers 6% of all upload POSTs: 30% in all (rules fire in order, first wins).
FAULT_KINDS: tuple[Any, ...] = (503, 502, 500, 429, RESET)
SHARE = 0.06
LAG_S = 3.0


def inject_upload_faults(index: LocalIndex, seed: int) -> None:
    index.faults.seed(seed)
    for i, kind in enumerate(FAULT_KINDS):
        index.faults.fail_uploads(kind, probability=SHARE / (1 - SHARE * i),
                                  retry_after=1 if kind == 429 else None)
    index.faults.set(lag_s=LAG_S)


def run_events(ws: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for path in sorted((ws / STATE / "runs").glob("*/events.ndjson")):
        events += support.read_events(path)
    return events


def test_thirty_percent_upload_faults_and_a_lagging_index(
        ws10: Path, local_index: LocalIndex, tmp_path: Path,
        reliability_report: Callable[[str], None]) -> None:
    before = workspace_files(ws10)
    seed = env_int("RELEASEKIT_FAULT_SEED", 7)
    inject_upload_faults(local_index, seed=seed)
    started = time.monotonic()
    done = rk(ws10, "publish", "-j", "4", "--no-smoke-test", "--max-retries", "8",
                      *index_flags(local_index, poll_timeout=60), timeout=400)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = last_run(ws10)
    assert {p["status"] for p in summary["packages"]} == {"published"}

    built = records(ws10)
    assert len(built) == 2 * len(workspace10.SHAPE)
    assert local_index.files() == built  # every byte on the index is the byte built here
    uploads = local_index.uploads
    assert set(uploads) == set(built)
    problems = {f: s for f, s in uploads.items() if s.stored != 1 or s.duplicates != 0}
    assert not problems, problems  # nothing stored twice, nothing even sent again once stored

    events = run_events(ws10)
    checksum_errors = [e for e in events if e.get("code") in ("RK510", "RK511")]
    assert not checksum_errors
    verified = [e for e in events if e.get("stage") == "verify" and e.get("event") == "done"]
    assert len(verified) == len(workspace10.SHAPE)
    retries = [e for e in events if e.get("event") == "retry"]
    posts = local_index.requests_for("POST")
    injected = [r for r in posts if r.injected]
    assert injected and retries
    assert any(r.get("delay", 0) >= 1.0 and "429" in r.get("cause", "") for r in retries) or not any(
        r.status == 429 for r in injected)  # Retry-After is a floor
    assert workspace_files(ws10) == before
    stats = {
        "requests": len(local_index.requests),
        "upload_posts": len(posts),
        "injected_faults": len(injected),
        "injected_by_kind": {str(k): sum(1 for r in injected if (r.status if r.status else "reset") == k)
                             for k in (*FAULT_KINDS[:-1], "reset")},
        "fault_share_of_posts": round(len(injected) / len(posts), 3),
        "retries": len(retries),
        "duplicates": sum(s.duplicates for s in uploads.values()),
        "stored_twice": sum(1 for s in uploads.values() if s.stored > 1),
        "checksum_errors": len(checksum_errors),
        "lag_s": LAG_S,
        "seed": seed,
        "seconds": round(seconds, 1),
    }
    (tmp_path / "fault-report.json").write_text(json.dumps(stats, indent=2) + "\n")
    line = (f"upload faults (30% per POST): {stats['upload_posts']} upload POSTs, {stats['injected_faults']} injected "
            f"({stats['fault_share_of_posts']:.0%}: {stats['injected_by_kind']}), {stats['retries']} retries, "
            f"{stats['duplicates']} duplicates, {stats['checksum_errors']} checksum errors, "
            f"{stats['requests']} requests in all, {LAG_S:g} s lag, seed {seed}, {stats['seconds']} s")
    print(line)
    reliability_report(line)


def test_same_name_different_bytes_blocks_only_its_dependents(
        ws10: Path, local_index: LocalIndex, tmp_path: Path, uv_env: dict[str, str]) -> None:
    # Someone else published rkz-top 1.0.0 first: a real, valid sdist, other bytes.
    impostor_src = tmp_path / "impostor"
    workspace10.write_member(impostor_src, "top", "1.0.0", marker="not ours")
    impostor = next(f for f in uv_build(impostor_src, tmp_path / "impostor-dist", uv_env)
                    if f.name.endswith(".tar.gz"))
    seed_files(local_index, impostor)
    theirs = hashlib.sha256(impostor.read_bytes()).hexdigest()
    before = workspace_files(ws10)

    # Without a local build the preflight gate cannot know the bytes differ (it warns); the
    # pipeline finds out before sending anything of rkz-top.
    done = rk(ws10, "publish", "-j", "4", "--no-smoke-test", *index_flags(local_index))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    result = {p["name"]: p for p in last_run(ws10)["packages"]}
    assert result["rkz-top"]["status"] == "failed"
    message = result["rkz-top"]["message"]
    ours = records(ws10)[impostor.name]
    assert "RK511" in message and theirs in message and ours in message and theirs != ours
    for blocked in ("rkz-app", "rkz-cli"):  # everything downstream of top
        assert result[blocked]["status"] == "blocked"
        assert "rkz-top" in result[blocked]["message"]
    independent = {"rkz-core", "rkz-util", "rkz-left", "rkz-right", "rkz-plug", "rkz-solo", "rkz-docs"}
    assert {n for n, p in result.items() if p["status"] == "published"} == independent
    # Nothing of top, app or cli was sent; the impostor is untouched; every file restored.
    assert not [r for r in local_index.requests_for("POST")
                if r.filename and r.filename.startswith(("rkz_top", "rkz_app", "rkz_cli"))]
    assert local_index.files()[impostor.name] == theirs
    assert workspace_files(ws10) == before
    assert not support.git_status(ws10)
    assert not journal_entries(ws10)
    assert "rerun the same command" in done.stdout
    # A rerun now has the build record: the preflight gate names the conflict and refuses.
    again = rk(ws10, "publish", "--no-smoke-test", *index_flags(local_index))
    assert again.returncode == 3, again.stdout + again.stderr
    assert "version_conflicts" in again.stderr and "rkz-top==1.0.0" in again.stderr
    assert "Traceback" not in again.stdout + again.stderr
    assert workspace_files(ws10) == before


def test_rerun_while_the_index_still_hides_what_a_killed_run_stored(
        ws10: Path, local_index: LocalIndex) -> None:
    """The killed run's upload reached the index but its answer never came back, and the
    index's listing lags: the rerun is told "already exists" for that file, settles it by
    hash, and still uploads the other file (it used to wait for both, then fail: RK607)."""
    local_index.faults.set(lag_s=4.0)
    args = ["publish", "-p", "rkz-core", "--no-smoke-test", *index_flags(local_index, poll_timeout=30)]
    gate = local_index.hold_uploads()
    first = start_rk(ws10, *args)
    held = gate.wait_arrived(1, timeout=60)
    support.kill_group(first.pid)
    first.communicate(timeout=30)
    gate.release()  # the index stores the file of a client that is gone
    local_index.wait_for_request(lambda r: r.method == "POST" and r.filename == held[0], timeout=10)
    assert local_index.hidden() == {held[0]}

    again = rk(ws10, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    built = records(ws10)
    assert local_index.files() == built
    uploads = local_index.uploads
    assert all(s.stored == 1 for s in uploads.values())
    assert uploads[held[0]].duplicates == 1  # the one POST no client can avoid: its answer was lost
    (other,) = set(built) - {held[0]}
    assert uploads[other].posts == 1 and uploads[other].duplicates == 0
