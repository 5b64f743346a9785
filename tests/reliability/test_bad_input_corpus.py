"""Every case of the bad-input corpus through `plan`, `publish --dry-run` and `check`.

Bad input must end as exactly one line on stderr, ``error[RKnnn] ...``, exit status 2, no
traceback, and nothing written: the tree hashes the same before and after, and no state
directory appears. `check` reports a dependency cycle as a finding (exit 1) instead, and
leaves release-plan problems to `plan` (see :class:`tests.reliability.corpus.Case`).

All three commands run in this process for every case (fast); one of them, in turn, also
runs as a real subprocess, and the cases that could hang a process (FIFOs, /dev/zero) run
only as subprocesses, with a timeout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.cli import Run, run_cli
from tests.harness.tree import tree_hash
from tests.harness.workspace import make_ws, member_toml
from tests.reliability.corpus import BLOCKING, CORPUS, NEW_CASES, Case
from tests.test_bad_input import XFAIL_AS_ROOT, _in_process, assert_stdout_for_error

ONE_LINE = re.compile(r"^error\[RK\d{3}\] ")
COMMANDS: tuple[tuple[str, ...], ...] = (("plan",), ("publish", "--dry-run"), ("check",))


def test_the_corpus_is_big_enough(reliability_report: Callable[[str], None]) -> None:
    codes = sorted({c.code for c in CORPUS.values()})
    assert len(CORPUS) >= 40, len(CORPUS)
    reliability_report(f"bad-input corpus: {len(CORPUS)} cases ({len(NEW_CASES)} new here), "
                       f"{len(codes)} error codes, each through plan, publish --dry-run and check")


def _expect_error(result: Run, case: Case, where: str, command: tuple[str, ...]) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, where
    assert len(lines) == 1, where
    assert ONE_LINE.match(lines[0]), where
    assert lines[0].startswith(f"error[{case.code}] "), where
    assert case.needle in lines[0], where
    assert "(hint: " in lines[0], where
    assert_stdout_for_error(result.stdout, command, case.code, where)


def _check(result: Run, case: Case, command: tuple[str, ...]) -> None:
    where = f"{' '.join(command)}: rc={result.returncode} stdout={result.stdout[-800:]!r} stderr={result.stderr!r}"
    assert "Traceback" not in result.stderr + result.stdout, where
    if command != ("check",) or case.check == "error":
        _expect_error(result, case, where, command)
    elif case.check == "finding":
        assert result.returncode == 1, where
        assert case.needle.split(" -> ")[0] in result.stdout and "cycle" in result.stdout, where
    else:
        assert result.returncode in (0, 1), where


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_input_is_one_line_exit_2_and_changes_nothing(tmp_path: Path, name: str) -> None:
    case = CORPUS[name]
    if name in XFAIL_AS_ROOT and os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop reads")
    ws = tmp_path / "ws"
    ws.mkdir()
    case.build(ws)
    before = tree_hash(ws)
    if name in BLOCKING:
        for command in COMMANDS:
            _check(run_cli(*command, cwd=ws, timeout=30), case, command)
    else:
        for command in COMMANDS:
            _check(_in_process(command, ws), case, command)
        command = COMMANDS[sorted(CORPUS).index(name) % len(COMMANDS)]
        _check(run_cli(*command, cwd=ws), case, command)
    if case.asks_backend:
        assert (ws / ".releasekit" / ".gitignore").read_text().endswith("\n*\n")
        shutil.rmtree(ws / ".releasekit")
    assert tree_hash(ws) == before
    assert not (ws / ".releasekit").exists()
    assert not (tmp_path / "PWNED").exists() and not (ws / "PWNED").exists()


def test_a_requirement_is_checked_against_the_version_as_written_not_a_bump(tmp_path: Path) -> None:
    """RK143 is about versions as written: a bump widens dependents' specifiers when it is
    written, so a plan that bumps the dependency previews fine."""
    ws = tmp_path / "ws"
    make_ws(ws, {"packages/a": member_toml("a", "1.0.0"), "packages/b": member_toml("b", deps=["a>=1,<2"])})
    assert _in_process(("plan",), ws).returncode == 0
    bumped = _in_process(("plan", "--major", "--format", "json"), ws)
    assert bumped.returncode == 0, bumped.stderr
    b = next(p for p in json.loads(bumped.stdout)["packages"] if p["name"] == "b")
    assert b["pins"] == {"a": "2.0.0"}  # `bump` widens b's requirement to admit 2.0.0 as it writes it
