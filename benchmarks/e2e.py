"""End-to-end benchmark: real uv, a real local index, and what orchestration costs.

A 12-package hatchling workspace (two chains, a diamond, a loner; no third-party
dependencies) is published to pypiserver on 127.0.0.1 (in this process, on an ephemeral
port), with hatchling served from that index through ``UV_DEFAULT_INDEX``, so no step needs
the network. Each configuration gets a fresh ``UV_CACHE_DIR`` copied from one warmed for the
build backend, and a fresh version of every package, so every run really builds, uploads,
polls, verifies and installs:

- a plain shell loop of the same uv commands in topological order (build, publish with
  ``--check-url``, poll the simple page, verify the sha256 of the listing and of a re-download,
  venv + install + import): what releasekit does, without orchestration;
- ``releasekit publish --concurrency 1`` and ``--concurrency 4``;
- a no-op rerun of the last one (everything already published).

``run()`` returns the markdown section; raw figures go to ``benchmarks/results/e2e.json``.
``--quick`` (or ``RELEASEKIT_BENCH_QUICK=1``) runs one repetition on 6 packages.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks._e2ecommon import (
    ROOT,
    Entry,
    Index,
    Outcome,
    cell,
    fresh_run,
    git,
    init_repository,
    local_index,
    quick_requested,
    require_wheelhouse,
    run_loop,
    run_releasekit,
    run_saved,
    stage_table,
    timed_main,
    topological,
    warm_cache,
)
from benchmarks._workspace import module_name, write_workspace
from releasekit.engine.stages import STAGES as PER_PACKAGE

__all__ = ["quick_requested", "run", "topological"]

#: Two chains (util -> c1 -> c2 -> c3 -> c4, core -> d1 -> d2), a diamond
#: (core -> left, right -> top) and a package on its own: 12 packages, 5 levels.
PACKAGES: dict[str, tuple[str, ...]] = {
    "rkb-core": (),
    "rkb-util": (),
    "rkb-solo": (),
    "rkb-left": ("rkb-core",),
    "rkb-right": ("rkb-core",),
    "rkb-top": ("rkb-left", "rkb-right"),
    "rkb-c1": ("rkb-util",),
    "rkb-c2": ("rkb-c1",),
    "rkb-c3": ("rkb-c2",),
    "rkb-c4": ("rkb-c3",),
    "rkb-d1": ("rkb-core",),
    "rkb-d2": ("rkb-d1",),
}
QUICK_PACKAGES = ("rkb-core", "rkb-left", "rkb-right", "rkb-top", "rkb-util", "rkb-c1")
#: The stages timed against the shell loop (probe and publish are bookkeeping).
STAGES = tuple(s for s in PER_PACKAGE if s not in ("probe", "publish"))


# --- the workspace ---------------------------------------------------------------------


def set_version(root: Path, names: Sequence[str], version: str) -> None:
    """Give every package a new version (and pins), then commit, as a release PR would."""
    deps = {n: PACKAGES[n] for n in names}
    for name, needs in deps.items():
        manifest = root / "packages" / name / "pyproject.toml"
        lines = manifest.read_text(encoding="utf-8").splitlines()
        requirement = "dependencies = [" + ", ".join(f'"{d}>={version}"' for d in needs) + "]"
        out = [
            f'version = "{version}"'
            if line.startswith("version = ")
            else requirement
            if line.startswith("dependencies = ")
            else line
            for line in lines
        ]
        manifest.write_text("\n".join(out) + "\n", encoding="utf-8")
        init = root / "packages" / name / "src" / module_name(name) / "__init__.py"
        text = init.read_text(encoding="utf-8").splitlines()
        init.write_text(
            "\n".join(
                f'__version__ = "{version}"' if t.startswith("__version__") else t for t in text
            )
            + "\n",
            encoding="utf-8",
        )
    git(root, "commit", "-q", "-am", f"release {version}")


def entries(root: Path, names: Sequence[str]) -> list[Entry]:
    """The loop's packages in topological order."""
    deps = {n: PACKAGES[n] for n in names}
    return [Entry(n, root / "packages" / n, module_name(n), (n, *deps[n])) for n in topological(deps)]


def make_workspace(root: Path, names: Sequence[str], index: Index) -> Path:
    """The benchmark workspace as a clean git repository (publish's preflight wants one)."""
    write_workspace(
        root, {n: PACKAGES[n] for n in names}, publish_url=index.url, check_url=index.simple
    )
    return init_repository(root)


# --- the benchmark ---------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    packages: tuple[str, ...] = tuple(PACKAGES)
    repeats: int = 3


QUICK = Config(packages=QUICK_PACKAGES, repeats=1)
CONFIGS = ("loop", "releasekit -n 1", "releasekit -n 4", "releasekit -n 4 --no-stage", "no-op rerun (-n 4)")
#: The configurations each repetition publishes anew (the rerun follows `-n 4`).
PUBLISHES = CONFIGS[:4]


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    """Every figure of the benchmark as plain data."""
    from releasekit.backends.uv import Uv

    names = list(config.packages)
    outcomes: list[Outcome] = []
    with local_index(workdir / "index", require_wheelhouse()) as index:
        template = workdir / "cache-template"
        warm_cache(index, template, workdir)
        root = make_workspace(workdir / "ws", names, index)
        serial = 0
        for rep in range(config.repeats):
            for label in PUBLISHES:
                serial += 1
                version = f"1.{rep}.{serial}"
                set_version(root, names, version)
                with fresh_run(workdir, template, serial, root, index) as (cache, scratch):
                    if label == "loop":
                        outcomes.append(
                            run_loop(entries(root, names), version, index=index, cache=cache, scratch=scratch)
                        )
                    else:
                        words = label.split()
                        n, extra = int(words[2]), words[3:]
                        outcomes.append(run_releasekit(root, len(names), n, index=index, cache=cache, label=label,
                                                       extra=extra))
                        if label == "releasekit -n 4":
                            outcomes.append(
                                run_releasekit(root, len(names), n, index=index, cache=cache, label=CONFIGS[4])
                            )
                print(f"  e2e rep {rep + 1}: {label} done", file=sys.stderr, flush=True)
    return {
        "config": asdict(config),
        "uv": Uv().version(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0],
        "outcomes": [asdict(o) for o in outcomes],
    }


