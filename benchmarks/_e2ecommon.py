"""What the end-to-end benchmarks share (a helper: no ``run()``): the local index, uv's
environment, the warmed cache, git, the plain bash loop (and its ``xargs -P`` variant) and a
timed ``releasekit publish`` in a new process.

Every uv call goes to pypiserver on 127.0.0.1 (in this process, on an ephemeral port), which
also serves the wheelhouse (the build backends and a few third-party libraries), so no step
needs the network.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from benchmarks._peakrss import PeakSampler
from benchmarks._workspace import write_workspace
from releasekit.engine.localindex import serve_pypiserver

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WHEELHOUSE = Path(os.environ.get("RELEASEKIT_WHEELHOUSE") or ROOT / ".cache" / "wheelhouse")
USER, PASSWORD = "bench", "bench-password"


def quick_requested(argv: Sequence[str] | None = None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return "--quick" in args or os.environ.get("RELEASEKIT_BENCH_QUICK", "") not in ("", "0")


def require_wheelhouse() -> Path:
    if not any(WHEELHOUSE.glob("hatchling-*.whl")):
        raise RuntimeError(f"no hatchling wheel in {WHEELHOUSE}: run `doit wheelhouse` once (needs PyPI)")
    return WHEELHOUSE


Config = TypeVar("Config")


def run_saved(name: str, measure: Callable[[Config, Path], dict[str, Any]],
              render: Callable[[dict[str, Any]], str], config: Config) -> str:
    """Measure in a temporary directory, save the raw figures to ``results/<name>.json``, render."""
    with tempfile.TemporaryDirectory(prefix=f"rk-bench-{name}-") as tmp:
        data = measure(config, Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return render(data)


def timed_main(name: str, run: Callable[[], str]) -> None:
    """``python benchmarks/<name>.py``: print the section, then how long it took."""
    started = time.monotonic()
    print(run())
    print(f"({name} benchmark: {time.monotonic() - started:.0f} s)", file=sys.stderr)


def topological(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Dependencies first; ties in name order, so the shell loop's order is stable."""
    done: list[str] = []
    left = dict(deps)
    while left:
        ready = sorted(n for n, ds in left.items() if all(d in done for d in ds))
        if not ready:
            raise ValueError(f"cycle among {sorted(left)}")
        done.extend(ready)
        for n in ready:
            del left[n]
    return done


def cell(values: Sequence[float], fmt: str = ".2f") -> str:
    """``median [min-max]`` (just the value for one run, ``-`` for none)."""
    if not values:
        return "-"
    med = format(statistics.median(values), fmt)
    return med if len(values) == 1 else f"{med} [{format(min(values), fmt)}-{format(max(values), fmt)}]"


def stage_table(by: Mapping[str, Sequence[Mapping[str, Any]]], stages: Sequence[str]) -> list[str]:
    """Markdown rows: each stage's median seconds over packages and runs, per configuration."""
    lines = ["| stage | " + " | ".join(by) + " |", "|---|" + "---|" * len(by)]
    for stage in stages:
        cells = []
        for runs in by.values():
            values = [v for o in runs for v in o["stages"].get(stage, [])]
            cells.append(f"{statistics.median(values):.3f}" if values else "-")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return lines


# --- the local index -------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    url: str  # upload endpoint, ends with /
    packages: Path

    @property
    def simple(self) -> str:
        return self.url + "simple/"


@contextlib.contextmanager
def local_index(directory: Path, seed: Path) -> Iterator[Index]:
    """pypiserver on 127.0.0.1 with upload auth, holding the wheels of ``seed`` (the wheelhouse)."""
    from passlib.apache import HtpasswdFile

    packages = directory / "packages"
    packages.mkdir(parents=True)
    for wheel in seed.glob("*.whl"):
        shutil.copy2(wheel, packages)
    htpasswd = HtpasswdFile(str(directory / "htpasswd"), new=True)
    htpasswd.set_password(USER, PASSWORD)
    htpasswd.save()
    server = serve_pypiserver([packages], threads=8, name="bench-index", authenticate=["update"],
                              password_file=str(directory / "htpasswd"))
    try:
        yield Index(f"http://127.0.0.1:{server.port}/", packages)
    finally:
        server.stop()


