"""The staged gate: every package is built, installed with its exact pins from a throwaway
index on 127.0.0.1 and imported before the first byte goes to the target index.

A corpus of wheels that build and upload fine but do not work, each stopped by the gate with
nothing at all on the target index, every file restored, and a message that starts with the
cause. Real uv, a real index (pypiserver) as the target, real git.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.cli import index_flags, rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import last_run, statuses
from tests.harness.tree import workspace_files
from tests.harness.workspace import commit_all, write_package, write_root

pytestmark = pytest.mark.slow

DEEP = "[tool.releasekit.smoke]\nimport_all = true"

#: member -> (what makes it broken, what its failure message starts with or contains)
BROKEN = {
    "b-missing-sibling": "ImportError: cannot import name 'extras' from 'b_missing_sibling'",
    "b-undeclared": "ModuleNotFoundError: No module named 'packaging'",
    "b-syntax": "SyntaxError",
    "b-conflict": "No solution found",
    "b-wrong-import": "ModuleNotFoundError: No module named 'not_what_it_ships'",
}


def _broken_workspace(root: Path) -> None:
    write_root(root, sources=("core",))
    write_package(root, "packages/core", "core", version="1.0.0", module_text='VALUE = 1\n')
    write_package(root, "packages/app", "app", version="1.0.0", deps=["core>=1"],
                  module_text="import core\n")
    # A module imports a sibling folder the build leaves out (hatch only-include): deep import.
    write_package(
        root, "packages/missing", "b-missing-sibling", deps=["core>=1"],
        module_text="", files={
            "src/b_missing_sibling/helpers.py": "from b_missing_sibling import extras\n",
            "src/b_missing_sibling/extras/__init__.py": "X = 1\n",
        },
        extra_toml='[tool.hatch.build.targets.wheel]\nonly-include = ["src/b_missing_sibling/__init__.py", '
        '"src/b_missing_sibling/helpers.py", "src/b_missing_sibling/py.typed"]\nsources = ["src"]\n\n' + DEEP,
    )
    # A module imports a library the package does not declare.
    write_package(root, "packages/undeclared", "b-undeclared", module_text="import packaging.version\n")
    # A submodule does not even compile: only a deep import reaches it.
    write_package(root, "packages/syntax", "b-syntax", module_text="",
                  files={"src/b_syntax/broken.py": "def f(:\n"}, extra_toml=DEEP)
    # Exact pins that no environment satisfies together.
    write_package(root, "packages/conflict", "b-conflict", deps=["core==1.0.0", "packaging<20", "packaging>=21"])
    # The configured import name is not what the wheel installs.
    write_package(root, "packages/wrong", "b-wrong-import",
                  extra_toml='[tool.releasekit.smoke]\nimports = ["not_what_it_ships"]')
    commit_all(root, "feat: a workspace whose wheels build but do not work")


def test_the_gate_stops_every_broken_wheel_before_anything_is_uploaded(
    tmp_path: Path, local_index: LocalIndex, uv_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    _broken_workspace(root)
    before = workspace_files(root)
    run = rk(root, "publish", "-j", "4", "--format", "json", *index_flags(local_index))
    assert run.returncode == 1, run.stderr
    results = {p["name"]: p for p in last_run(root)["packages"]}
    for name, cause in BROKEN.items():
        assert (results[name]["status"], results[name]["stage"]) == ("failed", "trial"), results[name]
        assert cause in results[name]["message"].split("(hint:")[0], results[name]
    # A trial failure's cause comes first, not the command line it ran.
    assert results["b-undeclared"]["message"].startswith("error[RK614] ModuleNotFoundError")
    for name in ("core", "app"):
        assert results[name]["status"] == "blocked", results[name]
        assert "staged gate" in results[name]["message"], results[name]
    # Nothing at all went to the target index, and every file is as it was.
    assert not [f for f in local_index.files() if f.split("-")[0] in {"core", "app"} or f.startswith("b_")]
    assert not local_index.requests_for("POST")
    assert workspace_files(root) == before
    # The whole output of each failure is in the run's log, named in the hint.
    log = Path(results["b-syntax"]["message"].rsplit("tracebacks are in ", 1)[1].rstrip(")"))
    assert "SyntaxError" in log.read_text()
    # NDJSON on stdout: the gate never ran (blocked), and no server wrote to the terminal.
    events = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert events[-1]["ok"] is False
    assert "Task queue depth" not in run.stderr


def test_a_working_release_passes_the_gate_then_uploads_in_order(
    example_ws: Path, local_index: LocalIndex, uv_env: dict[str, str]
) -> None:
    commit_all(example_ws, "example")
    done = rk(example_ws, "publish", "-j", "4", *index_flags(local_index))
    assert done.returncode == 0, done.stderr
    assert set(statuses(example_ws).values()) == {"published"}
    events = [json.loads(line) for line in
              next((example_ws / ".releasekit" / "runs").glob("*/events.ndjson")).read_text().splitlines()]
    trials = [e["t"] for e in events if e["stage"] == "trial" and e["event"] == "done"]
    uploads = [e["t"] for e in events if e["stage"] == "upload" and e["event"] == "start"]
    assert len(trials) == 6 and len(uploads) == 6
    assert max(trials) <= min(uploads)  # nothing irreversible before everything is proven
    imported = {e["package"]: e["modules"] for e in events if e.get("step") == "import"}
    assert imported["acme-core"] == ["acme_core"]
    # The rerun finds every version released on the index: nothing is built, staged or tried.
    again = rk(example_ws, "publish", "-j", "4", *index_flags(local_index))
    assert again.returncode == 0, again.stderr
    assert set(statuses(example_ws).values()) == {"already-published"}
    assert len(list((example_ws / ".releasekit" / "runs").glob("*/events.ndjson"))) == 1
