"""Bad input through the real CLI: one line, a stable code, exit 2, no traceback, nothing written.

Every case builds a small workspace, hashes every entry of the tree, runs
``python -m releasekit`` as a subprocess (several commands, including the writing ones),
and checks the tree is byte-for-byte the same afterwards, with no state directory.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from releasekit.cli import main
from tests.harness.cli import Run, run_cli
from tests.harness.tree import tree_hash
from tests.harness.workspace import make_ws, member_toml, root_toml, write_tree

ONE_LINE = re.compile(r"^error\[RK\d{3}\] ")
COMMANDS: list[tuple[str, ...]] = [
    ("discover",),
    ("graph", "--format", "json"),
    ("plan", "--format", "json"),
    ("bump", "--patch"),
    ("init",),
]


def _default_ws(base: Path) -> None:
    make_ws(base, {"packages/a": member_toml("a"), "packages/b": member_toml("b", deps=["a>=1"])})


def _replace_member(rel: str, text: str | bytes) -> Callable[[Path], None]:
    def build(base: Path) -> None:
        _default_ws(base)
        write_tree(base, {f"{rel}/pyproject.toml": text})

    return build


def _root(text: str) -> Callable[[Path], None]:
    def build(base: Path) -> None:
        _default_ws(base)
        write_tree(base, {"pyproject.toml": text})

    return build


def _stray_dir(base: Path) -> None:
    _default_ws(base)
    write_tree(base, {"packages/c/README.md": "x"})


def _no_workspace(base: Path) -> None:
    write_tree(base, {"pyproject.toml": member_toml("lonely"), "src/x.py": ""})


def _malformed_member(base: Path) -> None:
    _default_ws(base)
    write_tree(base, {"packages/a/pyproject.toml": '[project]\nname = "a"\nversion = 1.0.0\n'})


def _duplicate(base: Path) -> None:
    make_ws(base, {"packages/a": member_toml("My.Pkg"), "packages/b": member_toml("my_pkg")})


def _cycle(base: Path) -> None:
    make_ws(
        base,
        {
            "packages/a": member_toml("a", deps=["b>=1"]),
            "packages/b": member_toml("b", deps=["c>=1"], optional={"x": ["a"]}),
            "packages/c": member_toml("c", deps=["a; python_version > '3'"]),
        },
    )


def _symlink_loop_member(base: Path) -> None:
    _default_ws(base)
    os.symlink("y", base / "packages" / "x")
    os.symlink("x", base / "packages" / "y")


def _symlink_loop_pyproject(base: Path) -> None:
    _default_ws(base)
    (base / "packages" / "c").mkdir()
    os.symlink("pyproject.toml", base / "packages" / "c" / "pyproject.toml")


def _directory_pyproject(base: Path) -> None:
    _default_ws(base)
    (base / "packages" / "c" / "pyproject.toml").mkdir(parents=True)


def _very_large(base: Path) -> None:
    _default_ws(base)
    filler = "# " + "x" * 1000 + "\n"
    write_tree(base, {"packages/a/pyproject.toml": member_toml("a") + filler * 3000})


def _hostile_directory(base: Path) -> None:
    # Shell metacharacters and a newline in a directory name that ends up in the message.
    _default_ws(base)
    write_tree(base, {"packages/$(touch PWNED);`id`|x\n\rerror[RK000] fake/readme.txt": "x"})


def _not_utf8(base: Path) -> None:
    _default_ws(base)
    write_tree(
        base, {"packages/a/pyproject.toml": b'[project]\nname = "a"\nversion = "1.0"\n# caf\xe9\n'}
    )


def _huge_integer(base: Path) -> None:
    _default_ws(base)
    write_tree(
        base, {"packages/a/pyproject.toml": member_toml("a") + "[tool.x]\nn = " + "9" * 5000 + "\n"}
    )


def _unreadable_chmod(base: Path) -> None:
    _default_ws(base)
    os.chmod(base / "packages" / "a" / "pyproject.toml", 0)


CONFIG = root_toml() + "\n[tool.releasekit]\n"

# name: (builder, expected code, text the message must contain)
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "no-workspace": (_no_workspace, "RK100", "no uv workspace"),
    "malformed-member-toml": (_malformed_member, "RK101", "packages/a/pyproject.toml:3:"),
    "malformed-root-toml": (
        _root("[tool.uv.workspace\nmembers = []\n"),
        "RK101",
        "pyproject.toml:1:",
    ),
    "missing-name": (
        _replace_member("packages/a", '[project]\nversion = "1.0"\n'),
        "RK110",
        "no `name`",
    ),
    "missing-project": (_replace_member("packages/a", "[tool.x]\ny = 1\n"), "RK110", "[project]"),
    "missing-version": (
        _replace_member("packages/a", '[project]\nname = "a"\n'),
        "RK112",
        "version",
    ),
    "invalid-version": (
        _replace_member("packages/a", member_toml("a", "1.0-final-ish")),
        "RK113",
        "PEP 440",
    ),
    "version-not-a-string": (
        _replace_member("packages/a", '[project]\nname = "a"\nversion = 1\n'),
        "RK113",
        "string",
    ),
    "invalid-name": (
        _replace_member("packages/a", member_toml("-a-")),
        "RK111",
        "invalid project name",
    ),
    "invalid-dependency": (
        _replace_member("packages/a", member_toml("a", deps=["b >>= 1"])),
        "RK114",
        "b >>= 1",
    ),
    "duplicate-normalized-names": (_duplicate, "RK115", "my-pkg"),
    "cycle": (_cycle, "RK107", "a -> b -> c -> a"),
    "member-glob-matches-nothing": (_root(root_toml(["packages/*", "libs/*"])), "RK116", "libs/*"),
    "member-without-pyproject": (_stray_dir, "RK117", "packages/c has no pyproject.toml"),
    "unknown-config-key": (
        _root(CONFIG + "max_retry = 3\n"),
        "RK120",
        "did you mean `max_retries`?",
    ),
    "unknown-nested-config-key": (
        _root(CONFIG + '[tool.releasekit.index]\ntarget = "pypi"\npublish_ur = "x"\n'),
        "RK120",
        "did you mean `publish_url`?",
    ),
    "wrongly-typed-config": (_root(CONFIG + 'max_retries = "3"\n'), "RK121", "must be an integer"),
    "wrong-config-choice": (
        _root(CONFIG + '[tool.releasekit.index]\ntarget = "pypy"\n'),
        "RK121",
        "pypi",
    ),
    "config-tag-attribute": (
        _root(CONFIG + 'tag_format = "{name}-{version}"\numbrella_tag = "v{version.major}"\n'),
        "RK121",
        "umbrella_tag",
    ),
    "config-not-a-table": (
        _root(
            root_toml().replace(
                "[tool.uv.workspace]", "[tool]\nreleasekit = 3\n[tool.uv.workspace]"
            )
        ),
        "RK121",
        "table",
    ),
    "workspace-members-not-strings": (
        _root("[tool.uv.workspace]\nmembers = [1]\n"),
        "RK118",
        "members",
    ),
    "non-utf8": (_not_utf8, "RK103", "UTF-8"),
    "huge-integer": (_huge_integer, "RK101", "packages/a/pyproject.toml"),
    "unreadable-directory-named-pyproject": (_directory_pyproject, "RK102", "not a regular file"),
    "unreadable-symlink-loop-pyproject": (_symlink_loop_pyproject, "RK102", "symbolic links"),
    "unreadable-chmod-000": (_unreadable_chmod, "RK102", "cannot read"),
    "symlink-loop-among-members": (_symlink_loop_member, "RK102", "packages/"),
    "very-large-file": (_very_large, "RK104", "bytes"),
    "hostile-package-name-shell": (
        _replace_member("packages/a", member_toml("a; rm -rf ~ $(touch PWNED)")),
        "RK111",
        "invalid project name",
    ),
    "hostile-package-name-path": (
        _replace_member("packages/a", member_toml("../../etc/passwd")),
        "RK111",
        "passwd",
    ),
    "hostile-directory-name": (_hostile_directory, "RK117", "has no pyproject.toml"),
}

XFAIL_AS_ROOT = {"unreadable-chmod-000"}


def assert_stdout_for_error(stdout: str, command: tuple[str, ...], code: str, where: str) -> None:
    """Nothing on stdout, except with `--format json`: then exactly one JSON error object."""
    if "json" in command:
        assert json.loads(stdout)["error"]["code"] == code, where
        assert stdout.count("\n") == 1, where
    else:
        assert stdout == "", where


def _check(run_result: Run, code: str, needle: str, command: tuple[str, ...]) -> None:
    lines = run_result.err_lines
    where = f"{' '.join(command)}: stderr={run_result.stderr!r}"
    assert run_result.returncode == 2, where
    assert len(lines) == 1, where
    assert ONE_LINE.match(lines[0]), where
    assert lines[0].startswith(f"error[{code}] "), where
    assert needle in lines[0], where
    assert "Traceback" not in run_result.stderr and "Traceback" not in run_result.stdout
    assert "(hint: " in lines[0], where
    assert_stdout_for_error(run_result.stdout, command, code, where)


# A cycle is a property of the graph: `discover` still lists the packages and `graph` draws the
# cycle (that is how one finds it), and `init` writes settings that do not depend on the graph.
GRAPH_ONLY = {"cycle": [("plan", "--format", "json"), ("bump", "--patch")]}


def _in_process(command: tuple[str, ...], cwd: Path) -> Run:
    """``releasekit.cli.main`` in this process, with the streams captured (fast)."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(command))
    finally:
        os.chdir(previous)
    return Run(code, out.getvalue(), err.getvalue())


