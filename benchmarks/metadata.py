"""What asking the build backends for metadata costs: cold, warm, and per member.

Not a timed test: prints figures. Synthetic workspaces have N hatchling members whose
version lives in ``<pkg>/__about__.py`` (hatch ``path``); uv installs hatchling from the
wheelhouse (``UV_FIND_LINKS``, no index), so nothing leaves the machine. ``--real DIR``
measures a copy of a real workspace instead, with uv configured as the user has it.

    python -m benchmarks.metadata --members 20 80
    python -m benchmarks.metadata --real /tmp/real/livekit+agents
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from releasekit.model import backendmeta
from releasekit.model.backendmeta import backend_metadata
from releasekit.model.metaresult import BuiltMetadata
from releasekit.model.pep517 import BuildEnv
from releasekit.model.workspace import Package, Workspace, load_workspace

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(os.environ.get("RELEASEKIT_WHEELHOUSE") or ROOT / ".cache" / "wheelhouse")


def synthetic(base: Path, count: int) -> Workspace:
    base.mkdir(parents=True)
    (base / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    for i in range(count):
        name = f"bench-member-{i:03d}"
        module = name.replace("-", "_")
        directory = base / "packages" / name
        (directory / module).mkdir(parents=True)
        (directory / module / "__init__.py").write_text("from .__about__ import __version__\n")
        (directory / module / "__about__.py").write_text(f'__version__ = "1.{i}.0"\n')
        (directory / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\ndynamic = ["version"]\ndependencies = ["bench-member-000"]\n'
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            f'[tool.hatch.version]\npath = "{module}/__about__.py"\n'
        )
    return load_workspace(base)


def timed(label: str, call: Callable[[], dict[str, object]], members: int) -> float:
    started = time.perf_counter()
    found = call()
    seconds = time.perf_counter() - started
    failed = [n for n, v in found.items() if not isinstance(v, BuiltMetadata)]
    per = seconds / members * 1000
    print(f"  {label:<44} {seconds:7.2f} s  {per:7.1f} ms/member" + (f"  FAILED {failed[:3]}" if failed else ""))
    return seconds


def measure(ws: Workspace, packages: Sequence[Package], jobs: Sequence[int]) -> None:
    state = ws.state_dir
    dirs = [p.path for p in ws.packages]

    def call(j: int) -> Callable[[], dict[str, object]]:
        return lambda: dict(backend_metadata(packages, root=ws.root, state_dir=state, member_dirs=dirs, jobs=j))

    n = len(packages)
    print(f"{n} members ({ws.root})")
    timed("cold: no env, no cache (jobs=1)", call(1), n)
    timed("warm: everything cached", call(1), n)
    for j in jobs:
        clear_cache(state)
        timed(f"hooks only: env kept, cache cleared (jobs={j})", call(j), n)
    clear_cache(state)
    with one_process_per_member():
        timed("hooks only, one process per member (jobs=1)", call(1), n)


def clear_cache(state: Path) -> None:
    for entry in (state / "metadata").glob("*.json"):
        entry.unlink()


@contextlib.contextmanager
def one_process_per_member() -> Iterator[None]:
    """Batches of one member: what batching saves."""
    real = backendmeta._batches

    def single(env: BuildEnv, members: Sequence[Package], jobs: int) -> Iterator[backendmeta._Batch]:
        for batch in real(env, members, 1):
            for pkg in batch.members:
                yield backendmeta._Batch(batch.env, batch.system, (pkg,))

    backendmeta._batches = single
    try:
        yield
    finally:
        backendmeta._batches = real


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, nargs="*", default=[20, 80])
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--real", type=Path)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="rk-metadata-bench-"))
    try:
        if args.real:
            copy = scratch / args.real.name
            shutil.copytree(args.real, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__"))
            ws = load_workspace(copy)
            dynamic = [p for p in ws.packages if {"version", "dependencies"} & set(p.dynamic)]
            measure(ws, dynamic, args.jobs)
            return
        os.environ.update({"UV_NO_INDEX": "1", "UV_FIND_LINKS": str(WHEELHOUSE),
                           "UV_CACHE_DIR": str(scratch / "uv-cache")})
        for count in args.members:
            ws = synthetic(scratch / f"ws{count}", count)
            measure(ws, ws.packages, args.jobs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
