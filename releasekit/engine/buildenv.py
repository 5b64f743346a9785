"""Builds in one proven build environment per backend, instead of two fresh ones per package.

`uv build` makes two isolated environments per package (one for the sdist, one for the wheel
it builds from that sdist), installs the backend into each and imports it there, compiling its
bytecode again: about half of a small package's build time and CPU (docs/benchmarks.md). The
run's first build of each backend (its ``build-system.requires`` and interpreter) stays
isolated, as always; that worker then creates ``<run>/buildenvs/<id>`` with those
requirements, builds the same package again there (``--no-build-isolation``) and compares the
bytes of every file. Only an identical proof lets later packages of that backend build there;
a difference, a backend that needs more than its ``requires``, or an environment uv cannot make
keeps them isolated, with the reason in the run's events. A build that fails in the shared
environment is built again isolated: the environment can make a build faster, never fail one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from releasekit.backends.protocols import UvBackend
from releasekit.backends.uv import uv_backend
from releasekit.engine.events import emit
from releasekit.engine.taskdata import PackageData, SettingsData
from releasekit.errors import ReleasekitError
from releasekit.model.pep517 import BuildSystem, ensure_env
from releasekit.support.fsutil import atomic_write, atomic_write_json, read_json, sha256_file

PROVEN = "proven"
REFUSED = "refused"


def envs_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "buildenvs"


def discard(run_dir: str | Path) -> None:
    """At the end of a run: its environments are proven for that run only (a backend may be released meanwhile)."""
    shutil.rmtree(envs_dir(run_dir), ignore_errors=True)


def discard_abandoned(state_dir: str | Path) -> None:
    """Before a run, holding the workspace lock: environments of runs that were killed."""
    for run_dir in (Path(state_dir) / "runs").glob("*/"):
        discard(run_dir)


Build = Callable[[Path | None], list[Path]]


class Shared:
    """The run's shared build environment for one package's backend, as far as it is proven."""

    def __init__(self, run_dir: str, build_system: dict[str, Any], python: str) -> None:
        self.system = BuildSystem.of(build_system)
        #: The interpreter an isolated build of the package uses ("" = unknown: stay isolated).
        self.python = python
        self.directory = envs_dir(run_dir)
        self.id = self.system.env_id(self.python)
        #: In-tree backends (``backend-path``) live in the package: nothing to share.
        self.eligible = bool(build_system) and bool(python) and not self.system.backend_path

    @property
    def _status_file(self) -> Path:
        return self.directory / f"{self.id}.json"

    def proven_python(self) -> Path | None:
        """The interpreter of a proven environment, or None (not proven, or refused)."""
        if not self.eligible:
            return None
        try:
            status = read_json(self._status_file)
        except (OSError, ValueError):
            return None
        if not isinstance(status, dict) or status.get("status") != PROVEN:
            return None
        python = Path(str(status.get("python", "")))
        return python if python.exists() else None

    def claim(self) -> bool:
        """True for the one build that proves this environment (the first to ask)."""
        if not self.eligible:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(self.directory / f"{self.id}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        return True

    def prove(self, uv: UvBackend, isolated: list[Path], build: Build, scratch: Path) -> str:
        """Build again in the shared environment; record whether the bytes are the isolated ones'."""
        try:
            env = ensure_env(self.directory, self.system, self.python, uv=uv)
            shared = build(env.python)
            verdict = _compare(isolated, shared)
            status = {"status": PROVEN if not verdict else REFUSED, "why": verdict, "python": str(env.python)}
        except (ReleasekitError, OSError) as exc:
            status = {"status": REFUSED, "why": f"the shared build failed: {_first_line(exc)}", "python": ""}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        atomic_write_json(self._status_file, status)
        return str(status["why"]) or PROVEN


def build_in_env(package: PackageData, settings: SettingsData, pkg_dir: Path, out_dir: Path) -> list[Path]:
    """In the run's proven shared build environment when there is one, else isolated (and maybe prove one)."""
    uv, root = uv_backend(env=package.get("build_env") or {}), Path(settings["root"])
    events, name = settings.get("events_path", ""), package["name"]
    run_dir = settings["run_dir"]
    python_for_build = _build_python(uv, pkg_dir, package.get("requires_python"), run_dir)
    shared = Shared(run_dir, package.get("build_system", {}), python_for_build)
    python = shared.proven_python()
    if python is not None:
        try:
            return uv.build(pkg_dir, out_dir, cwd=root, python=python)
        except ReleasekitError as exc:
            detail = f"the shared build environment failed ({exc.one_line()[:200]}): building isolated"
            emit(events, name, "build", "step", step="isolated", detail=detail)
            shutil.rmtree(out_dir, ignore_errors=True)
    files = uv.build(pkg_dir, out_dir, cwd=root)
    if shared.claim():
        scratch = out_dir / "shared"
        verdict = shared.prove(uv, files, lambda env: uv.build(pkg_dir, scratch, cwd=root, python=env), scratch)
        emit(events, name, "build", "step", step="build env", detail=verdict)
    return files


def _build_python(uv: UvBackend, pkg_dir: Path, requires_python: str | None, run_dir: str) -> str:
    """The interpreter isolated builds of the package get: the shared environment must be on it.

    `uv python find` costs about a quarter of a shared build, so its answer is kept for the run,
    keyed by what it reads: UV_PYTHON, an active venv, requires-python, and every
    .python-version(s) file and .venv folder from the package up.
    """
    clues: list[str] = [os.environ.get("UV_PYTHON", ""), os.environ.get("VIRTUAL_ENV", ""), requires_python or ""]
    for folder in (pkg_dir.resolve(), *pkg_dir.resolve().parents):
        for name in (".python-version", ".python-versions", ".venv"):
            found = folder / name
            if found.is_file():
                clues.append(f"{found}={found.read_text(encoding='utf-8', errors='replace').strip()}")
            elif found.is_dir():
                clues.append(str(found))
    cached = envs_dir(run_dir) / f"python-{hashlib.sha256(json.dumps(clues).encode()).hexdigest()[:16]}.txt"
    with contextlib.suppress(OSError):
        return cached.read_text(encoding="utf-8").strip()
    try:
        python = uv.find_python(pkg_dir)
    except ReleasekitError:
        return ""
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cached, python.encode())
    return python


def _compare(isolated: list[Path], shared: list[Path]) -> str:
    """ "" when both builds made the same files with the same bytes, else what differs."""
    mine = {f.name: sha256_file(f) for f in isolated}
    theirs = {f.name: sha256_file(f) for f in shared}
    if mine.keys() != theirs.keys():
        return f"the shared build made {sorted(theirs)}, the isolated one {sorted(mine)}"
    differ = sorted(name for name in mine if mine[name] != theirs[name])
    return f"different bytes in {', '.join(differ)}" if differ else ""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
