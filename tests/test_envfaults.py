"""Environment faults, piece by piece, on real faults: a tmpfs that is full, a read-only bind
mount, a file where a directory should be. Each becomes its code and names the file that could
not be written; nothing raises a traceback. (End to end, across real publishes:
tests/reliability/test_full_disk.py and test_unwritable_state.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from doit.exceptions import TaskError, TaskFailed

from releasekit.engine.actions import run_stage
from releasekit.engine.doitdb import GuardedSqliteDB, check_database
from releasekit.errors import EXIT_REFUSED, EnvironmentFault, StateError
from releasekit.support import envfaults
from releasekit.support.envfaults import PinnedFiles
from releasekit.support.fsutil import atomic_write, save_crash_report
from releasekit.support.journal import Journal
from releasekit.support.state import StateLock, ensure_state_dir, repair_leftovers
from tests.reliability import mounts

ORIGINAL = b'[project]\nname = "a"\nversion = "1.0.0"\n'
PINNED = b'[project]\nname = "a"\nversion = "1.0.0"\ndependencies = ["b==2.0"]\n'


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs with no free space left."""
    with mounts.tmpfs(tmp_path / "full", "64k") as disk:
        mounts.fill(disk, leave=0)
        yield disk


def test_a_full_disk_names_the_file_being_written_not_its_temporary_sibling(full_disk: Path) -> None:
    target = full_disk / "record.json"
    with pytest.raises(OSError) as raised:
        atomic_write(target, b"{}" * 4096)
    fault = envfaults.from_oserror(raised.value, doing="saving the record")
    assert fault is not None and fault.code == "RK312" and fault.exit_code == EXIT_REFUSED
    assert fault.one_line().startswith(f"error[RK312] {target}: no space left on the device while saving the record")
    assert "--state-dir DIR" in fault.one_line()
    assert sorted(p.name for p in full_disk.iterdir()) == [mounts.FILLER]  # no temporary file left


def test_uvs_words_for_the_same_faults_are_recognised() -> None:
    said = ("error: Failed to create virtual environment\n  Caused by: failed to write to file "
            "`/s/smoke/venv/bin/activate`: No space left on device (os error 28)")
    fault = envfaults.from_text(said, doing="running `uv venv`")
    assert fault is not None and fault.code == "RK312" and str(fault.path) == "/s/smoke/venv/bin/activate"
    ro = envfaults.from_text("error: Read-only file system (os error 30)")
    assert ro is not None and ro.code == "RK311"
    assert envfaults.from_text("error: the server said 500 Internal Server Error") is None


def test_the_state_directory_as_a_file_or_a_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "state")
    for name, words in (("file", "is a file, not a directory"), ("dangling", "is a broken symlink")):
        with pytest.raises(EnvironmentFault) as raised:
            ensure_state_dir(tmp_path / name)
        assert raised.value.code == "RK310" and words in raised.value.message
    with pytest.raises(EnvironmentFault) as under:
        ensure_state_dir(tmp_path / "file" / "state")
    assert under.value.code == "RK310"


def test_the_lock_on_a_full_disk_is_a_named_fault_and_is_not_left_held(full_disk: Path) -> None:
    with pytest.raises(EnvironmentFault) as raised:
        StateLock(full_disk, "publish").acquire()
    assert raised.value.code == "RK312"
    mounts.unfill(full_disk)
    StateLock(full_disk, "publish").acquire().release()  # nothing was left holding it


def _pin(tmp_path: Path, state: Path) -> Path:
    target = tmp_path / "ws" / "pkg" / "pyproject.toml"
    target.parent.mkdir(parents=True)
    target.write_bytes(ORIGINAL)
    Journal(state).rewrite(target, PINNED, "pin for a build")  # a run killed right here
    return target


def test_a_read_only_state_directory_still_lets_the_files_be_restored(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / "state")
    target = _pin(tmp_path, state)
    (state / "lock").write_text("")  # the killed run's lock file
    with mounts.read_only(state):
        messages = repair_leftovers(state)
        assert target.read_bytes() == ORIGINAL
        assert messages == [f"{target}: restored (its journal entry stays until the state directory can be "
                            "written: Read-only file system)"]
    assert repair_leftovers(state) == [f"{target}: already original"]
    assert not list(Journal(state).directory.iterdir())


def test_a_file_that_cannot_be_written_back_is_named_with_its_backup(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / "state")
    target = _pin(tmp_path, state)
    with mounts.read_only(target.parent):
        with pytest.raises(PinnedFiles) as raised:
            repair_leftovers(state)
        assert target.read_bytes() == PINNED
    entry = Journal(state).entries()[0]
    backup = Journal(state).directory / f"{entry.id}.orig"
    error = raised.value
    assert error.code == "RK313" and error.exit_code == EXIT_REFUSED and error.files == [(target, backup)]
    line = error.one_line()
    assert f"(RK311: {target}: Read-only file system)" in line and f"cp {backup} {target}" in line, line
    assert any(str(backup) in warning for warning in error.warning_lines())
    assert repair_leftovers(state) == [f"{target}: restored"]  # once writable, nothing left to do