INTRO = """\
## End to end: real uv, a local index, orchestration overhead

{count} generated hatchling packages (two chains, a diamond, a loner; no third-party
dependencies) published to pypiserver on 127.0.0.1 with uv {uv}; hatchling comes from the same
index (`UV_DEFAULT_INDEX`) and every configuration starts from a fresh `UV_CACHE_DIR` warmed for
the build backend, with a new version of every package. *Loop* is a plain bash loop of the same
uv commands in topological order (build, `uv publish --check-url`, poll the simple page, verify
the listed and re-downloaded sha256, `uv venv` + `uv pip install` + import); *releasekit* is
`releasekit publish --concurrency N` in a new process (start-up, plan, doit, spawn workers,
events, summary included); the *no-op rerun* repeats the last one with everything published.
Median [min-max] of {repeats}.
"""


def render(data: Mapping[str, Any]) -> str:
    """The markdown section for docs/benchmarks.md."""
    outcomes = data["outcomes"]
    reps = data["config"]["repeats"]
    by: dict[str, list[dict[str, Any]]] = {
        c: [o for o in outcomes if o["config"] == c] for c in CONFIGS
    }
    loop = statistics.median(o["wall"] for o in by["loop"]) if by["loop"] else None
    lines = [
        INTRO.format(
            count=len(data["config"]["packages"]),
            uv=[*data["uv"].split(), "?", "?"][1],
            repeats=f"{reps} run{'s' if reps != 1 else ''}",
        ),
        "| configuration | wall (s) | vs loop | inside `execute()` (s) | ok |",
        "|---|---|---|---|---|",
    ]
    for label, runs in by.items():
        walls = [o["wall"] for o in runs]
        ratio = f"{statistics.median(walls) / loop:.2f}x" if loop and walls else "-"
        inner = [o["inner"] for o in runs if o["inner"] is not None]
        ok = (
            "yes"
            if runs and all(o["ok"] for o in runs)
            else "NO: " + "; ".join(o["detail"] for o in runs if not o["ok"])
        )
        lines.append(f"| {label} | {cell(walls)} | {ratio} | {cell(inner)} | {ok} |")
    lines += [
        "",
        "Per-stage seconds, median over packages and runs (releasekit: `seconds` of each stage's "
        "`done` event in `<state>/runs/<id>/events.ndjson`; loop: timestamps around the same "
        "commands). releasekit's build includes pinning, the wheel's METADATA check and checksums; "
        "its verify also asks the index twice; probe and publish are not timed stages.",
        "",
        *stage_table(by, STAGES),
    ]
    staged, unstaged = by["releasekit -n 4"], by["releasekit -n 4 --no-stage"]
    if staged and unstaged:
        gate = statistics.median(o["wall"] for o in staged) / statistics.median(o["wall"] for o in unstaged)
        lines += [
            "",
            f"The staged gate (default: every package built, installed and imported from a throwaway "
            f"index before the first upload; the smoke test after each upload then goes) against "
            f"`--no-stage` (the smoke test after each upload, no gate), both `-n 4`: {gate:.2f}x.",
        ]
    rk1 = by["releasekit -n 1"]
    if loop and rk1:
        extra = statistics.median(o["wall"] for o in rk1) - loop
        startup = statistics.median(o["wall"] - o["inner"] for o in rk1 if o["inner"] is not None)
        between = statistics.median(
            o["inner"] - sum(sum(v) for v in o["stages"].values())
            for o in rk1
            if o["inner"] is not None
        )
        lines += [
            "",
            f"Orchestration overhead (releasekit -n 1 minus the loop, medians): {extra:+.2f} s, "
            f"{extra / len(data['config']['packages']):+.2f} s per package. Of releasekit's own "
            f"time, {startup:.2f} s is before `execute()` (interpreter, imports, plan, preflight) "
            f"and {between:.2f} s is inside it but outside every timed stage (doit, worker start, "
            "dispatch, probes, summary); the rest is the stages, compared above.",
        ]
    lines += [
        "",
        f"Machine: {data['cpus']} CPUs, Python {data['python']}, load average {data['load']:.1f} "
        "at the end (the machine may be shared). Raw figures: `benchmarks/results/e2e.json`.",
        "",
    ]
    return "\n".join(lines)


def run(config: Config | None = None) -> str:
    """Measure, save the raw results, return the markdown section."""
    config = config or (QUICK if quick_requested() else Config())
    return run_saved("e2e", measure, render, config)


def main() -> None:
    timed_main("end-to-end", run)


if __name__ == "__main__":
    import importlib

    sys.path.insert(0, str(ROOT))
    importlib.import_module("benchmarks.e2e").main()
