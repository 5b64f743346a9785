"""The one CLI runner: ``python -m releasekit ARGS`` as a subprocess, the way a user runs it.

- :func:`rk` runs to completion with a given environment (by default this process's, which
  the ``uv_env`` fixture has made hermetic) and returns a :class:`Run`.
- :func:`start_rk` starts one in its own session, for tests that signal or kill it.
- :func:`run_cli` is :func:`rk` with :func:`offline_env`: uv never reaches an index, for
  commands that only read or write the workspace.
- :func:`index_flags`: the options that send a publish to a test's index.
- :func:`in_process`: ``releasekit.cli.main`` in this process, streams from ``capsys``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit.cli import main
from tests.harness.index import LocalIndex
from tests.harness.workspace import ROOT

VENV_BIN = Path(sys.executable).parent
COMMAND = (sys.executable, "-m", "releasekit")


@dataclass
class Run:
    """What a finished command left: its exit status and both streams."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return self.stderr.splitlines()

    @property
    def output(self) -> str:
        """Both streams, for an assertion message."""
        return self.stdout + self.stderr


def offline_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment with uv offline, this checkout importable and the venv's
    tools first on PATH; tables 100 columns wide unless ``extra`` sets COLUMNS."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["UV_OFFLINE"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env.pop("RELEASEKIT_UV", None)
    env.pop("COLUMNS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def rk(cwd: Path, *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 240) -> Run:
    """``python -m releasekit ARGS`` in ``cwd`` with ``env`` (whole; default os.environ)."""
    proc = subprocess.run([*COMMAND, *map(str, args)], cwd=cwd, env=dict(env or os.environ),
                          capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_cli(*args: str | Path, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60) -> Run:
    """:func:`rk` offline; ``env`` adds to :func:`offline_env`."""
    return rk(cwd, *args, env=offline_env(env), timeout=timeout)


def start_rk(cwd: Path, *args: str | Path, env: Mapping[str, str] | None = None,
             out_dir: Path | None = None) -> subprocess.Popen[str]:
    """Start ``python -m releasekit ARGS`` in its own session (its pid is its process group).

    With ``out_dir``, stdout and stderr go to files there (never a pipe nobody reads: a
    killed run's orphans must not be able to block on it); otherwise to pipes.
    """
    argv = [*COMMAND, *map(str, args)]
    environ = dict(env or os.environ)
    if out_dir is None:
        return subprocess.Popen(argv, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=environ, start_new_session=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "stdout", "w") as out, open(out_dir / "stderr", "w") as err:
        return subprocess.Popen(argv, cwd=cwd, text=True, stdout=out, stderr=err, env=environ,
                                start_new_session=True)


def index_flags(index: LocalIndex, *, json_api: bool = True, poll_timeout: float = 60,
                retry_base_delay: float = 0.2) -> list[str]:
    """The publish options that point releasekit at ``index`` and nowhere else (no fallback)."""
    return [
        "--publish-url", index.upload_url,
        "--check-url", index.simple_url,
        "--json-api-url", index.json_api_url if json_api else "",
        "--fallback-url", "",
        "--retry-base-delay", str(retry_base_delay),
        "--poll-timeout", str(poll_timeout),
    ]


def in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``releasekit.cli.main(argv)`` in this process (fast): exit code, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
