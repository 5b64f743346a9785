"""Run PEP 517 metadata hooks for workspace members inside an isolated build environment.

Started by :mod:`releasekit.model.pep517` as ``<env python> -I _hookrunner.py JOB.json``, so it uses
the standard library only. The job names the backend and the members; one process handles
several members to pay the interpreter's and the backend's start-up once. Each member's
hook output goes to its log file (file descriptors 1 and 2 are redirected, so the
backend's own subprocesses land there too) and its result to its own JSON file, written
atomically: nothing the hooks print can corrupt a result.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Iterator
from typing import Any

PREPARE = "prepare_metadata_for_build_wheel"
BUILD = "build_wheel"
GET_REQUIRES = "get_requires_for_build_wheel"


class HookTimeout(Exception):
    pass


def main(job_path: str) -> int:
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    backends: dict[str, Any] = {}
    for member in job["members"]:
        result = run_member(job, member, backends)
        write_json(member["result"], result)
    return 0


def run_member(job: dict[str, Any], member: dict[str, Any], backends: dict[str, Any]) -> dict[str, Any]:
    saved = (os.getcwd(), list(sys.path), list(sys.argv), dict(os.environ), set(sys.modules))
    hook = "import"
    with redirected(member["log"]):
        try:
            os.chdir(member["dir"])
            with deadline(float(job["timeout"])):
                backend = backends.get(job["backend"])
                if backend is None:
                    backend = backends[job["backend"]] = load_backend(job["backend"], job["backend_path"])
                hook = GET_REQUIRES
                requires = list(getattr(backend, GET_REQUIRES, lambda: [])())
                missing = sorted(set(requires) - set(job["installed"]))
                if missing:
                    return {"status": "needs", "hook": hook, "requires": missing}
                hook = PREPARE if hasattr(backend, PREPARE) else BUILD
                metadata = compute_metadata(backend, hook, job["scratch"])
            return {"status": "ok", "hook": hook, "metadata": metadata}
        except (Exception, SystemExit) as exc:  # SystemExit: a setup.py that calls sys.exit()
            traceback.print_exc()
            return {"status": "error", "hook": hook, "error": describe(exc)}
        finally:
            restore(member["dir"], saved)


def load_backend(spec: str, backend_path: list[str]) -> Any:
    """The object ``module:attr.attr`` names; ``backend-path`` entries (in-tree backends) go first."""
    sys.path[:0] = [os.path.abspath(p) for p in backend_path]
    module_name, _, attributes = spec.partition(":")
    backend: Any = importlib.import_module(module_name)
    for attribute in filter(None, attributes.split(".")):
        backend = getattr(backend, attribute)
    return backend


def compute_metadata(backend: Any, hook: str, scratch: str) -> str:
    """The METADATA text: from ``prepare_metadata_for_build_wheel``, else from a built wheel."""
    os.makedirs(scratch, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="hook-", dir=scratch)
    try:
        if hook == PREPARE:
            dist_info = getattr(backend, PREPARE)(directory)
            with open(os.path.join(directory, dist_info, "METADATA"), encoding="utf-8") as handle:
                return handle.read()
        wheel = getattr(backend, BUILD)(directory)
        with zipfile.ZipFile(os.path.join(directory, wheel)) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if not names:
                raise RuntimeError(f"the wheel {wheel} has no .dist-info/METADATA")
            return archive.read(names[0]).decode("utf-8")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def describe(exc: BaseException) -> str:
    """The exception's type and its first line: where backends say what is wrong."""
    if isinstance(exc, SystemExit):
        return f"the backend exited (sys.exit({exc.code!r}))"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


@contextlib.contextmanager
def redirected(log_path: str) -> Iterator[None]:
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in (fd, *saved):
            os.close(descriptor)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt a hook that runs longer than ``seconds`` (Python code only; the parent has a backstop)."""

    def expire(signum: int, frame: Any) -> None:
        raise HookTimeout(f"the hook did not finish within {seconds:g} s")

    if not hasattr(signal, "setitimer"):  # Windows: only the parent's backstop applies
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def restore(member_dir: str, saved: tuple[str, list[str], list[str], dict[str, str], set[str]]) -> None:
    """Undo what one member's hooks changed, so the next member starts clean.

    Modules loaded from the member's own tree (``hatch_build.py``, ``setup.py``'s imports)
    are dropped; the backend and its plugins, loaded from the environment, stay loaded.
    """
    cwd, path, argv, environ, modules = saved
    root = os.path.realpath(member_dir) + os.sep
    for name in set(sys.modules) - modules:
        location = getattr(sys.modules[name], "__file__", None)
        # A relative location is relative to the member (a setup.py that put "src" on sys.path).
        if isinstance(location, str) and os.path.realpath(os.path.join(member_dir, location)).startswith(root):
            del sys.modules[name]
    sys.path_importer_cache.clear()  # finders of relative sys.path entries point into this member
    os.chdir(cwd)
    sys.path[:] = path
    sys.argv[:] = argv
    os.environ.clear()
    os.environ.update(environ)


def write_json(path: str, value: dict[str, Any]) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