def test_doits_database_reports_a_full_disk_instead_of_raising(full_disk: Path, tmp_path: Path) -> None:
    mounts.unfill(full_disk)
    db = full_disk / "doit.sqlite3"
    check_database(db)
    backend = GuardedSqliteDB(str(db), codec=json_codec())
    mounts.fill(full_disk, leave=0)
    for n in range(200):
        backend.set(f"build:p{n}", "_values_:", {"files": {f"p{n}.whl": "0" * 64}})
    backend.dump()  # no exception
    assert len(backend.faults) == 1 and backend.faults[0].startswith(f"error[RK312] {db}:")

    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StateError) as raised:
        check_database(damaged)
    assert raised.value.code == "RK302" and "only a cache" in raised.value.one_line()


def json_codec() -> object:
    from doit.dependency import JSONCodec

    return JSONCodec()


def test_a_stage_reports_a_fault_or_a_bug_in_one_line(full_disk: Path, tmp_path: Path) -> None:
    events = tmp_path / "run" / "events.ndjson"
    events.parent.mkdir()
    settings = {"events_path": str(events)}
    package = {"name": "acme-core", "version": "1.0"}

    def writes_on_a_full_disk() -> dict[str, object]:
        atomic_write(full_disk / "record.json", b"x" * 8192)
        return {}

    failed = run_stage("build", package, settings, writes_on_a_full_disk)
    assert isinstance(failed, TaskFailed)
    assert failed.message.startswith(f"error[RK312] {full_disk / 'record.json'}: no space left on the device "
                                     "while running build:acme-core")

    def a_bug() -> dict[str, object]:
        raise KeyError("files")

    crashed = run_stage("verify", package, settings, a_bug)
    assert isinstance(crashed, TaskError)
    assert "\n" not in crashed.message and "Traceback" not in crashed.message
    assert crashed.message.startswith("error[RK999] internal error in verify:acme-core: KeyError('files')")
    report = next((tmp_path / "run" / "logs").glob("releasekit-crash-*.txt"))
    assert str(report) in crashed.message and "Traceback" in report.read_text()
    logged = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["code"] for e in logged if e["event"] == "fail"] == ["RK312", "RK999"]
    assert not any("traceback" in e for e in logged)


def test_a_crash_report_that_cannot_be_saved_says_so(full_disk: Path) -> None:
    assert save_crash_report("Traceback ...\n" * 5000, full_disk) == (
        "the traceback could not be saved (No space left on device)")



def test_a_hard_stop_says_what_was_in_flight_and_what_finished_unreported() -> None:
    """After a second Ctrl-C the orchestrator never hears back from the stages in flight; the
    workers' events say an upload landed, or that it was cut off."""
    from releasekit.engine.observer import TaskEvent, TaskStatus
    from releasekit.engine.plan import build_plan
    from releasekit.engine.summary import summarize
    from releasekit.model.workspace import load_workspace
    from tests.harness.workspace import EXAMPLE

    plan = build_plan(load_workspace(EXAMPLE), smoke_test=False, staged=False)
    outcomes = {t.name: TaskEvent(t.name, t.stage, t.package, TaskStatus.PENDING) for t in plan.tasks}
    for task in plan.tasks:
        if task.package in ("acme-core", "acme-log") and task.stage in ("build", "probe"):
            outcomes[task.name].status = TaskStatus.DONE
    outcomes["upload:acme-core"].status = TaskStatus.RUNNING  # landed: its worker said so
    outcomes["upload:acme-log"].status = TaskStatus.RUNNING  # cut off
    events = [{"package": "acme-core", "stage": "upload", "event": "start"},
              {"package": "acme-core", "stage": "upload", "event": "done", "uploaded": ["a.whl", "a.tar.gz"]},
              {"package": "acme-log", "stage": "upload", "event": "start"}]
    results = {r.name: r for r in summarize(plan, outcomes, cancelled=True, worker_events=events)}
    core, log, cli = results["acme-core"], results["acme-log"], results["acme-cli"]
    assert (core.status, core.stage) == ("cancelled", "poll")
    assert core.message == ("not started: the run was stopped after upload finished (uploaded a.whl, a.tar.gz); "
                            "the rerun goes on from there")
    assert (log.status, log.stage) == ("cancelled", "upload")
    assert log.message.startswith("stopped during the upload: the rerun asks the index what arrived")
    assert (cli.stage, cli.message) == ("build", "not started: the run was stopped")
    assert summarize(plan, outcomes, cancelled=False)[0].message == "not run"


def test_a_state_directory_removed_under_a_build_still_gets_the_file_back(tmp_path: Path) -> None:
    import shutil

    state = ensure_state_dir(tmp_path / "state")
    target = tmp_path / "pyproject.toml"
    target.write_bytes(ORIGINAL)

    def build() -> dict[str, object]:
        with Journal(state).rewritten(target, PINNED, "pin for a build"):
            assert target.read_bytes() == PINNED
            shutil.rmtree(state)  # someone cleans up while the build runs
        return {}

    failed = run_stage("build", {"name": "acme", "version": "1.0"}, {"state_dir": str(state)}, build)
    assert isinstance(failed, TaskFailed)
    assert failed.message.startswith(f"error[RK310] {state}: the state directory is gone (removed while")
    assert target.read_bytes() == ORIGINAL
