"""A GitHub Actions runner for the jobs of ci/releasekit-uv.yml, as far as they need one.

For one job it does what a hosted runner does: a fresh, empty workspace; ``actions/checkout@v4``
with the step's ``ref`` and ``fetch-depth`` (depth 1 and no tags unless told, like the real
action); the ``GITHUB_*`` variables; each step's ``env:`` with its ``${{ }}`` expressions
evaluated against ``inputs``, ``secrets``, ``needs``, ``github`` and ``steps``; and the ``run:``
script executed by bash (``-eo pipefail``, as the runner does) in ``working-directory``. Step
outputs come back through ``$GITHUB_OUTPUT`` and become the job's ``outputs``.

Tool installation (``astral-sh/setup-uv``, ``uv tool install releasekit``) is stood in for by
what is installed here: ``uv`` and a ``releasekit`` on PATH that runs this checkout's code.
``if:`` conditions are not evaluated: the caller runs the jobs the event would run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.harness import gitrepo

EXPRESSION = re.compile(r"\$\{\{\s*(?P<expr>.*?)\s*\}\}")
_SHA = re.compile(r"^[0-9a-f]{40}$")
BASH = shutil.which("bash")


def evaluate(expr: str, context: Mapping[str, Any]) -> Any:
    """The expression forms the template uses: context paths, 'literals', ||, && and ==."""
    expr = expr.strip()
    for op in ("||", "&&"):
        if op in expr:
            values = [evaluate(part, context) for part in expr.split(op)]
            if op == "||":
                return next((v for v in values if v), values[-1])
            return next((v for v in values if not v), values[-1])
    for op in ("!=", "=="):
        if op in expr:
            left, right = (evaluate(part, context) for part in expr.split(op, 1))
            return (left == right) if op == "==" else (left != right)
    if expr.startswith("'") and expr.endswith("'"):
        return expr[1:-1]
    if expr in ("true", "false"):
        return expr == "true"
    value: Any = context
    for part in expr.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def text(value: Any) -> str:
    """How an expression's value lands in a string: booleans lower-case, null empty."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def substitute(template: str, context: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: text(evaluate(m.group("expr"), context)), template)


@dataclass(frozen=True)
class Event:
    """What triggered the run: ``github.event_name``, ``github.ref``/``sha``, dispatch inputs."""

    name: str
    sha: str
    ref: str = "refs/heads/main"
    inputs: Mapping[str, Any] = field(default_factory=dict)
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class JobRun:
    job: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    workspace: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dispatch_inputs(workflow: Mapping[str, Any], **chosen: Any) -> dict[str, Any]:
    """``workflow_dispatch`` inputs: the template's defaults, then ``chosen``."""
    on = workflow.get("on", workflow.get(True))
    declared = on["workflow_dispatch"]["inputs"]
    return {**{k: v.get("default", "") for k, v in declared.items()}, **chosen}


