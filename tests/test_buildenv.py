"""Builds in the run's shared build environment: proven byte-identical first, isolated otherwise.

Real uv, hatchling from the local test index.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from releasekit.backends.uv import Uv
from releasekit.engine.buildenv import Shared, _build_python, build_in_env, discard_abandoned
from releasekit.engine.events import read_events
from releasekit.engine.taskdata import PackageData, SettingsData
from releasekit.support.fsutil import sha256_file
from tests.harness.workspace import write_package, write_root

HATCHLING = {"requires": ["hatchling"], "build-backend": "hatchling.build"}
PY = sys.executable

#: A hatch build hook that puts the interpreter's prefix into the wheel: every environment
#: builds different bytes.
PREFIX_HOOK = """
import sys
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

class PrefixHook(BuildHookInterface):
    def initialize(self, version, build_data):
        path = self.directory + "/prefix.txt"
        with open(path, "w") as handle:
            handle.write(sys.prefix)
        build_data["force_include"][path] = "leaky/prefix.txt"
"""


def _workspace(root: Path, names: list[str], *, leaky: bool = False) -> Path:
    write_root(root)
    for name in names:
        write_package(
            root,
            f"packages/{name}",
            name,
            extra_toml='[tool.hatch.build.hooks.custom]\npath = "hook.py"\n' if leaky else "",
            files={"hook.py": PREFIX_HOOK} if leaky else None,
        )
    return root


def _data(root: Path, name: str) -> tuple[PackageData, SettingsData]:
    package: dict[str, Any] = {"name": name, "version": "0.1.0", "path": f"packages/{name}", "build_env": {},
                               "build_system": HATCHLING}
    settings: dict[str, Any] = {"root": str(root), "state_dir": str(root / ".releasekit"), "run_id": "r1",
                                "run_dir": str(root / ".releasekit" / "runs" / "r1"),
                                "events_path": str(root / ".releasekit" / "events.ndjson")}
    (root / ".releasekit").mkdir(exist_ok=True)
    return package, settings  # type: ignore[return-value]


def _build(root: Path, name: str, out: Path) -> dict[str, str]:
    package, settings = _data(root, name)
    files = build_in_env(package, settings, root / package["path"], out)
    return {f.name: sha256_file(f) for f in files}


def _isolated(root: Path, name: str, out: Path) -> dict[str, str]:
    return {f.name: sha256_file(f) for f in Uv().build(root / "packages" / name, out, cwd=root)}


def _steps(root: Path) -> list[tuple[str, str, str]]:
    events = read_events(root / ".releasekit" / "events.ndjson")
    return [(e["package"], e["step"], e.get("detail", "")) for e in events if e.get("event") == "step"]


@pytest.mark.slow
def test_later_builds_in_the_proven_environment_make_the_bytes_isolated_builds_make(
        tmp_path: Path, uv_env: dict[str, str]) -> None:
    root = _workspace(tmp_path / "ws", ["alpha", "beta", "gamma"])
    built = {name: _build(root, name, tmp_path / "out" / name) for name in ("alpha", "beta", "gamma")}
    assert _steps(root) == [("alpha", "build env", "proven")]  # proven once, by the first build
    shared = Shared(str(root / ".releasekit" / "runs" / "r1"), HATCHLING, Uv().find_python(root / "packages" / "beta"))
    assert shared.proven_python() is not None
    for name in ("beta", "gamma"):  # built in the shared environment; isolated builds agree byte for byte
        assert built[name] == _isolated(root, name, tmp_path / "isolated" / name)
        assert len(built[name]) == 2


@pytest.mark.slow
def test_a_backend_whose_bytes_depend_on_its_environment_is_never_shared(
        tmp_path: Path, uv_env: dict[str, str]) -> None:
    root = _workspace(tmp_path / "ws", ["alpha", "beta"], leaky=True)
    _build(root, "alpha", tmp_path / "out" / "alpha")
    [(package, step, detail)] = _steps(root)
    assert (package, step) == ("alpha", "build env")
    assert detail.startswith("different bytes in alpha-0.1.0-py3-none-any.whl")
    assert Shared(str(root / ".releasekit" / "runs" / "r1"), HATCHLING, PY).proven_python() is None
    files = _build(root, "beta", tmp_path / "out" / "beta")
    assert len(files) == 2 and len(_steps(root)) == 1  # built isolated, no second proof


@pytest.mark.slow
def test_a_shared_environment_that_breaks_falls_back_to_an_isolated_build(
        tmp_path: Path, uv_env: dict[str, str]) -> None:
    root = _workspace(tmp_path / "ws", ["alpha", "beta"])
    _build(root, "alpha", tmp_path / "out" / "alpha")
    python = Shared(str(root / ".releasekit" / "runs" / "r1"), HATCHLING, Uv().find_python(root)).proven_python()
    assert python is not None
    for found in python.parent.parent.glob("lib/python*/site-packages/hatchling"):
        shutil.rmtree(found)  # the backend is gone from the shared environment
    files = _build(root, "beta", tmp_path / "out" / "beta")
    assert files == _isolated(root, "beta", tmp_path / "isolated" / "beta")
    fallback = [s for s in _steps(root) if s[1] == "isolated"]
    assert len(fallback) == 1 and fallback[0][0] == "beta"
    assert "the shared build environment failed" in fallback[0][2]


def test_only_the_first_build_of_a_backend_proves_it_and_in_tree_backends_never_share(tmp_path: Path) -> None:
    run = str(tmp_path / "run")
    assert Shared(run, HATCHLING, PY).claim() is True
    assert Shared(run, HATCHLING, PY).claim() is False
    assert Shared(run, {**HATCHLING, "requires": ["hatchling", "hatch-vcs"]}, PY).claim() is True  # another backend
    assert Shared(run, HATCHLING, "/opt/python3.12/bin/python").claim() is True  # another interpreter
    in_tree = Shared(run, {**HATCHLING, "backend-path": ["_build"]}, PY)
    assert in_tree.claim() is False and in_tree.proven_python() is None
    assert Shared(run, {}, PY).claim() is False  # no [build-system]: uv's legacy setuptools path, left alone
    assert Shared(run, HATCHLING, "").claim() is False  # uv could not say which interpreter a build gets


def test_an_unproven_or_damaged_status_is_not_used(tmp_path: Path) -> None:
    shared = Shared(str(tmp_path / "run"), HATCHLING, PY)
    status = tmp_path / "run" / "buildenvs" / f"{shared.id}.json"
    status.parent.mkdir(parents=True)
    status.write_text("{not json")
    assert shared.proven_python() is None
    status.write_text(json.dumps({"status": "proven", "python": str(tmp_path / "gone" / "python")}))
    assert shared.proven_python() is None  # the interpreter is not there any more


def test_environments_of_killed_runs_are_removed_before_the_next(tmp_path: Path) -> None:
    state = tmp_path / "state"
    for run in ("r1", "r2"):
        (state / "runs" / run / "buildenvs" / "x").mkdir(parents=True)
    (state / "runs" / "r2" / "summary.json").write_text("{}")
    discard_abandoned(state)
    assert not list(state.glob("runs/*/buildenvs"))
    assert (state / "runs" / "r2" / "summary.json").exists()  # the runs' own records stay


class CountingUv:
    """The real uv, counting the interpreter lookups."""

    def __init__(self) -> None:
        self.real, self.lookups = Uv(), 0

    def find_python(self, project_dir: Path) -> str:
        self.lookups += 1
        return self.real.find_python(project_dir)


def test_the_interpreter_a_build_gets_is_looked_up_once_per_run_and_setting(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", ["alpha", "beta", "gamma"])
    (root / "packages" / "gamma" / ".python-version").write_text("3.11\n")
    uv, run = CountingUv(), str(tmp_path / "run")
    found = [_build_python(uv, root / "packages" / name, ">=3.9", run) for name in ("alpha", "beta")]  # type: ignore[arg-type]
    assert found[0] == found[1] == Uv().find_python(root / "packages" / "alpha") and uv.lookups == 1
    assert _build_python(uv, root / "packages" / "gamma", ">=3.9", run)  # type: ignore[arg-type]
    assert uv.lookups == 2  # its own .python-version: asked again
    assert _build_python(uv, root / "packages" / "alpha", ">=3.10", run)  # type: ignore[arg-type]
    assert uv.lookups == 3  # another requires-python
