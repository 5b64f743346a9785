"""Three real publish runs of the example workspace whose directories the report tests draw.

Real uv, a real local index, the real command line, in this order on one workspace:
- **finished**: everything built, proven on the staging index, uploaded, verified (exit 0);
- **failed**: ``acme-http`` now imports a module that does not exist; to a second, empty index
  (on the first, every version is released and would be skipped); its trial fails and the
  staged gate stops the release (exit 1): the others are blocked, nothing uploaded;
- **interrupted**: the break reverted, to a third, empty index; SIGINT as soon as the
  first trial passed: the run drains and exits 130 with a cancelled summary.
The index's upload password is a canary secret: it must never appear in any report.
Each run appends to its own ``GITHUB_STEP_SUMMARY`` file.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.cli import rk, start_rk
from tests.harness.gitrepo import GitRepo, init_repo
from tests.harness.index import LocalIndex
from tests.harness.uvenv import SCRUBBED, hermetic_uv_env
from tests.harness.workspace import copy_example_workspace

ROOT = Path(__file__).resolve().parent.parent
CANARY = "rkcanary-REPORT-pw-7d3e91b4"
BROKEN = "packages/http/src/acme_http/__init__.py"
DROPPED = ("GITHUB_TOKEN", "GH_TOKEN", "RELEASEKIT_GITHUB_TOKEN", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT",
           "GITHUB_ACTIONS", "CI")


@dataclass
class Runs:
    ws: Path
    dirs: dict[str, Path] = field(default_factory=dict)  # finished | failed | interrupted -> run directory
    codes: dict[str, int] = field(default_factory=dict)
    summaries: dict[str, Path] = field(default_factory=dict)  # each run's GITHUB_STEP_SUMMARY
    stdout: dict[str, str] = field(default_factory=dict)


def _flags(index: LocalIndex) -> list[str]:
    return ["--publish-url", index.upload_url, "--check-url", index.simple_url, "--json-api-url",
            index.json_api_url, "--fallback-url", "", "--retry-base-delay", "0.2", "--poll-timeout", "30", "-j", "2"]


def _commit(ws: Path, message: str) -> None:
    GitRepo(ws).commit_all(message)


def _newest_run(ws: Path, before: set[Path]) -> Path:
    runs = [p for p in (ws / ".releasekit" / "runs").iterdir() if p.is_dir() and p not in before]
    assert len(runs) == 1, runs
    return runs[0]


def _events(run_dir: Path) -> list[dict[str, object]]:
    try:
        text = (run_dir / "events.ndjson").read_text()
    except OSError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Maker:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.runs = Runs(ws=root / "ws")

    def _env(self, name: str) -> dict[str, str]:
        summary = self.root / f"step-summary-{name}.md"
        self.runs.summaries[name] = summary
        return {**self.env, "GITHUB_STEP_SUMMARY": str(summary)}

    def _existing(self) -> set[Path]:
        runs = self.runs.ws / ".releasekit" / "runs"
        return set(runs.iterdir()) if runs.is_dir() else set()

    def run(self, name: str, index: LocalIndex) -> None:
        before = self._existing()
        done = rk(self.runs.ws, "publish", *_flags(index), env=self._env(name), timeout=300)
        self.runs.codes[name], self.runs.stdout[name] = done.returncode, done.stdout + done.stderr
        self.runs.dirs[name] = _newest_run(self.runs.ws, before)

    def interrupt(self, name: str, index: LocalIndex) -> None:
        """SIGINT once the first trial has passed; the run drains and writes a cancelled summary."""
        before = self._existing()
        proc = start_rk(self.runs.ws, "publish", *_flags(index), env=self._env(name))
        deadline = time.monotonic() + 120
        run_dir = None
        while time.monotonic() < deadline and proc.poll() is None:
            current = self._existing() - before
            run_dir = next(iter(current), None)
            if run_dir and any(e.get("stage") == "trial" and e.get("event") == "done" for e in _events(run_dir)):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=180)
        self.runs.codes[name], self.runs.stdout[name] = proc.returncode, out + err
        self.runs.dirs[name] = _newest_run(self.runs.ws, before)


def make_runs(root: Path, wheelhouse: Path, uv_cache: Path, trap_url: str) -> Runs:
    """The three runs (about 30 s on two cores); ``os.environ`` must already be hermetic."""
    ws = copy_example_workspace(root / "ws")
    init_repo(ws, initial_commit=False)
    _commit(ws, "example")
    index = LocalIndex(root / "index" / "packages", seed_dirs=[wheelhouse], password=CANARY)
    other = LocalIndex(root / "other" / "packages", seed_dirs=[wheelhouse], password=CANARY)
    third = LocalIndex(root / "third" / "packages", seed_dirs=[wheelhouse], password=CANARY)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UV_") and k not in SCRUBBED + DROPPED}
        env.update(hermetic_uv_env(index, uv_cache, trap_url, root / "uv-home"))
        maker = Maker(root, env)
        maker.run("finished", index)
        module = ws / BROKEN
        original = module.read_text()
        module.write_text(original + "\nimport acme_http_missing_helper  # the wheel does not work\n")
        _commit(ws, "break acme-http")
        maker.env = {**env, **hermetic_uv_env(third, uv_cache, trap_url, root / "uv-home")}
        maker.run("failed", third)
        module.write_text(original)
        _commit(ws, "repair acme-http")
        maker.env = {**env, **hermetic_uv_env(other, uv_cache, trap_url, root / "uv-home")}
        maker.interrupt("interrupted", other)
        return maker.runs
    finally:
        index.stop()
        other.stop()
        third.stop()