def checkout(origin: str, dest: Path, *, ref: str, depth: int, event: Event, env: Mapping[str, str]) -> None:
    """``actions/checkout@v4``: one ref, ``depth`` commits (0 = every branch and tag)."""
    def git(*args: str) -> None:
        gitrepo.git(dest, *args, env=env, inherit=False)

    dest.mkdir(parents=True)
    git("init", "-q")
    git("remote", "add", "origin", origin)
    wanted = ref or event.sha
    branch = None if _SHA.match(ref) else (ref or event.ref).removeprefix("refs/heads/")
    if depth == 0:
        git("fetch", "-q", "--prune", "--no-recurse-submodules", "origin",
            "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
    else:
        source = wanted if _SHA.match(wanted) else f"refs/heads/{branch}"
        local = f"refs/remotes/origin/{branch}" if branch else "refs/remotes/origin/checkout"
        git("-c", "protocol.version=2", "fetch", "-q", "--no-tags", "--prune", "--no-recurse-submodules",
            f"--depth={depth}", "origin", f"+{source}:{local}")
    if branch is None:
        git("checkout", "-q", "--force", wanted)
    else:
        start = wanted if _SHA.match(wanted) else f"refs/remotes/origin/{branch}"
        git("checkout", "-q", "--force", "-B", branch, start)


class Runner:
    """Runs jobs of one workflow file against a ``file://`` origin, one fresh workspace each."""

    def __init__(self, workflow_file: Path, *, origin: str, root: Path, secrets: Mapping[str, str],
                 environ: Mapping[str, str], repository: str) -> None:
        self.workflow: dict[str, Any] = yaml.safe_load(workflow_file.read_text(encoding="utf-8"))
        self.origin = origin
        self.root = root
        self.secrets = dict(secrets)
        self.environ = dict(environ)
        self.repository = repository
        self.runs: list[JobRun] = []
        self.bindir = root / "runner-bin"
        self.bindir.mkdir(parents=True, exist_ok=True)
        shim = self.bindir / "releasekit"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m releasekit "$@"\n', encoding="utf-8")
        shim.chmod(0o755)

    def run(self, job: str, event: Event, needs: Mapping[str, JobRun] | None = None) -> JobRun:
        assert BASH is not None, "the runner needs bash"
        spec = self.workflow["jobs"][job]
        workspace = self.root / f"{len(self.runs):02d}-{job}"
        temp = self.root / f"{len(self.runs):02d}-{job}-tmp"
        temp.mkdir(parents=True)
        declared = self.workflow.get("on", self.workflow.get(True))["workflow_dispatch"]["inputs"]
        inputs = {k: event.inputs.get(k) for k in declared} if event.name == "workflow_dispatch" else {}
        context: dict[str, Any] = {
            "inputs": inputs,
            "secrets": self.secrets,
            "needs": {n: {"outputs": r.outputs, "result": "success" if r.ok else "failure"}
                      for n, r in (needs or {}).items()},
            "github": {"event_name": event.name, "ref": event.ref, "sha": event.sha,
                       "repository": self.repository, "event": dict(event.payload)},
            "steps": {},
        }
        top_env = {k: substitute(str(v), context) for k, v in self.workflow.get("env", {}).items()}
        context["env"] = top_env
        base = {
            **self.environ,
            "PATH": f"{self.bindir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{self.environ.get('PATH', '')}",
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_JOB": job, "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_REPOSITORY": self.repository, "GITHUB_EVENT_NAME": event.name, "GITHUB_SHA": event.sha,
            "GITHUB_REF": event.ref, "RUNNER_TEMP": str(temp), **top_env,
        }
        result = JobRun(job, 0, "", "", {}, workspace)
        for index, step in enumerate(spec["steps"]):
            uses = str(step.get("uses", ""))
            if uses.startswith("actions/checkout@"):
                options = {k: substitute(str(v), context) for k, v in (step.get("with") or {}).items()}
                checkout(self.origin, workspace, ref=options.get("ref", ""),
                         depth=int(options.get("fetch-depth", "1") or 1), event=event, env=base)
                continue
            run = step.get("run")
            if not run or uses or "uv tool install" in run:
                continue  # tool set-up: already installed here
            output = temp / f"output-{index}"
            output.touch()
            env = {**base, "GITHUB_OUTPUT": str(output),
                   **{k: substitute(str(v), context) for k, v in (step.get("env") or {}).items()}}
            cwd = workspace / substitute(str(step.get("working-directory", ".")), context)
            proc = subprocess.run([BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", run], cwd=cwd,
                                  env=env, capture_output=True, text=True, timeout=600, check=False)
            result.stdout += proc.stdout
            result.stderr += proc.stderr
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": _outputs(output)}
            if proc.returncode != 0:
                result.returncode = proc.returncode
                break
        result.outputs = {k: substitute(str(v), context) for k, v in (spec.get("outputs") or {}).items()}
        self.runs.append(result)
        return result


def _outputs(path: Path) -> dict[str, str]:
    """``key=value`` lines a step appended to ``$GITHUB_OUTPUT``."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key] = value
    return found