def uv_env(index: Index, cache: Path) -> dict[str, str]:
    """The environment of every uv call: only the local index, a given cache, no downloads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(
        UV_CACHE_DIR=str(cache),
        UV_DEFAULT_INDEX=index.simple,
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        UV_PUBLISH_USERNAME=USER,
        UV_PUBLISH_PASSWORD=PASSWORD,
    )
    return env


def warm_cache(index: Index, cache: Path, scratch: Path) -> None:
    """Build a throwaway hatchling project once, so the cache holds the build backend."""
    from releasekit.backends.uv import uv_binary

    project = scratch / "warm"
    write_workspace(project, {"rkb-warm": ()})
    member = project / "packages" / "rkb-warm"
    subprocess.run(
        [uv_binary(), "build", "-q", "--no-sources", "--out-dir", str(scratch / "warm-dist"), str(member)],
        env=uv_env(index, cache),
        check=True,
        capture_output=True,
    )


def git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@127.0.0.1",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@127.0.0.1",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def init_repository(root: Path) -> Path:
    """The workspace as a clean git repository (publish's preflight wants one)."""
    (root / ".gitignore").write_text("dist/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "benchmark workspace")
    return root


# --- the configurations ----------------------------------------------------------------


@dataclass
class Outcome:
    """One configuration run: wall time, per-stage seconds, and what it cost the machine."""

    config: str
    wall: float
    ok: bool
    stages: dict[str, list[float]] = field(default_factory=dict)
    inner: float | None = None  # releasekit's own run time (execute()), without CLI start-up
    detail: str = ""
    cpu: float | None = None  # user+sys seconds of the child processes (getrusage)
    task_seconds: dict[str, float] = field(default_factory=dict)  # "stage:package" -> seconds
    peak_rss_mib: dict[str, float] = field(default_factory=dict)  # orchestrator / worker
    workers: int | None = None  # the worker count releasekit ran with (auto resolved)
    stage_cpu: dict[str, float] = field(default_factory=dict)  # stage -> CPU seconds over all packages


@dataclass(frozen=True)
class Entry:
    """One package of the loop: where it is, what to import, which names to refresh."""

    name: str
    path: Path
    module: str
    refresh: tuple[str, ...]

    def word(self) -> str:
        return f"{self.name}:{self.path}:{self.module}:{','.join(self.refresh)}"


LOOP = r"""
set -euo pipefail
stamp() { date +%s.%N; }
record() { echo "$1 $2 $3 $(stamp)" >> "$TIMES"; }
build() { "$UV" build -q --no-sources --out-dir "$DIST/$1" "$2"; }
if [ -n "${PARALLEL:-}" ]; then
  export -f build; export UV DIST
  s=$(stamp)
  printf '%s\n' $PACKAGES | cut -d: -f1,2 | tr : ' ' | xargs -P "$PARALLEL" -n 2 bash -c 'build "$@"' _
  record all builds "$s"
fi
for entry in $PACKAGES; do
  IFS=: read -r name path module refresh <<< "$entry"
  out="$DIST/$name"
  if [ -z "${PARALLEL:-}" ]; then s=$(stamp); build "$name" "$path"; record "$name" build "$s"; fi
  whl=$(cd "$out" && ls *.whl); sdist=$(cd "$out" && ls *.tar.gz)
  s=$(stamp)
  "$UV" publish -q --trusted-publishing never --publish-url "$PUBLISH" --check-url "$SIMPLE" \
    "$out/$whl" "$out/$sdist"
  record "$name" upload "$s"
  s=$(stamp)
  until page=$(curl -fsS "$SIMPLE$name/") && grep -q "$whl" <<< "$page" \
        && grep -q "$sdist" <<< "$page"; do sleep 0.1; done
  record "$name" poll "$s"
  s=$(stamp)
  for f in "$whl" "$sdist"; do
    sha=$(sha256sum "$out/$f" | cut -d' ' -f1)
    grep -q "$f#sha256=$sha" <<< "$page"
    [ "$(curl -fsS "${BASE}packages/$f" | sha256sum | cut -d' ' -f1)" = "$sha" ]
  done
  record "$name" verify "$s"
  s=$(stamp)
  venv="$SCRATCH/venv-$name"
  "$UV" venv -q --python "$PY" "$venv"
  "$UV" pip install -q --python "$venv/bin/python" --default-index "$SIMPLE" \
    $(for r in ${refresh//,/ }; do echo --refresh-package "$r"; done) "$name==$VERSION"
  "$venv/bin/python" -I -c "import $module"
  record "$name" smoke "$s"
done
"""


def children_cpu() -> float:
    """User+sys seconds of every child process waited for so far (grandchildren included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (Linux): releasekit's fork server
    outlives it by a moment, and its CPU (the workers', which it reaps) counts only if reaped here."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes  # lazy: Linux-only, for the benchmarks' CPU accounting

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_orphans(timeout: float = 10.0) -> None:
    """Wait for the orphans adopted from a finished configuration (see :func:`adopt_orphans`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child left
        if pid == 0:
            time.sleep(0.02)


def run_loop(
    entries: Sequence[Entry], version: str, *, index: Index, cache: Path, scratch: Path,
    label: str = "loop", parallel_builds: int = 0,
) -> Outcome:
    """The same uv commands as releasekit, in the given (topological) order, from a plain bash
    loop; with ``parallel_builds`` every build first runs under ``xargs -P``."""
    from releasekit.backends.uv import uv_binary

    times = scratch / "loop-times.txt"
    env = {
        **uv_env(index, cache),
        "UV": uv_binary(),
        "PY": sys.executable,
        "PACKAGES": " ".join(e.word() for e in entries),
        "DIST": str(scratch / "loop-dist"),
        "SCRATCH": str(scratch),
        "TIMES": str(times),
        "SIMPLE": index.simple,
        "PUBLISH": index.url,
        "BASE": index.url,
        "VERSION": version,
        "PARALLEL": str(parallel_builds) if parallel_builds else "",
    }
    cpu = children_cpu()
    began = time.monotonic()
    done = subprocess.run(["bash", "-c", LOOP], env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - began
    cpu = children_cpu() - cpu
    stages: dict[str, list[float]] = {}
    if times.exists():
        for line in times.read_text().splitlines():
            _, stage, start, end = line.split()
            stages.setdefault(stage, []).append(float(end) - float(start))
    detail = "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[-1]
    ok = done.returncode == 0 and len(stages.get("smoke", [])) == len(entries)
    return Outcome(label, wall, ok, stages, detail=detail, cpu=cpu)


# --- releasekit in a new process -------------------------------------------------------


def _stage_times(events: Path) -> tuple[dict[str, list[float]], dict[str, float], dict[str, float]]:
    stages: dict[str, list[float]] = {}
    tasks: dict[str, float] = {}
    cpu: dict[str, float] = {}
    if events.exists():
        for line in events.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event.get("event") == "done" and "seconds" in event:
                stages.setdefault(event["stage"], []).append(float(event["seconds"]))
                tasks[f"{event['stage']}:{event['package']}"] = float(event["seconds"])
                cpu[event["stage"]] = cpu.get(event["stage"], 0.0) + float(event.get("cpu", 0.0))
    return stages, tasks, cpu


def run_releasekit(
    root: Path, packages: int, concurrency: int, *, index: Index, cache: Path, label: str,
    extra: Sequence[str] = (),
) -> Outcome:
    """`releasekit publish --concurrency N` as a user runs it (a new process, default options:
    the staged gate on; ``extra`` adds options, e.g. `--no-stage`)."""
    cmd = [sys.executable, "-m", "releasekit", "publish", "--concurrency", str(concurrency),
           "--format", "json", "--quiet", *extra]
    adopt_orphans()
    cpu = children_cpu()
    began = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=root, env=uv_env(index, cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    sampler = PeakSampler(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.monotonic() - began
    reap_orphans()
    cpu = children_cpu() - cpu
    peaks = sampler.stop()
    try:
        summary: dict[str, Any] = json.loads(stdout)
    except ValueError:
        summary = {}
    run_id = summary.get("run_id", "")
    run_dir = root / ".releasekit" / "runs" / run_id
    stages, tasks, stage_cpu = _stage_times(run_dir / "events.ndjson") if run_id else ({}, {}, {})
    workers = None
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        workers = int(json.loads((run_dir / "plan.json").read_text(encoding="utf-8"))["concurrency"])
    ok = proc.returncode == 0 and bool(summary.get("ok")) and len(summary.get("packages", [])) == packages
    detail = "" if ok else (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return Outcome(label, wall, ok, stages, inner=summary.get("seconds"), detail=detail, cpu=cpu,
                   task_seconds=tasks, peak_rss_mib=peaks, workers=workers, stage_cpu=stage_cpu)


@contextlib.contextmanager
def fresh_run(workdir: Path, template: Path, serial: int, root: Path, index: Index) -> Iterator[tuple[Path, Path]]:
    """A configuration's own copy of the warmed uv cache and scratch directory (removed after),
    no releasekit state left from the previous run, and an index holding only the wheelhouse
    again (pypiserver lists its whole directory per request: files left by earlier runs would
    make every later configuration's index slower)."""
    for upload in index.packages.iterdir():
        if not (WHEELHOUSE / upload.name).exists():
            upload.unlink()
    cache = workdir / f"cache-{serial}"
    shutil.copytree(template, cache, symlinks=True)
    scratch = workdir / f"scratch-{serial}"
    scratch.mkdir()
    shutil.rmtree(root / ".releasekit", ignore_errors=True)
    try:
        yield cache, scratch
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
