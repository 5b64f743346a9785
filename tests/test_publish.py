"""publish end to end with real parts: real uv, a real index (pypiserver) on 127.0.0.1, real files.

Every test copies the bundled example workspace (six releasable packages: a diamond
core -> http/store -> api, a chain down to cli, an extra with a marker, one private tool).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from releasekit.engine.workers import DEFAULT_START_METHOD, START_METHODS
from tests.harness.cli import index_flags, rk, start_rk
from tests.harness.gitrepo import init_repo
from tests.harness.index import LocalIndex
from tests.harness.runstate import last_run, records, statuses
from tests.harness.tree import workspace_files

pytestmark = pytest.mark.slow

RELEASABLE = ["acme-api", "acme-cli", "acme-core", "acme-http", "acme-log", "acme-store"]


@pytest.fixture
def example_ws(example_ws: Path) -> Path:
    """The example workspace as a committed git repository (the preflight gates want one)."""
    init_repo(example_ws, initial_commit=False).commit_all("example")
    return example_ws


def assert_each_file_stored_once(index: LocalIndex) -> None:
    for filename, stats in index.uploads.items():
        assert stats.stored <= 1, f"{filename} stored {stats.stored} times"


def test_publishes_in_order_verifies_and_reruns_as_a_no_op(example_ws: Path, local_index: LocalIndex,
                                                            uv_env: dict[str, str]) -> None:
    before = workspace_files(example_ws)
    done = rk(example_ws, "publish", "-j", "4", *index_flags(local_index))
    assert done.returncode == 0, done.stderr
    assert set(statuses(example_ws).values()) == {"published"}
    built = records(example_ws)
    assert len(built) == 12  # one sdist and one wheel for each of six packages
    assert local_index.files() == built  # the index holds exactly the bytes built here
    assert all(stats.stored == 1 for stats in local_index.uploads.values())
    assert workspace_files(example_ws) == before  # every pinned pyproject.toml restored
    assert not list((example_ws / ".releasekit" / "journal").glob("*.json"))
    # the builds after the first shared one proven environment; the run removed it at its end
    steps = [json.loads(line) for line in next((example_ws / ".releasekit" / "runs").glob("*/events.ndjson"))
             .read_text().splitlines()]
    assert [(e["step"], e.get("detail")) for e in steps if e.get("step") in ("build env", "isolated")] == [
        ("build env", "proven")]
    assert not list((example_ws / ".releasekit" / "runs").glob("*/buildenvs"))
    assert "acme-devtool" not in done.stdout + done.stderr or "Private" in done.stderr  # private: never uploaded
    assert not any(f.startswith("acme_devtool") for f in local_index.files())

    # Dependency order: nothing was uploaded before every internal dependency was verified.
    events = [json.loads(line) for line in
              next((example_ws / ".releasekit" / "runs").glob("*/events.ndjson")).read_text().splitlines()]
    verified = {e["package"]: e["t"] for e in events if e["stage"] == "verify" and e["event"] == "done"}
    uploads = {e["package"]: e["t"] for e in events if e["stage"] == "upload" and e["event"] == "start"}
    deps = {"acme-http": ["acme-core", "acme-log"], "acme-store": ["acme-core"],
            "acme-api": ["acme-http", "acme-log", "acme-store"], "acme-cli": ["acme-api"]}
    for package, needs in deps.items():
        for dep in needs:
            assert verified[dep] <= uploads[package], f"{package} uploaded before {dep} was verified"

    posts = len(local_index.requests_for("POST"))
    again = rk(example_ws, "publish", "-j", "4", *index_flags(local_index))
    assert again.returncode == 0, again.stderr
    assert set(statuses(example_ws).values()) == {"already-published"}
    assert "skipped without building" in again.stdout and "already released" in again.stderr
    assert len(local_index.requests_for("POST")) == posts  # the rerun sent nothing
    assert records(example_ws) == built  # ...and built nothing


def test_wheels_carry_exact_pins_with_extras_and_markers(example_ws: Path, local_index: LocalIndex,
                                                         uv_env: dict[str, str]) -> None:
    done = rk(example_ws, "publish", "-p", "acme-api", "--with-deps", "--no-smoke-test", *index_flags(local_index))
    assert done.returncode == 0, done.stderr
    wheel = local_index.package_dir / "acme_api-0.3.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("acme_api-0.3.0.dist-info/METADATA").decode()
    requires = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist"))
    assert "acme-http==0.3.0" in requires
    assert "acme-store==0.3.0" in requires
    assert any(r.startswith("acme-log[json]==0.3.0;") and "extra == 'tracing'" in r and "python_version" in r
               for r in requires), requires
    # ... while the source keeps the ranges it had.
    assert '"acme-http>=0.3.0"' in (example_ws / "packages/api/pyproject.toml").read_text()


def test_different_bytes_on_the_index_block_dependents_only(example_ws: Path, local_index: LocalIndex,
                                                            uv_env: dict[str, str]) -> None:
    # Someone else already uploaded an acme-http 0.3.0 sdist with other content.
    impostor = local_index.package_dir / "acme_http-0.3.0.tar.gz"
    impostor.write_bytes(b"not the real sdist")
    before = workspace_files(example_ws)
    done = rk(example_ws, "publish", "-j", "3", "--no-smoke-test", *index_flags(local_index))
    assert done.returncode == 1
    result = statuses(example_ws)
    assert result["acme-http"] == "failed"
    assert result["acme-api"] == result["acme-cli"] == "blocked"
    assert result["acme-core"] == result["acme-log"] == result["acme-store"] == "published"
    failure = next(p for p in last_run(example_ws)["packages"] if p["name"] == "acme-http")
    theirs = hashlib.sha256(b"not the real sdist").hexdigest()
    assert "RK511" in failure["message"] and theirs in failure["message"]
    assert records(example_ws)["acme_http-0.3.0.tar.gz"] in failure["message"]  # names both hashes
    blocked = next(p for p in last_run(example_ws)["packages"] if p["name"] == "acme-cli")
    assert "acme-http" in blocked["message"]
    assert workspace_files(example_ws) == before
    assert not any(f.startswith(("acme_api", "acme_cli")) for f in local_index.files())
    assert "rerun the same command" in done.stdout


def test_transient_upload_faults_are_retried_without_duplicates(example_ws: Path, local_index: LocalIndex,
                                                               uv_env: dict[str, str]) -> None:
    local_index.faults.add_upload(503, times=2)
    local_index.faults.add_upload(429, times=1, retry_after="1")
    local_index.faults.add_upload("reset", times=1)
    done = rk(example_ws, "publish", "-j", "3", "--no-smoke-test", "--max-retries", "6", *index_flags(local_index))
    assert done.returncode == 0, done.stderr + done.stdout
    assert set(statuses(example_ws).values()) == {"published"}
    assert local_index.files() == records(example_ws)
    assert_each_file_stored_once(local_index)
    events = (next((example_ws / ".releasekit" / "runs").glob("*/events.ndjson"))).read_text()
    retries = [json.loads(line) for line in events.splitlines() if '"retry"' in line]
    assert len(retries) >= 3
    assert any(r["delay"] >= 1.0 and "429" in r["cause"] for r in retries)  # Retry-After honoured


def test_index_lag_and_pypi_duplicate_answers(example_ws: Path, local_index: LocalIndex,
                                              uv_env: dict[str, str]) -> None:
    local_index.faults.set(lag_s=1.5, pypi_duplicates=True)
    done = rk(example_ws, "publish", "-p", "acme-store", "--with-deps", "--no-smoke-test", *index_flags(local_index))
    assert done.returncode == 0, done.stderr + done.stdout
    assert_each_file_stored_once(local_index)
    polls = [r for r in local_index.requests_for("GET", "/simple/acme-store")]
    assert len(polls) > 2  # it waited for the lag instead of failing


def test_sigkill_mid_upload_then_rerun_repairs_and_completes(example_ws: Path, local_index: LocalIndex,
                                                             uv_env: dict[str, str]) -> None:
    before = workspace_files(example_ws)
    gate = local_index.hold_uploads()
    proc = start_rk(example_ws, "publish", "-j", "3", "--no-smoke-test", *index_flags(local_index))
    gate.wait_arrived(1, timeout=60)
    # Prefer a moment when a build is also in flight with its pyproject pinned (not always
    # possible: the builds may all be done), then kill everything.
    deadline = time.monotonic() + 5
    while not list((example_ws / ".releasekit" / "journal").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    gate.release()
    again = rk(example_ws, "publish", "-j", "3", "--no-smoke-test", *index_flags(local_index))
    assert again.returncode == 0, again.stderr + again.stdout
    assert workspace_files(example_ws) == before
    assert local_index.files() == records(example_ws)
    assert_each_file_stored_once(local_index)


def test_sigint_drains_restores_and_the_next_run_resumes(example_ws: Path, local_index: LocalIndex,
                                                         uv_env: dict[str, str]) -> None:
    before = workspace_files(example_ws)
    proc = start_rk(example_ws, "publish", "-j", "2", "--no-smoke-test", *index_flags(local_index))
    journal = example_ws / ".releasekit" / "journal"
    deadline = time.monotonic() + 60
    while not list(journal.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "draining" in err
    assert workspace_files(example_ws) == before
    assert "cancelled" in out
    assert last_run(example_ws)["cancelled"] is True
    again = rk(example_ws, "publish", "-j", "2", "--no-smoke-test", *index_flags(local_index))
    assert again.returncode == 0, again.stderr
    assert local_index.files() == records(example_ws)


def test_a_second_publish_refuses_and_names_the_first(example_ws: Path, local_index: LocalIndex,
                                                      uv_env: dict[str, str]) -> None:
    gate = local_index.hold_uploads()
    first = start_rk(example_ws, "publish", "--no-smoke-test", *index_flags(local_index))
    try:
        gate.wait_arrived(1, timeout=60)
        second = rk(example_ws, "publish", "--no-smoke-test", *index_flags(local_index))
        assert second.returncode == 3
        line = second.stderr.strip()
        assert line.startswith("error[RK300]") and f"pid {first.pid}" in line and "publish" in line
        assert "Traceback" not in second.stderr
    finally:
        gate.release()
        first.communicate(timeout=120)
    assert first.returncode == 0


def test_dry_run_changes_nothing(example_ws: Path, local_index: LocalIndex, uv_env: dict[str, str]) -> None:
    before = workspace_files(example_ws)
    done = rk(example_ws, "publish", "--dry-run", *index_flags(local_index))
    assert done.returncode == 0
    assert "dry run" in done.stdout and "acme-cli" in done.stdout
    assert workspace_files(example_ws) == before
    assert not (example_ws / ".releasekit").exists()
    assert not local_index.requests_for("POST")


@pytest.mark.parametrize("method", [m for m in START_METHODS if m != DEFAULT_START_METHOD])
def test_other_start_methods(method: str, example_ws: Path, local_index: LocalIndex,
                             uv_env: dict[str, str]) -> None:
    done = rk(example_ws, "publish", "-p", "acme-http", "--with-deps", "--start-method", method,
              *index_flags(local_index))
    assert done.returncode == 0, done.stderr
    assert statuses(example_ws) == dict.fromkeys(["acme-core", "acme-log", "acme-http"], "published")


def test_plain_doit_publishes_in_parallel(example_ws: Path, local_index: LocalIndex,
                                          uv_env: dict[str, str]) -> None:
    manifest = example_ws / "pyproject.toml"
    text = manifest.read_text().replace(
        'target = "pypi"',
        f'target = "custom"\npublish_url = "{local_index.upload_url}"\ncheck_url = "{local_index.simple_url}"\n'
        'fallback_url = ""',
    ).replace("smoke_test = true", "smoke_test = false")
    manifest.write_text(text)
    doit = str(Path(sys.executable).parent / "doit")
    done = subprocess.run([doit, "-n", "3", "publish"], cwd=example_ws, capture_output=True, text=True, timeout=240,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ".  publish:acme-cli" in done.stdout
    assert len(local_index.files()) == 12
    again = subprocess.run([doit, "-n", "3", "publish"], cwd=example_ws, capture_output=True, text=True, timeout=240,
                           check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already released, skipped without building" in again.stderr  # as `releasekit publish`
    assert "upload:" not in again.stdout and len(local_index.files()) == 12
