"""The state directory and its lock: ignored by git, names its holder, recovers from a dead one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.errors import EXIT_REFUSED, StateError
from releasekit.support.journal import Journal
from releasekit.support.state import GITIGNORE, StateLock, ensure_state_dir, repair_leftovers
from tests.harness.cli import ROOT, run_cli
from tests.harness.gitrepo import git
from tests.harness.tree import tree_hash

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from releasekit.support.journal import Journal
    from releasekit.support.state import StateLock

    state = Path(sys.argv[1])
    lock = StateLock(state, "publish").acquire()  # keep a reference: closing releases it
    if len(sys.argv) > 2:
        Journal(state).rewrite(Path(sys.argv[2]), b"pinned by a run that will be killed\\n", "pin")
    print("ready", flush=True)
    time.sleep(120)
    """
)


class Holder:
    """A separate process holding the lock (optionally with a file rewritten), until killed."""

    def __init__(self, state: Path, rewrite: Path | None = None) -> None:
        argv = [sys.executable, "-c", HOLDER, str(state)] + ([str(rewrite)] if rewrite else [])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def holder_factory() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.proc.poll() is None:
            holder.kill()


def test_state_dir_ignores_itself(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / ".releasekit")
    assert (state / ".gitignore").read_text() == GITIGNORE
    assert "*" in GITIGNORE.splitlines()
    (state / ".gitignore").write_text("*\n# user edit\n")
    ensure_state_dir(state)
    assert (state / ".gitignore").read_text() == "*\n# user edit\n"


def test_state_dir_is_invisible_to_git(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    with StateLock(tmp_path / ".releasekit", "bump"):
        Journal(tmp_path / ".releasekit").record(tmp_path / "x", b"", b"y", "test")
    assert git(tmp_path, "status", "--porcelain", "--untracked-files=all").stdout == ""


def test_lock_in_process(tmp_path: Path) -> None:
    state = tmp_path / ".releasekit"
    with StateLock(state, "bump") as lock:
        holder = lock.holder()
        assert holder is not None
        assert holder["pid"] == os.getpid() and holder["command"] == "bump"
        assert {"host", "started", "argv"} <= set(holder)
        with pytest.raises(StateError) as info:
            StateLock(state, "publish").acquire()
        assert info.value.code == "RK300" and info.value.exit_code == EXIT_REFUSED
        assert f"`releasekit bump` (pid {os.getpid()} on " in info.value.message
    assert StateLock(state, "x").holder() is None  # released: the record is cleared
    with StateLock(state, "again"):
        pass


def test_lock_names_a_holder_in_another_process(
    tmp_path: Path, holder_factory: list[Holder]
) -> None:
    state = tmp_path / ".releasekit"
    holder = Holder(state)
    holder_factory.append(holder)
    with pytest.raises(StateError) as info:
        StateLock(state, "bump").acquire()
    assert f"`releasekit publish` (pid {holder.pid} on " in info.value.message
    assert "a dead holder releases the lock by itself" in info.value.hint


def test_lock_held_by_a_killed_process_is_recovered(
    tmp_path: Path, holder_factory: list[Holder]
) -> None:
    state = tmp_path / ".releasekit"
    holder = Holder(state)
    holder_factory.append(holder)
    holder.kill()
    lock = StateLock(state, "bump").acquire()
    try:
        assert lock.recovered_from is not None and lock.recovered_from["pid"] == holder.pid
        assert lock.holder() is not None and lock.holder()["pid"] == os.getpid()  # type: ignore[index]
    finally:
        lock.release()


def test_repair_waits_for_a_live_run_and_repairs_a_killed_one(
    tmp_path: Path, holder_factory: list[Holder]
) -> None:
    state = tmp_path / ".releasekit"
    target = tmp_path / "pyproject.toml"
    target.write_bytes(b"original\n")
    holder = Holder(state, rewrite=target)
    holder_factory.append(holder)
    assert target.read_bytes().startswith(b"pinned")
    # The run is alive: its rewritten file is its own business.
    assert repair_leftovers(state) == []
    assert target.read_bytes().startswith(b"pinned")
    holder.kill()
    assert repair_leftovers(state) == [f"{target.resolve()}: restored"]
    assert target.read_bytes() == b"original\n"
    assert repair_leftovers(state) == []


def test_repair_leftovers_creates_nothing(tmp_path: Path) -> None:
    assert repair_leftovers(tmp_path / ".releasekit") == []
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_while_another_run_holds_the_lock(
    example_ws: Path, holder_factory: list[Holder]
) -> None:
    holder = Holder(example_ws / ".releasekit")
    holder_factory.append(holder)
    before = tree_hash(example_ws)
    result = run_cli("bump", "acme-core", "--patch", cwd=example_ws)
    assert result.returncode == EXIT_REFUSED
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith(
        "error[RK300] .releasekit/lock: another releasekit run holds"
    )
    assert f"(pid {holder.pid} on" in result.err_lines[0]
    assert tree_hash(example_ws) == before


def test_cli_repairs_a_killed_run_before_anything_else(
    example_ws: Path, holder_factory: list[Holder]
) -> None:
    manifest = example_ws / "packages" / "core" / "pyproject.toml"
    original = manifest.read_bytes()
    holder = Holder(example_ws / ".releasekit", rewrite=manifest)
    holder_factory.append(holder)
    holder.kill()
    result = run_cli("plan", "--format", "json", cwd=example_ws)
    assert result.returncode == 0, result.stderr
    assert manifest.read_bytes() == original
    data = json.loads(result.stdout)  # stdout is clean JSON; the notice went to stderr
    assert data["schema"] == "releasekit.plan/1"
    assert result.err_lines == [
        f"releasekit: the previous `releasekit publish` (pid {holder.pid}) died without releasing "
        "this workspace; took it over",
        f"releasekit: repaired a file left by an interrupted run: {manifest.resolve()}: restored",
    ]


def test_restore_command(example_ws: Path, holder_factory: list[Holder]) -> None:
    nothing = run_cli("restore", cwd=example_ws)
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert nothing.stderr == "nothing to restore: no file is rewritten\n"
    assert not (example_ws / ".releasekit").exists()
    manifest = example_ws / "packages" / "log" / "pyproject.toml"
    original = manifest.read_bytes()
    holder = Holder(example_ws / ".releasekit", rewrite=manifest)
    holder_factory.append(holder)
    busy = run_cli("restore", cwd=example_ws)  # the run is alive: its files are its own
    assert busy.returncode == EXIT_REFUSED and busy.err_lines[0].startswith("error[RK300] ")
    assert manifest.read_bytes() != original
    holder.kill()
    done = run_cli("restore", cwd=example_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{manifest.resolve()}: restored\n"
    assert manifest.read_bytes() == original
