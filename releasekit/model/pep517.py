"""Isolated PEP 517 build environments, and asking a backend for a member's metadata in one.

What `uv build` does up to the point where it would build: an environment per distinct
``build-system.requires`` and interpreter (created by uv, from uv's configured index),
``get_requires_for_build_wheel``'s answer installed too, then the backend's
``prepare_metadata_for_build_wheel`` (or ``build_wheel`` when it lacks that optional hook).
The hooks run in :mod:`releasekit.model._hookrunner`, several members per process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from releasekit.backends.process import run
from releasekit.backends.protocols import UvBackend
from releasekit.backends.uv import venv_python
from releasekit.errors import CommandError
from releasekit.model.versionsource import LEGACY_BACKEND
from releasekit.support.fsutil import atomic_write_json, read_json

RUNNER = Path(__file__).with_name("_hookrunner.py")
#: What pip and uv install when a project has no [build-system] (or no `requires`).
DEFAULT_REQUIRES = ("setuptools>=40.8.0",)
ENV_META = "releasekit-env.json"
#: Installing build requirements may compile or download a lot: a limit apart from the hooks'.
INSTALL_TIMEOUT = 900.0


@dataclass(frozen=True)
class BuildSystem:
    """A member's ``[build-system]`` table with PEP 517's defaults applied."""

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()

    @classmethod
    def of(cls, table: Mapping[str, Any]) -> BuildSystem:
        raw = table.get("requires")
        requires = tuple(r for r in raw if isinstance(r, str)) if isinstance(raw, list) else DEFAULT_REQUIRES
        backend = table.get("build-backend")
        paths = table.get("backend-path")
        return cls(
            requires=requires,
            backend=backend if isinstance(backend, str) and backend else LEGACY_BACKEND,
            backend_path=tuple(p for p in paths if isinstance(p, str)) if isinstance(paths, list) else (),
        )

    def env_id(self, python: str) -> str:
        """The environment this build system shares with every member that needs the same things."""
        key = json.dumps({"requires": sorted(self.requires), "python": python})
        return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class BuildEnv:
    path: Path
    #: Requirements that ``get_requires_for_build_wheel`` asked for and that are installed.
    installed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def python(self) -> Path:
        return venv_python(self.path)


@dataclass(frozen=True)
class HookJob:
    name: str
    directory: Path
    log: Path


@dataclass(frozen=True)
class HookResult:
    status: Literal["ok", "error", "needs"]
    hook: str
    metadata: str = ""
    error: str = ""
    requires: tuple[str, ...] = ()


def ensure_env(envs_dir: Path, system: BuildSystem, python: str, *, uv: UvBackend) -> BuildEnv:
    """The environment for ``system``, created once and reused across runs.

    Created in place (console scripts carry their interpreter's absolute path, so a venv
    cannot be moved) with its ``releasekit-env.json`` written last: an environment a killed
    run left without it is removed and made again, never used. Raises :class:`CommandError`
    when uv cannot create it or install the requirements.
    """
    final = envs_dir / system.env_id(python)
    existing = _load_env(final)
    if existing is not None:
        return existing
    with _creating(envs_dir, final.name):
        existing = _load_env(final)  # another run may have made it while this one waited
        if existing is not None:
            return existing
        shutil.rmtree(final, ignore_errors=True)
        try:
            uv.venv(final, python)
            if system.requires:
                uv.install_requirements(venv_python(final), system.requires, timeout=INSTALL_TIMEOUT)
            meta = {"requires": sorted(system.requires), "python": python, "installed": []}
            atomic_write_json(final / ENV_META, meta)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
    return BuildEnv(final)


@contextlib.contextmanager
def _creating(envs_dir: Path, env_id: str) -> Iterator[None]:
    """One run at a time creates a given environment; the others wait for it (POSIX)."""
    envs_dir.mkdir(parents=True, exist_ok=True)
    with open(envs_dir / f".{env_id}.lock", "a+b") as handle:
        if os.name == "posix":
            import fcntl  # lazy: posix only, Windows has no fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released by the OS if this process dies
        yield


def _load_env(path: Path) -> BuildEnv | None:
    try:
        meta = read_json(path / ENV_META)
    except (OSError, ValueError):
        return None
    if not venv_python(path).exists() or not isinstance(meta, dict):
        return None
    return BuildEnv(path, set(meta.get("installed", [])))


def _remove_abandoned(directory: Path, prefix: str) -> None:
    """Scratch directories (``<prefix><...>-<pid>-<random>``) of runs that died before cleaning up."""
    for entry in directory.iterdir():
        if not entry.name.startswith(prefix):
            continue
        try:
            pid = int(entry.name.split("-")[-2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            continue


def install_more(env: BuildEnv, requires: Sequence[str], *, uv: UvBackend) -> None:
    """Add what ``get_requires_for_build_wheel`` asked for; remembered in the environment."""
    with env.lock:
        wanted = sorted(set(requires) - env.installed)
        if not wanted:
            return
        uv.install_requirements(env.python, wanted, timeout=INSTALL_TIMEOUT)
        env.installed.update(wanted)
        meta = read_json(env.path / ENV_META)
        meta["installed"] = sorted(env.installed)
        atomic_write_json(env.path / ENV_META, meta)


def run_hooks(
    env: BuildEnv, system: BuildSystem, jobs: Sequence[HookJob], *, work_dir: Path, timeout: float
) -> dict[str, HookResult]:
    """One runner process for ``jobs`` (another for the rest if one member kills it)."""
    results: dict[str, HookResult] = {}
    pending = list(jobs)
    work_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(work_dir, "batch-")
    while pending:
        batch = Path(tempfile.mkdtemp(prefix=f"batch-{os.getpid()}-", dir=work_dir))
        try:
            done, died = _run_batch(env, system, pending, batch, timeout)
        finally:
            shutil.rmtree(batch, ignore_errors=True)
        results.update(done)
        rest = [job for job in pending if job.name not in done]
        if not rest:
            break
        culprit, pending = rest[0], rest[1:]  # the member the process was working on
        results[culprit.name] = _died(culprit, *died)
    return results


def _run_batch(
    env: BuildEnv, system: BuildSystem, jobs: Sequence[HookJob], batch: Path, timeout: float
) -> tuple[dict[str, HookResult], tuple[str, str]]:
    members = [
        {"name": job.name, "dir": str(job.directory), "log": str(job.log), "result": str(batch / f"{i}.json")}
        for i, job in enumerate(jobs)
    ]
    for job in jobs:
        job.log.parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "backend": system.backend,
        "backend_path": [str(jobs[0].directory / p) for p in system.backend_path],
        "installed": sorted(env.installed),
        "scratch": str(batch / "scratch"),
        "timeout": timeout,
        "members": members,
    }
    job_file = batch / "job.json"
    job_file.write_text(json.dumps(spec), encoding="utf-8")
    argv = [str(env.python), "-I", str(RUNNER), str(job_file)]
    try:
        # As every PEP 517 frontend does: the environment's scripts first on PATH (uv_build runs one).
        path = os.pathsep.join([str(env.python.parent), os.environ.get("PATH", os.defpath)])
        outcome = run(argv, cwd=batch, env={"PATH": path}, check=False, timeout=timeout * len(jobs) + 60)
        died = (f"exit code {outcome.returncode}", outcome.output)
    except CommandError as exc:  # the backstop timeout, or the interpreter is missing
        died = (exc.message.split("\n", 1)[0][:200], exc.output)
    done: dict[str, HookResult] = {}
    for job, member in zip(jobs, members, strict=True):
        try:
            raw = read_json(Path(member["result"]))
        except (OSError, ValueError):
            break
        done[job.name] = HookResult(
            status=raw["status"],
            hook=raw.get("hook", ""),
            metadata=raw.get("metadata", ""),
            error=raw.get("error", ""),
            requires=tuple(raw.get("requires", ())),
        )
    return done, died


def _died(job: HookJob, status: str, output: str) -> HookResult:
    """The result of the member whose hook ended the process (os._exit, a crash, the backstop)."""
    try:
        logged = job.log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        logged = ""
    with contextlib.suppress(OSError), open(job.log, "a", encoding="utf-8") as log:
        log.write(f"\n--- the hook process ended ({status})\n{output}\n")
    detail = meaningful_line(output) or meaningful_line(logged) or "the hook process ended without an answer"
    return HookResult("error", "", error=f"{detail} ({status})")


def meaningful_line(output: str) -> str:
    """The line of a tool's output that says what went wrong (uv's cause, an error, a traceback's end)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        for marker in ("╰─▶", "cause:"):  # uv's root cause, on a terminal and off it
            if line.startswith(marker):
                return line.removeprefix(marker).strip()
    for line in reversed(lines):
        if line.lower().startswith(("error:", "error ")) or (":" in line and line.split(":", 1)[0].endswith("Error")):
            return line
    return lines[-1] if lines else ""
