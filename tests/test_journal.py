"""The crash journal: every crash window of the protocol is repaired, idempotently, and a file
someone else changed is never clobbered.

The protocol for one rewrite is (1) backup ``<id>.orig``, (2) entry ``<id>.json``, (3) atomic
replace of the file. Each test stops it at one point, the way a SIGKILL would, and repairs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from releasekit.errors import StateError
from releasekit.support.fsutil import atomic_write, sha256_bytes, tmp_path_for
from releasekit.support.journal import ANY, Journal

ORIGINAL = b'[project]\nname = "a"\nversion = "1.0.0"  # keep me\n'
NEW = b'[project]\nname = "a"\nversion = "1.0.0"\ndependencies = ["b==2.0"]\n'


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Journal, Path]:
    target = tmp_path / "pkg" / "pyproject.toml"
    target.parent.mkdir()
    target.write_bytes(ORIGINAL)
    return Journal(tmp_path / ".releasekit"), target


def _state(journal: Journal) -> list[str]:
    return sorted(p.name for p in journal.directory.iterdir()) if journal.directory.exists() else []


def _assert_clean(journal: Journal, target: Path) -> None:
    assert target.read_bytes() == ORIGINAL
    assert _state(journal) == []
    assert [p.name for p in target.parent.iterdir()] == ["pyproject.toml"]


def test_full_rewrite_then_repair(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    entry = journal.rewrite(target, NEW, "pin")
    assert target.read_bytes() == NEW
    assert _state(journal) == [f"{entry.id}.json", f"{entry.id}.orig"]
    raw = json.loads((journal.directory / f"{entry.id}.json").read_text())
    assert raw["path"] == str(target.resolve()) and raw["original_sha256"] == sha256_bytes(ORIGINAL)
    assert raw["new_sha256"] == sha256_bytes(NEW) and raw["pid"] == os.getpid()
    assert journal.repair() == [f"{target.resolve()}: restored"]
    _assert_clean(journal, target)


def test_crash_after_backup_before_entry(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    entry_id = journal.entry_id(target)
    journal.directory.mkdir(parents=True)
    atomic_write(journal.directory / f"{entry_id}.orig", ORIGINAL)  # step 1 only
    assert journal.entries() == []
    assert journal.repair() == []
    _assert_clean(journal, target)


def test_crash_after_entry_before_replace(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    journal.record(target, ORIGINAL, NEW, "pin")  # steps 1 and 2
    assert journal.repair() == [f"{target.resolve()}: already original"]
    _assert_clean(journal, target)


def test_crash_during_the_atomic_replace_leaves_a_temporary_file(
    setup: tuple[Journal, Path],
) -> None:
    journal, target = setup
    journal.record(target, ORIGINAL, NEW, "pin")
    leftover = tmp_path_for(target).with_name(
        tmp_path_for(target).name.rsplit("-", 1)[0] + "-99999"
    )
    leftover.write_bytes(NEW[:10])  # a writer killed before its rename
    journal.repair()
    _assert_clean(journal, target)


def test_crash_during_restore_after_the_file_is_back(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    journal.rewrite(target, NEW, "pin")
    atomic_write(target, ORIGINAL)  # restore wrote the file, then died before dropping the entry
    assert journal.repair() == [f"{target.resolve()}: already original"]
    _assert_clean(journal, target)


def test_crash_while_dropping_the_entry(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    entry = journal.rewrite(target, NEW, "pin")
    atomic_write(target, ORIGINAL)
    (journal.directory / f"{entry.id}.json").unlink()  # the entry is gone, its backup is not
    assert journal.repair() == []
    _assert_clean(journal, target)


def test_repair_is_idempotent(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    journal.rewrite(target, NEW, "pin")
    first = journal.repair()
    assert first and journal.repair() == [] and journal.repair() == []
    _assert_clean(journal, target)


def test_file_deleted_meanwhile_is_restored(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    journal.rewrite(target, NEW, "pin")
    target.unlink()
    journal.repair()
    _assert_clean(journal, target)


def test_file_changed_by_someone_else_is_not_clobbered(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    journal.rewrite(target, NEW, "pin")
    theirs = NEW + b"# an edit made by hand while releasekit ran\n"
    target.write_bytes(theirs)
    with pytest.raises(StateError) as info:
        journal.repair()
    assert info.value.code == "RK303"
    assert target.read_bytes() == theirs
    kept = target.with_name("pyproject.toml.releasekit-original")
    assert kept.read_bytes() == ORIGINAL
    assert journal.entries() == []
    assert journal.repair() == []  # reported once; the next run proceeds
    assert target.read_bytes() == theirs


def test_a_conflict_does_not_stop_the_other_restores(tmp_path: Path) -> None:
    journal = Journal(tmp_path / ".releasekit")
    files = []
    for name in "abcdefgh":
        path = tmp_path / name / "pyproject.toml"
        path.parent.mkdir()
        path.write_bytes(ORIGINAL)
        journal.rewrite(path, NEW, "pin")
        files.append(path)
    files[3].write_bytes(b"hand edit\n")
    files[6].write_bytes(b"another hand edit\n")
    with pytest.raises(StateError) as info:
        journal.repair()
    assert info.value.code == "RK303"
    assert info.value.message.startswith("2 files could not be restored: ")
    assert (
        str(files[3].resolve()) in info.value.message
        and str(files[6].resolve()) in info.value.message
    )
    assert (
        files[3].read_bytes() == b"hand edit\n" and files[6].read_bytes() == b"another hand edit\n"
    )
    for path in files[:3] + files[4:6] + files[7:]:
        assert path.read_bytes() == ORIGINAL, path
    assert journal.entries() == []


def test_any_new_content_is_replaced_for_files_written_by_other_programs(
    setup: tuple[Journal, Path],
) -> None:
    journal, target = setup
    entry = journal.record(target, ORIGINAL, None, "uv.lock")
    assert entry.new_sha256 == ANY
    target.write_bytes(b"whatever uv lock wrote\n")
    journal.repair()
    _assert_clean(journal, target)


def test_second_rewrite_of_a_journaled_file_is_refused(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    journal.rewrite(target, NEW, "pin")
    with pytest.raises(StateError) as info:
        journal.rewrite(target, NEW + b"#2\n", "pin again")
    assert info.value.code == "RK301"
    assert target.read_bytes() == NEW


def test_commit_keeps_the_new_content(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    entry = journal.rewrite(target, NEW, "bump")
    journal.commit(entry)
    assert target.read_bytes() == NEW and _state(journal) == [] and journal.repair() == []


def test_damaged_entry_is_reported_not_guessed(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    entry = journal.rewrite(target, NEW, "pin")
    (journal.directory / f"{entry.id}.json").write_text("{not json")
    with pytest.raises(StateError) as info:
        journal.repair()
    assert info.value.code == "RK302"
    assert target.read_bytes() == NEW


def test_damaged_backup_is_reported_not_restored(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    entry = journal.rewrite(target, NEW, "pin")
    (journal.directory / f"{entry.id}.orig").write_bytes(b"garbage")
    with pytest.raises(StateError) as info:
        journal.repair()
    assert info.value.code == "RK302"
    assert target.read_bytes() == NEW


def test_rewritten_context_restores_on_error(setup: tuple[Journal, Path]) -> None:
    journal, target = setup
    with pytest.raises(KeyboardInterrupt), journal.rewritten(target, NEW, "pin"):
        assert target.read_bytes() == NEW
        raise KeyboardInterrupt
    _assert_clean(journal, target)


def test_atomic_write_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "script"
    path.write_bytes(b"old")
    path.chmod(0o755)
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["script"]


def _three_rewritten(tmp_path: Path) -> tuple[Journal, list[Path], list[object]]:
    journal = Journal(tmp_path / ".releasekit")
    paths, entries = [], []
    for name in "abc":
        path = tmp_path / name / "pyproject.toml"
        path.parent.mkdir()
        path.write_bytes(ORIGINAL)
        entries.append(journal.rewrite(path, NEW, "bump"))
        paths.append(path)
    return journal, paths, entries


def test_commit_all_is_all_or_nothing_for_a_killed_run(tmp_path: Path) -> None:
    """`bump` rewrites several files and commits them together; a run killed after the first
    commit must not leave the repair to undo only the rest (a half-bumped workspace)."""
    journal, paths, entries = _three_rewritten(tmp_path)
    original_drop = journal._drop
    calls = 0

    def die_after_first(entry: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SystemExit("SIGKILL")  # stands in for the process dying here
        original_drop(entry)  # type: ignore[arg-type]

    journal._drop = die_after_first  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        journal.commit_all(entries)  # type: ignore[arg-type]
    journal._drop = original_drop  # type: ignore[method-assign]
    Journal(tmp_path / ".releasekit").repair()  # the next run
    assert [p.read_bytes() for p in paths] == [NEW, NEW, NEW]
    assert _state(journal) == []


def test_killed_before_the_commit_mark_restores_everything(tmp_path: Path) -> None:
    journal, paths, _ = _three_rewritten(tmp_path)
    Journal(tmp_path / ".releasekit").repair()
    assert [p.read_bytes() for p in paths] == [ORIGINAL, ORIGINAL, ORIGINAL]
    assert _state(journal) == []


def test_a_stale_commit_mark_is_finished_by_the_next_command(tmp_path: Path) -> None:
    from releasekit.support.journal import COMMIT_MARK
    from releasekit.support.state import repair_leftovers

    journal, paths, entries = _three_rewritten(tmp_path)
    journal.commit_all(entries)  # type: ignore[arg-type]
    # killed after the last drop, before the mark was removed
    (journal.directory / COMMIT_MARK).write_text('{"ids": []}')
    assert not journal.is_empty()
    repair_leftovers(tmp_path / ".releasekit")
    assert journal.is_empty() and _state(journal) == []
    assert [p.read_bytes() for p in paths] == [NEW, NEW, NEW]
