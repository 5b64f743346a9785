"""doit in a workspace (what `init` writes) shows exactly the task graph `releasekit plan` prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from releasekit.doitloader import WorkspaceLoader
from tests.harness.cli import rk
from tests.harness.gitrepo import git_out, init_repo

BIN = Path(sys.executable).parent


def _plan_json(ws: Path) -> dict:  # type: ignore[type-arg]
    out = rk(ws, "plan", "--format", "json")
    assert out.returncode == 0, out.output
    return json.loads(out.stdout)


class _Cmd:
    execute_tasks = False


def test_loader_tasks_match_the_plan(example_ws: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    plan = _plan_json(example_ws)
    monkeypatch.chdir(example_ws)
    loader = WorkspaceLoader()
    loader.load_doit_config()
    tasks = {t.name: t for t in loader.load_tasks(_Cmd(), [])}
    for spec in plan["tasks"]:
        assert spec["name"] in tasks, spec["name"]
        assert sorted(tasks[spec["name"]].task_dep) == sorted(spec["task_dep"]), spec["name"]
    package_tasks = {n for n, t in tasks.items() if ":" in n}
    assert package_tasks == {s["name"] for s in plan["tasks"] if ":" in s["name"]}
    assert sorted(tasks["gate"].task_dep) == sorted(next(s for s in plan["tasks"] if s["name"] == "gate")["task_dep"])
    # every stage is also a group task, so `doit publish` runs every package
    published = {f"publish:{p['name']}" for p in plan["packages"]}
    assert set(tasks["publish"].task_dep) == published


def test_plain_doit_lists_and_explains_tasks_without_dirtying_git(example_ws: Path) -> None:
    init_repo(example_ws, initial_commit=False).commit_all("init")
    env_doit = str(BIN / "doit")
    listing = subprocess.run([env_doit, "list", "--all"], cwd=example_ws, capture_output=True, text=True, check=True)
    names = {line.split()[0] for line in listing.stdout.splitlines() if line.strip()}
    assert {"plan", "publish", "gate", "build:acme-core", "upload:acme-api", "trial:acme-cli"} <= names
    assert "acme-devtool" not in listing.stdout  # private package: never a task
    info = subprocess.run([env_doit, "info", "upload:acme-api"], cwd=example_ws, capture_output=True, text=True,
                          check=False)
    assert "verify:acme-http" in info.stdout and "verify:acme-store" in info.stdout and " - gate" in info.stdout
    # the state dir (doit DB included) ignores itself
    assert git_out(example_ws, "status", "--porcelain", "--untracked-files=all") == ""


def test_every_action_gets_the_typed_keys(example_ws: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The dicts the actions receive carry exactly the keys PackageData and SettingsData declare."""
    from releasekit.engine.taskdata import PackageData, SettingsData

    monkeypatch.chdir(example_ws)
    loader = WorkspaceLoader()
    loader.load_doit_config()
    tasks = {t.name: t for t in loader.load_tasks(_Cmd(), [])}
    build_package, build_settings = tasks["build:acme-core"].actions[0].args
    upload_package, upload_settings = tasks["upload:acme-core"].actions[0].args
    assert set(build_package) == set(upload_package) == set(PackageData.__annotations__)
    assert set(build_settings) == set(SettingsData.__annotations__)
    assert set(upload_settings) == set(SettingsData.__annotations__) - {"member_dirs"}