def _external(case: str) -> list[tuple[str, ...]]:
    """The commands run as real subprocesses: `bump` (a writing command) for every case, and
    one of the others in turn, so every command runs as a subprocess on a share of the cases
    while the matrix stays inside the time budget. All of them also run in-process."""
    commands = GRAPH_ONLY.get(case, COMMANDS)
    others = [c for c in commands if c[0] != "bump"]
    return [("bump", "--patch"), others[sorted(CASES).index(case) % len(others)]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(tmp_path: Path, case: str) -> None:
    build, code, needle = CASES[case]
    if case in XFAIL_AS_ROOT and os.geteuid() == 0:
        pytest.skip(
            "running as root: chmod 000 does not stop reads (the symlink-loop and "
            "directory cases cover unreadable files)"
        )
    ws = tmp_path / "ws"
    ws.mkdir()
    build(ws)
    before = tree_hash(ws)
    external = _external(case)
    with ThreadPoolExecutor(max_workers=len(external)) as pool:
        results = list(pool.map(lambda command: run_cli(*command, cwd=ws), external))
    for command, result in zip(external, results, strict=True):
        _check(result, code, needle, command)
    for command in GRAPH_ONLY.get(case, COMMANDS):
        _check(_in_process(command, ws), code, needle, command)
    assert tree_hash(ws) == before
    assert not (ws / ".releasekit").exists()
    assert not (tmp_path / "PWNED").exists() and not (ws / "PWNED").exists()


def test_every_command_runs_as_a_subprocess_somewhere() -> None:
    seen = {c for case in CASES for c in _external(case)}
    assert set(COMMANDS) <= seen


def test_error_location_is_relative_and_names_line_and_column(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _malformed_member(ws)
    result = run_cli("plan", cwd=ws)
    assert result.err_lines[0].startswith(
        "error[RK101] packages/a/pyproject.toml:3:14: invalid TOML"
    )


def test_workspace_option_pointing_at_a_symlink_loop(tmp_path: Path) -> None:
    os.symlink("loop", tmp_path / "loop")
    result = run_cli("--workspace", tmp_path / "loop", "plan", cwd=tmp_path)
    _check(result, "RK100", "loop", ("plan",))


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("plan", "-p", "acme-cor"), "RK130", "did you mean `acme-core`?"),
        (("graph", "-g", "foundatio"), "RK131", "did you mean `foundation`?"),
        (("bump", "acme-devtool", "--patch"), "RK148", "acme-devtool is never released"),
        (("bump",), "RK150", "no bump given"),
        (("bump", "--patch", "--version", "9.0.0"), "RK150", "--version"),
        (("bump", "acme-core", "--version", "0.1.0"), "RK141", "not greater"),
        (("bump", "acme-core", "--pre", "gamma"), "RK141", "gamma"),
        (("bump", "acme-core", "--version", "one"), "RK113", "one"),
        (("plan", "--format", "yaml"), "RK150", "yaml"),
        (("frobnicate",), "RK150", "frobnicate"),
    ],
)
def test_bad_usage_on_the_example(
    example_ws: Path, args: tuple[str, ...], code: str, needle: str
) -> None:
    before = tree_hash(example_ws)
    result = run_cli(*args, cwd=example_ws)
    _check(result, code, needle, args)
    assert tree_hash(example_ws) == before


def test_a_version_the_backend_cannot_compute_is_shown_and_refused_where_it_matters(tmp_path: Path) -> None:
    """`dynamic = ["version"]` with no version source: the backend cannot say it. discover
    shows it as unknown; plan, bump and publish refuse it alike (RK145) naming the member;
    a release of another member is not stopped by it."""
    ws = tmp_path / "ws"
    make_ws(ws, {"packages/a": member_toml("a", version=None), "packages/b": member_toml("b")})
    before = tree_hash(ws)
    shown = run_cli("discover", cwd=ws)
    assert shown.returncode == 0 and "(unknown)" in shown.stdout, shown.stderr
    for command in (("plan",), ("bump", "a", "--patch"), ("publish", "--dry-run")):
        _check(run_cli(*command, cwd=ws), "RK145", "could not compute the metadata of a", command)
    other = run_cli("plan", "-p", "b", cwd=ws)
    assert other.returncode == 0 and "b " in other.stdout, other.stderr
    shutil.rmtree(ws / ".releasekit")  # the backend's answers are cached there (git-ignored)
    assert tree_hash(ws) == before
