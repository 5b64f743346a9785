"""`discover`, `plan` and the CLI shell, run as a user runs them (a subprocess)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from releasekit.engine.plan import build_plan
from releasekit.engine.stages import STAGES
from releasekit.model.selection import Selection
from releasekit.model.versions import Bump
from releasekit.model.workspace import load_workspace
from tests.harness.cli import run_cli
from tests.harness.workspace import EXAMPLE, make_ws, member_toml, root_toml


def _ok(*args: str, cwd: Path = EXAMPLE) -> str:
    result = run_cli(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_discover_table() -> None:
    out = _ok("discover")
    assert out.startswith(f"workspace {EXAMPLE.resolve()} (7 packages)\n")
    assert max(len(line) for line in out.splitlines()[1:]) <= 100
    wide = run_cli("discover", cwd=EXAMPLE, env={"COLUMNS": "200"}).stdout
    assert re.search(
        r"^acme-api +0\.3\.0 +packages/api +acme-http, acme-store, acme-log \[extra\] +publish$", wide, re.M
    )
    assert re.search(r"^acme-devtool .* not publishable: classifier 'Private :: Do Not Upload'$", wide, re.M)


def test_discover_json() -> None:
    data = json.loads(_ok("discover", "--format", "json"))
    assert data["workspace"] == str(EXAMPLE.resolve())
    assert data["members"] == ["packages/*", "tools/*"] and data["exclude"] == []
    api = next(p for p in data["packages"] if p["name"] == "acme-api")
    tracing = next(
        d for d in api["dependencies"] if d["section"] == "optional-dependencies.tracing"
    )
    assert tracing == {
        "requirement": 'acme-log[json]>=0.3.0; python_version >= "3.9"',
        "name": "acme-log",
        "specifier": ">=0.3.0",
        "extras": ["json"],
        "marker": 'python_version >= "3.9"',
        "section": "optional-dependencies.tracing",
        "kind": "extra:tracing",
        "internal": True,
    }
    assert api["internal_deps"] == ["acme-http", "acme-store"] and api["extra_deps"] == ["acme-log"]
    assert api["released"] is True and api["unreleased_reason"] is None
    assert (
        api["workspace_sources"] == sorted(api["workspace_sources"])
        and "acme-log" in api["workspace_sources"]
    )
    assert api["license"] == "Apache-2.0" and api["readme"] == "README.md"
    devtool = next(p for p in data["packages"] if p["name"] == "acme-devtool")
    assert devtool["publishable"] is False and "Private" in devtool["unpublishable_reason"]


def test_discover_shows_a_dynamic_version_the_backend_cannot_compute(tmp_path: Path) -> None:
    make_ws(tmp_path, {"packages/a": member_toml("a", version=None)})
    assert re.search(r"^a +\(unknown\) ", _ok("discover", cwd=tmp_path), re.M)
    data = json.loads(_ok("discover", "--format", "json", cwd=tmp_path))
    a = data["packages"][0]
    assert a["version"] is None and a["dynamic_version"] is True and a["metadata_problem"]


def test_plan_json_is_clean_on_stdout() -> None:
    result = run_cli("plan", "--format", "json", cwd=EXAMPLE)
    assert result.returncode == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert data["schema"] == "releasekit.plan/1" and data["workspace"] == str(EXAMPLE.resolve())
    assert [p["name"] for p in data["packages"]] == [
        "acme-core",
        "acme-log",
        "acme-http",
        "acme-store",
        "acme-api",
        "acme-cli",
    ]
    assert [p["order"] for p in data["packages"]] == list(range(6))
    assert data["levels"] == [
        ["acme-core", "acme-log"],
        ["acme-http", "acme-store"],
        ["acme-api"],
        ["acme-cli"],
    ]
    assert data["critical_path"] == ["acme-core", "acme-store", "acme-api", "acme-cli"]
    assert data["skipped"] == [
        {
            "name": "acme-devtool",
            "version": "0.1.0",
            "reason": "not publishable: classifier 'Private :: Do Not Upload'",
        }
    ]
    api = data["packages"][4]
    assert api["pins"] == {"acme-http": "0.3.0", "acme-log": "0.3.0", "acme-store": "0.3.0"}
    assert api["stages"] == [s for s in STAGES if s != "smoke"] and api["next_version"] == api["version"] == "0.3.0"
    assert data["staged"] is True


def test_the_staged_gate_comes_before_the_first_upload() -> None:
    data = json.loads(_ok("plan", "--format", "json"))
    tasks = {t["name"]: t for t in data["tasks"]}
    stages = [s for s in STAGES if s != "smoke"]
    assert len(tasks) == len(data["tasks"]) == 6 * len(stages) + 1
    for pkg in data["packages"]:
        for stage in stages:
            task = tasks[f"{stage}:{pkg['name']}"]
            assert task["stage"] == stage and task["package"] == pkg["name"]
    # A package is staged after its direct dependencies, so its trial, which installs every
    # dependency below it from the staging index, needs one edge: its own stage.
    assert tasks["stage:acme-api"]["task_dep"] == ["build:acme-api", "stage:acme-http", "stage:acme-store"]
    assert tasks["trial:acme-api"]["task_dep"] == ["stage:acme-api"]
    below, todo = set(), ["trial:acme-api"]
    while todo:
        for dep in tasks[todo.pop()]["task_dep"]:
            if dep not in below:
                below.add(dep)
                todo.append(dep)
    assert sorted(d for d in below if d.startswith("stage:")) == [  # acme-log: through acme-http
        "stage:acme-api", "stage:acme-core", "stage:acme-http", "stage:acme-log", "stage:acme-store"]
    assert tasks["gate"]["task_dep"] == [f"trial:{p['name']}" for p in data["packages"]]
    assert tasks["upload:acme-api"]["task_dep"] == [
        "build:acme-api", "probe:acme-api", "gate", "verify:acme-http", "verify:acme-store"]
    assert tasks["publish:acme-api"]["task_dep"] == ["verify:acme-api"]
    for task in tasks.values():
        assert set(task["task_dep"]) <= set(tasks)


def test_plan_task_list() -> None:
    data = json.loads(_ok("plan", "--format", "json", "--no-stage"))
    tasks = {t["name"]: t for t in data["tasks"]}
    stages = [s for s in STAGES if s not in ("stage", "trial")]
    assert len(tasks) == len(data["tasks"]) == 6 * len(stages)
    for pkg in data["packages"]:
        for stage in stages:
            task = tasks[f"{stage}:{pkg['name']}"]
            assert task["stage"] == stage and task["package"] == pkg["name"]
    assert tasks["build:acme-api"]["task_dep"] == []
    assert tasks["upload:acme-api"]["task_dep"] == [
        "build:acme-api",
        "probe:acme-api",
        "smoke:acme-http",
        "smoke:acme-store",
    ]  # acme-log is only an extra of acme-api (`tracing`): pinned at build, never waited for
    assert data["packages"][[p["name"] for p in data["packages"]].index("acme-api")]["pins"]["acme-log"] == "0.3.0"
    assert tasks["smoke:acme-api"]["task_dep"] == ["verify:acme-api"]
    assert tasks["publish:acme-api"]["task_dep"] == ["smoke:acme-api"]
    # Every task_dep names a task of the plan, and the task graph has no cycle.
    for task in tasks.values():
        assert set(task["task_dep"]) <= set(tasks)


def test_plan_without_smoke_stage() -> None:
    data = json.loads(_ok("plan", "--format", "json", "--no-smoke-test"))
    assert not any(t["stage"] == "smoke" for t in data["tasks"])
    assert data["smoke_test"] is False
    publish = next(t for t in data["tasks"] if t["name"] == "publish:acme-core")
    assert publish["task_dep"] == ["verify:acme-core"]


def test_plan_with_a_bump_and_a_selection() -> None:
    data = json.loads(_ok("plan", "--format", "json", "-p", "acme-http", "--with-deps", "--minor"))
    assert {p["name"]: p["next_version"] for p in data["packages"]} == {
        "acme-core": "0.4.0",
        "acme-log": "0.4.0",
        "acme-http": "0.4.0",
    }
    assert all(p["reason"] == "bump: minor" for p in data["packages"])
    http = next(p for p in data["packages"] if p["name"] == "acme-http")
    assert http["pins"] == {"acme-core": "0.4.0", "acme-log": "0.4.0"}


def test_plan_pins_unselected_dependencies_at_their_written_version() -> None:
    data = json.loads(_ok("plan", "--format", "json", "-p", "acme-cli", "--patch"))
    assert [(p["name"], p["next_version"], p["pins"]) for p in data["packages"]] == [
        ("acme-cli", "0.3.1", {"acme-api": "0.3.0"})
    ]
    upload = next(t for t in data["tasks"] if t["name"] == "upload:acme-cli")
    assert upload["task_dep"] == ["build:acme-cli", "probe:acme-cli", "gate"]


def test_plan_table() -> None:
    out = _ok("plan", "--pre", "rc", "-g", "foundation")
    lines = out.splitlines()
    assert lines[0].split() == [
        "#",
        "level",
        "package",
        "version",
        "next",
        "why",
        "pins",
        "at",
        "build",
    ]
    assert re.match(r"^1 +0 +acme-core +0\.3\.0 +0\.3\.1rc1 +bump: pre rc +-$", lines[2])
    assert (
        "stages per package: build -> stage -> trial -> probe -> upload -> poll -> verify -> publish" in out
    )
    assert "doit tasks: 17" in out


def test_plan_table_lists_skipped_packages() -> None:
    out = _ok("plan")
    assert out.endswith(
        "skipped:\n  acme-devtool 0.1.0: not publishable: classifier 'Private :: Do Not Upload'\n"
    )
    assert re.search(
        r"^6 +3 +acme-cli +0\.3\.0 += +version in pyproject.toml +acme-api==0\.3\.0$",
        out,
        re.M,
    )


def test_plan_of_nothing(tmp_path: Path) -> None:
    make_ws(tmp_path, {"packages/a": member_toml("a", version=None, extra="[tool.uv]\npackage = false\n")})
    out = _ok("plan", cwd=tmp_path)
    assert "nothing to release" in out and "not publishable: [tool.uv] package = false" in out


def test_plan_value_is_what_the_cli_prints() -> None:
    plan = build_plan(load_workspace(EXAMPLE), Selection(), {"acme-core": Bump(kind="major")})
    assert plan.package("acme-core").next_version == "1.0.0"
    assert plan.package("acme-http").pins == {"acme-core": "1.0.0", "acme-log": "0.3.0"}
    assert [p.name for p in plan.changes] == ["acme-core"]
    with pytest.raises(KeyError):
        plan.package("acme-devtool")
    printed = json.loads(_ok("plan", "--format", "json"))
    assert printed == build_plan(load_workspace(EXAMPLE)).to_json()


def test_no_command_prints_help_to_stderr() -> None:
    result = run_cli(cwd=EXAMPLE)
    assert result.returncode == 2 and result.stdout == "" and "usage: releasekit" in result.stderr


def test_version_and_help() -> None:
    assert _ok("--version").startswith("releasekit ")
    assert "package selection" in _ok("plan", "--help")


def test_broken_pipe_is_not_an_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.harness.cli import offline_env

    packages = {
        f"p/p{i:03d}": member_toml(f"p{i:03d}", deps=[f"p{i - 1:03d}"] if i else [])
        for i in range(300)
    }
    make_ws(tmp_path, packages, root='[tool.uv.workspace]\nmembers = ["p/*"]\n')
    proc = subprocess.run(
        [
            "bash",
            "-c",
            f"set -o pipefail; {sys.executable} -m releasekit graph --format ascii | head -n 2",
        ],
        cwd=tmp_path,
        env=offline_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.splitlines()[0] == "p000 1.0.0"
    assert proc.stderr == ""


def test_json_rendering_is_one_item_per_line_and_round_trips() -> None:
    from releasekit.support.render import to_json

    value = {"a": [], "b": {}, "c": [{"x": [1, 2], "é": "ü"}, [3]], "d": None, "e": {"k": {"n": 1}}}
    text = to_json(value)
    assert json.loads(text) == value
    assert text.splitlines() == [
        "{",
        '  "a": [],',
        '  "b": {},',
        '  "c": [',
        '    {"x": [1, 2], "\\u00e9": "\\u00fc"},',
        "    [3]",
        "  ],",
        '  "d": null,',
        '  "e": {',
        '    "k": {"n": 1}',
        "  }",
        "}",
    ]
    assert to_json([]) == "[]\n" and to_json(3) == "3\n"


def test_exclude_and_group_patterns_match_like_package_names(tmp_path: Path) -> None:
    # Names compare after PEP 503 normalization; so must the globs that select them.
    extra = '[tool.releasekit]\nexclude = ["Acme_Internal*"]\ngroups = { web = ["ACME.Web_*"] }\n'
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("acme-internal-tools"),
            "packages/b": member_toml("acme_web_ui"),
            "packages/c": member_toml("acme-core"),
        },
        root=root_toml(extra=extra),
    )
    data = json.loads(_ok("plan", "--format", "json", cwd=tmp_path))
    assert [s["name"] for s in data["skipped"]] == ["acme-internal-tools"]
    assert data["skipped"][0]["reason"] == "excluded by [tool.releasekit] exclude 'Acme_Internal*'"
    web = json.loads(_ok("plan", "--format", "json", "-g", "web", cwd=tmp_path))
    assert [p["name"] for p in web["packages"]] == ["acme-web-ui"]
