"""`bump`: every option, --dry-run writes nothing, tomlkit keeps the files' layout, dependents are
widened only when needed, uv.lock is refreshed by real uv, and a failing `uv lock` restores all."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.harness.cli import VENV_BIN, run_cli
from tests.harness.tree import tree_hash
from tests.harness.workspace import make_ws, member_toml, root_toml, uv_lock

PUBLISHABLE = ("acme-api", "acme-cli", "acme-core", "acme-http", "acme-log", "acme-store")
DIRS = {
    "acme-api": "packages/api",
    "acme-cli": "packages/cli",
    "acme-core": "packages/core",
    "acme-http": "packages/http",
    "acme-log": "packages/log",
    "acme-store": "packages/store",
    "acme-devtool": "tools/devtool",
}


def _version(ws: Path, name: str) -> str:
    data = tomllib.loads((ws / DIRS[name] / "pyproject.toml").read_text())
    return str(data["project"]["version"])


def _deps(ws: Path, name: str) -> list[str]:
    return list(
        tomllib.loads((ws / DIRS[name] / "pyproject.toml").read_text())["project"]["dependencies"]
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--major",), "1.0.0"),
        (("--minor",), "0.4.0"),
        (("--patch",), "0.3.1"),
        (("--pre", "rc"), "0.3.1rc1"),
        (("--minor", "--pre", "beta"), "0.4.0b1"),
        (("--dev",), "0.3.1.dev1"),
        (("--post",), "0.3.0.post1"),
        (("--version", "2.0.0"), "2.0.0"),
    ],
)
def test_every_option(example_ws: Path, args: tuple[str, ...], expected: str) -> None:
    result = run_cli("bump", *args, cwd=example_ws)
    assert result.returncode == 0, result.stderr
    for name in PUBLISHABLE:
        assert _version(example_ws, name) == expected, name
    assert _version(example_ws, "acme-devtool") == "0.1.0"  # private: never bumped
    assert (
        result.stderr == "releasekit: not bumping acme-devtool: not publishable: "
        "classifier 'Private :: Do Not Upload'\n"
    )
    assert f"acme-core: version 0.3.0 -> {expected}" in result.stdout
    assert not list((example_ws / ".releasekit" / "journal").iterdir())


def test_dry_run_writes_nothing(example_ws: Path) -> None:
    uv_lock(example_ws)
    before = tree_hash(example_ws)
    result = run_cli("bump", "--major", "--dry-run", cwd=example_ws)
    assert result.returncode == 0, result.stderr
    assert tree_hash(example_ws) == before
    assert not (example_ws / ".releasekit").exists()
    assert (
        "would change packages/core/pyproject.toml:\n  acme-core: version 0.3.0 -> 1.0.0"
        in result.stdout
    )
    assert "would refresh uv.lock" in result.stdout
    assert result.stdout.endswith("dry run: nothing was written\n")


def test_only_the_version_line_changes(example_ws: Path) -> None:
    manifest = example_ws / "packages" / "http" / "pyproject.toml"
    before = manifest.read_text()
    assert run_cli("bump", "acme-http", "--patch", cwd=example_ws).returncode == 0
    after = manifest.read_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [('version = "0.3.0"', 'version = "0.3.1"')]
    assert '"acme-core>=0.3.0",  # shared types' in after


def test_named_packages_only(example_ws: Path) -> None:
    result = run_cli("bump", "acme-core", "ACME_LOG", "--minor", cwd=example_ws)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert {n: _version(example_ws, n) for n in PUBLISHABLE} == {
        "acme-api": "0.3.0",
        "acme-cli": "0.3.0",
        "acme-core": "0.4.0",
        "acme-http": "0.3.0",
        "acme-log": "0.4.0",
        "acme-store": "0.3.0",
    }
    # `>=0.3.0` still admits 0.4.0: no dependent is touched.
    assert _deps(example_ws, "acme-http") == ["acme-core>=0.3.0", "acme-log>=0.3.0"]


def _pinned_ws(base: Path) -> Path:
    return make_ws(
        base,
        {
            "packages/core": member_toml("core", "0.3.0"),
            "packages/app": member_toml(
                "app",
                "0.3.0",
                deps=["requests>=2", "core>=0.3.0,<0.4"],
                optional={"fast": ["core[speed]==0.3.0 ; python_version >= '3.9'"]},
            ),
            "packages/lib": member_toml("lib", "0.3.0", deps=["core>=0.1"]),
            "packages/tool": member_toml("tool", "0.1.0", deps=["core~=0.3.0"]).replace(
                "dependencies", 'classifiers = ["Private :: Do Not Upload"]\ndependencies'
            ),
        },
        root=root_toml(sources=["core", "app", "lib", "tool"]),
    )


def test_dependents_are_widened_only_when_needed(tmp_path: Path) -> None:
    ws = _pinned_ws(tmp_path)
    lib_before = (ws / "packages/lib/pyproject.toml").read_bytes()
    result = run_cli("bump", "core", "--version", "1.0.0", cwd=ws)
    assert result.returncode == 0, result.stderr
    app = tomllib.loads((ws / "packages/app/pyproject.toml").read_text())["project"]
    assert app["version"] == "0.3.0"
    assert app["dependencies"] == ["requests>=2", "core>=0.3.0,<1.1"]
    assert app["optional-dependencies"]["fast"] == ["core[speed]==1.0.0 ; python_version >= '3.9'"]
    assert (ws / "packages/lib/pyproject.toml").read_bytes() == lib_before  # >=0.1 admits 1.0.0
    tool = tomllib.loads((ws / "packages/tool/pyproject.toml").read_text())["project"]
    assert tool["dependencies"] == ["core~=1.0.0"]  # private packages still follow the change
    assert "app: dependency 'core>=0.3.0,<0.4' -> 'core>=0.3.0,<1.1'" in result.stdout


def test_uv_lock_is_refreshed_with_real_uv(example_ws: Path) -> None:
    uv_lock(example_ws)
    lock_before = (example_ws / "uv.lock").read_text()
    assert 'name = "acme-core"\nversion = "0.3.0"' in lock_before
    result = run_cli("bump", "acme-core", "--major", cwd=example_ws)
    assert result.returncode == 0, result.stderr
    assert "refreshed uv.lock" in result.stdout
    lock_after = (example_ws / "uv.lock").read_text()
    assert 'name = "acme-core"\nversion = "1.0.0"' in lock_after
    # uv agrees the lock matches the project now.
    env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_CONFIG": "1"}
    check = subprocess.run(
        [str(VENV_BIN / "uv"), "lock", "--check", "--offline"],
        cwd=example_ws,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_no_lock_leaves_uv_lock_alone(example_ws: Path) -> None:
    (example_ws / "uv.lock").write_text("# stale on purpose\n")
    result = run_cli("bump", "acme-core", "--patch", "--no-lock", cwd=example_ws)
    assert result.returncode == 0, result.stderr
    assert (example_ws / "uv.lock").read_text() == "# stale on purpose\n"
    assert "uv.lock" not in result.stdout


def _fake_uv(tmp_path: Path) -> Path:
    """A uv that scribbles over uv.lock and the first manifest it finds, then fails like uv."""
    script = tmp_path / "fake-uv"
    script.write_text(
        "#!/bin/sh\n"
        'echo "half-written by a failing uv" > uv.lock\n'
        'echo "error: Failed to resolve dependencies" >&2\n'
        "exit 2\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_failing_uv_lock_restores_every_file(example_ws: Path, tmp_path: Path) -> None:
    uv_lock(example_ws)
    before = tree_hash(example_ws)
    result = run_cli(
        "bump", "--major", cwd=example_ws, env={"RELEASEKIT_UV": str(_fake_uv(tmp_path))}
    )
    assert result.returncode == 1
    last = result.err_lines[-1]
    assert re.match(
        r"^error\[RK400\] `.*fake-uv lock` exited with code 2: error: Failed to resolve", last
    )
    after = tree_hash(example_ws)
    state = {k for k in after if k.startswith(".releasekit")}
    assert {k: v for k, v in after.items() if k not in state} == before
    assert not list((example_ws / ".releasekit" / "journal").iterdir())


def test_failing_real_uv_lock_restores_every_file(example_ws: Path) -> None:
    # A third-party dependency uv cannot resolve offline makes the real `uv lock` fail.
    uv_lock(example_ws)
    manifest = example_ws / "packages" / "log" / "pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace(
            "dependencies = []", 'dependencies = ["surely-not-in-any-cache-x7q>=1"]'
        )
    )
    before = tree_hash(example_ws)
    result = run_cli("bump", "--minor", cwd=example_ws)
    assert result.returncode == 1
    assert result.err_lines[-1].startswith("error[RK400] ")
    assert "Traceback" not in result.stderr
    after = tree_hash(example_ws)
    assert {k: v for k, v in after.items() if not k.startswith(".releasekit")} == before
