"""A state directory that cannot be used, and a killed run whose repair is blocked.

Real faults: a file where the state directory should be, a read-only bind mount over the
state directory, and over the whole workspace after a SIGKILL left pyproject.toml files
rewritten. Each command says what is wrong in one line with its code (exit 3), never as an
internal error; files are restored wherever that is possible, and where it is not, every
command names each file still rewritten and how to put it back, until it can be done.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.cli import Run, index_flags, rk, start_rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import STATE, journal_entries, records
from tests.harness.tree import workspace_files
from tests.reliability import mounts, support

pytestmark = pytest.mark.slow

SUBSET = ["-p", "rkz-top", "--with-deps", "--no-smoke-test"]  # core, left, right, top


def assert_one_error(done: Run, code: str, *, exit_code: int = 3) -> str:
    errors = [line for line in done.stderr.splitlines() if line.startswith("error[")]
    where = f"rc={done.returncode} stdout={done.stdout!r} stderr={done.stderr!r}"
    assert done.returncode == exit_code, where
    assert len(errors) == 1 and errors[0].startswith(f"error[{code}] "), where
    assert "Traceback" not in done.stdout + done.stderr and "RK999" not in done.stderr, where
    return errors[0]


def killed_while_pinned(ws: Path, index: LocalIndex) -> tuple[dict[str, str], list[str], list[str], list[Path]]:
    """A publish SIGKILLed while pyproject.toml files are rewritten for its builds: the snapshot
    from before, the publish options, the files left rewritten and the journal's entries."""
    before = workspace_files(ws)
    flags = index_flags(index)
    pinned = support.kill_while_pinned(ws, start_rk(ws, "publish", "-j", "2", *SUBSET, *flags), before)
    entries = journal_entries(ws)
    assert pinned and len(entries) >= len(pinned)  # an entry comes before its file is rewritten
    return before, flags, pinned, entries


def assert_rerun_completes(ws: Path, index: LocalIndex, flags: list[str], before: dict[str, str]) -> None:
    again = rk(ws, "publish", "-j", "2", *SUBSET, *flags)
    assert again.returncode == 0, again.stdout + again.stderr
    assert workspace_files(ws) == before
    assert index.files() == records(ws)
    assert all(s.stored == 1 for s in index.uploads.values())


def test_a_file_where_the_state_directory_should_be(ws10: Path, local_index: LocalIndex) -> None:
    state = ws10 / STATE
    state.write_text("not a directory\n")
    before = workspace_files(ws10)
    flags = index_flags(local_index)
    for args in (("publish", *SUBSET, *flags), ("bump", "--patch", "--no-lock"), ("check", "--fix")):
        line = assert_one_error(rk(ws10, *args), "RK310")
        assert ".releasekit: the state directory is a file, not a directory" in line, line
        assert "--state-dir DIR" in line, line
    for args in (("discover",), ("plan",), ("restore",)):  # they need no state: unaffected
        assert rk(ws10, *args).returncode == 0
    assert workspace_files(ws10) == before and state.read_text() == "not a directory\n"

    # --state-dir moves the state elsewhere for one command; the file is left alone.
    elsewhere = ws10.parent / "elsewhere-state"
    moved = rk(ws10, "--state-dir", str(elsewhere), "publish", *SUBSET, *flags,
                       "--skip-preflight", "clean_worktree")  # the file in the way is untracked
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert records(ws10.parent, "elsewhere-state") == local_index.files()
    assert workspace_files(ws10) == before


def test_a_read_only_state_directory_refuses_to_start_and_still_repairs(
        ws10: Path, local_index: LocalIndex) -> None:
    before, flags, _, entries = killed_while_pinned(ws10, local_index)

    with mounts.read_only(ws10 / STATE):
        line = assert_one_error(rk(ws10, "publish", *SUBSET, *flags), "RK311")
        assert "Read-only file system" in line and "--state-dir DIR" in line, line
        # The backups can be read and the workspace written: the files are put back at once,
        # by the first command, whatever it is; the journal's entries wait for a writable disk.
        found = rk(ws10, "discover")
        assert found.returncode == 0, found.stderr
        assert found.stderr.count("repaired a file left by an interrupted run") == len(entries), found.stderr
        assert "its journal entry stays until the state directory can be written" in found.stderr
        assert workspace_files(ws10) == before
        assert journal_entries(ws10) == entries
        restored = rk(ws10, "restore")
        assert restored.returncode == 0 and "already original" in restored.stdout, restored.stdout + restored.stderr

    cleaned = rk(ws10, "plan")
    assert cleaned.returncode == 0 and "already original" in cleaned.stderr, cleaned.stderr
    assert not journal_entries(ws10)
    assert_rerun_completes(ws10, local_index, flags, before)


def test_a_killed_runs_repair_blocked_by_a_read_only_workspace_names_every_file_until_unblocked(
        ws10: Path, local_index: LocalIndex) -> None:
    before, flags, pinned, entries = killed_while_pinned(ws10, local_index)
    backups = {Path(json.loads(e.read_text())["path"]).relative_to(ws10).as_posix(): e.with_suffix(".orig")
               for e in entries}
    backups = {rel: backup for rel, backup in backups.items() if rel in pinned}
    assert len(backups) == len(pinned)

    with mounts.read_only(ws10):
        for args in (("discover",), ("plan",), ("check",), ("publish", *SUBSET, *flags), ("restore",)):
            done = rk(ws10, *args)
            out = done.stdout + done.stderr
            assert "Traceback" not in out and "RK999" not in out, out
            assert "RK313" in done.stderr, f"{args}: {done.stderr}"
            for rel, backup in backups.items():  # every file still rewritten, and where its original is
                assert str(ws10 / rel) in done.stderr, f"{args} does not name {rel}: {done.stderr}"
                assert str(backup) in done.stderr, f"{args} does not name {backup}: {done.stderr}"
            if args[0] in ("publish", "restore"):  # they would write: refused, exit 3
                assert done.returncode == 3, f"{args}: {out}"
            else:  # reading goes on, after the warning
                assert done.returncode in (0, 1), f"{args}: {out}"
        line = assert_one_error(rk(ws10, "restore"), "RK313")
        assert "Read-only file system" in line and "cp " in line, line
        assert workspace_files(ws10) != before  # still rewritten: nothing could change it

    unblocked = rk(ws10, "plan")
    assert unblocked.returncode == 0, unblocked.stderr
    assert unblocked.stderr.count("repaired a file left by an interrupted run") == len(pinned), unblocked.stderr
    assert workspace_files(ws10) == before
    assert not journal_entries(ws10)
    assert_rerun_completes(ws10, local_index, flags, before)
