"""The realistic benchmark: 60 members shaped like the real workspaces, against the CPU floor.

``benchmarks._realworkspace`` generates the workspace (48 released members, 12 excluded samples,
4 levels, a fan-out of 30 namespace plugins, extras back to the plugins, third-party
requirements); every run publishes a new version of it with real uv to pypiserver on 127.0.0.1
(which also serves the build backend and the third-party wheels) from a fresh, warmed
``UV_CACHE_DIR``:

- *loop*: the plain bash loop of the same uv commands, in topological order;
- *xargs*: every build first under ``xargs -P <cores>``, then the loop's uploads, polls,
  verifies and smoke tests (the script a user would write);
- *releasekit* at ``--concurrency 0`` (auto) with the staged gate on and off, and (not in quick
  mode, and in the first repetition only) at ``-n 1``, ``-n 2`` and ``-n 4``.

The floor is the CPU seconds (user+sys, ``getrusage`` of the children) that the loop's processes
consume, divided by the cores: no schedule of that work finishes sooner. Each configuration's
wall time is divided by the floor of the same repetition. releasekit's critical path is the
longest chain through its plan's stage-task DAG (``releasekit plan --format json``) weighted by
the stage times the run measured (``done`` events). ``run()`` returns the markdown section; raw
figures go to ``benchmarks/results/realistic.json``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks import _realworkspace as shapes
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
from benchmarks.scheduling import critical_path
from releasekit.engine.stages import STAGES as PER_PACKAGE

GOAL_FLOOR = 1.25
#: The stages timed per package (probe and publish are bookkeeping), and xargs's build phase.
STAGES = (*(s for s in PER_PACKAGE if s not in ("probe", "publish")), "builds")
#: releasekit's own stages (the per-stage CPU table).
OWN = tuple(s for s in PER_PACKAGE if s != "publish")
AUTO = "releasekit auto"
#: label -> (concurrency, extra options); the loop and xargs are run by the shell.
RELEASEKIT: dict[str, tuple[int, tuple[str, ...]]] = {
    AUTO: (0, ()),
    "releasekit auto --no-stage": (0, ("--no-stage",)),
    "releasekit -n 1": (1, ()),
    "releasekit -n 2": (2, ()),
    "releasekit -n 4": (4, ()),
}


@dataclass(frozen=True)
class Config:
    repeats: int = 1
    seed: int = 60
    #: Run in every repetition (the loop first: it measures the floor of the repetition).
    configs: tuple[str, ...] = ("loop", "xargs", AUTO, "releasekit auto --no-stage")
    #: Run in the first repetition only (auto against fixed counts), to keep the whole run short.
    once: tuple[str, ...] = ("releasekit -n 1", "releasekit -n 2", "releasekit -n 4")

    def labels(self, rep: int) -> tuple[str, ...]:
        return self.configs + (self.once if rep == 0 else ())


QUICK = Config(repeats=1, configs=("loop", "xargs", AUTO), once=())


def floor(cpu_seconds: float, cores: int) -> float:
    """The shortest makespan the loop's work allows on ``cores`` cores."""
    return cpu_seconds / max(cores, 1)


def plan_json(root: Path, staged: bool) -> dict[str, Any]:
    """``releasekit plan --format json`` of the workspace (with or without the staged gate)."""
    cmd = [sys.executable, "-m", "releasekit", "plan", "--format", "json", *(() if staged else ("--no-stage",))]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=True)
    plan: dict[str, Any] = json.loads(done.stdout)
    return plan


def task_deps(plan: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The plan's stage-task DAG: what each task waits for."""
    return {t["name"]: tuple(t["task_dep"]) for t in plan["tasks"]}


def loop_entries(root: Path, members: Mapping[str, shapes.Member]) -> list[Entry]:
    deps = shapes.release_deps(members)
    return [Entry(n, root / members[n].path, members[n].module, (n, *deps[n])) for n in topological(deps)]


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_config(label: str, root: Path, members: Mapping[str, shapes.Member], version: str, *, index: Index,
               cache: Path, scratch: Path) -> dict[str, Any]:
    """One configuration, with the index's CPU (pypiserver runs in this process) and, for
    releasekit, its critical path."""
    index_cpu = _self_cpu()
    cores = os.cpu_count() or 1
    if label in ("loop", "xargs"):
        outcome: Outcome = run_loop(loop_entries(root, members), version, index=index, cache=cache, scratch=scratch,
                                    label=label, parallel_builds=cores if label == "xargs" else 0)
    else:
        n, extra = RELEASEKIT[label]
        released = len(shapes.release_deps(members))
        outcome = run_releasekit(root, released, n, index=index, cache=cache, label=label, extra=extra)
    row: dict[str, Any] = {**asdict(outcome), "index_cpu": _self_cpu() - index_cpu, "rep": 0}
    if outcome.task_seconds:
        plan = plan_json(root, staged="--no-stage" not in label)
        row["critical_path"] = critical_path(task_deps(plan), outcome.task_seconds)
    return row


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    """Every figure of the benchmark as plain data."""
    from releasekit.backends.uv import Uv

    members = shapes.shape(config.seed)
    rows: list[dict[str, Any]] = []
    load_start = os.getloadavg()
    with local_index(workdir / "index", require_wheelhouse()) as index:
        template = workdir / "cache-template"
        warm_cache(index, template, workdir)
        root = workdir / "ws"
        shapes.write(root, members, "0.1.0", publish_url=index.url, check_url=index.simple)
        init_repository(root)
        serial = 0
        for rep in range(config.repeats):
            for label in config.labels(rep):
                serial += 1
                version = f"2.{rep}.{serial}"
                shapes.write(root, members, version, publish_url=index.url, check_url=index.simple)
                git(root, "commit", "-q", "-am", f"release {version}")
                with fresh_run(workdir, template, serial, root, index) as (cache, scratch):
                    row = run_config(label, root, members, version, index=index, cache=cache, scratch=scratch)
                rows.append({**row, "rep": rep})
                print(f"  realistic rep {rep + 1}: {label} {row['wall']:.1f} s ok={row['ok']}", file=sys.stderr,
                      flush=True)
    deps = shapes.release_deps(members)
    return {
        "config": asdict(config),
        "members": len(members),
        "released": len(deps),
        "levels": max(shapes.levels(deps).values()) + 1,
        "uv": Uv().version(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_start": load_start[0],
        "load_end": os.getloadavg()[0],
        "rows": rows,
    }


def ratios(rows: Sequence[Mapping[str, Any]], cores: int) -> dict[str, dict[str, list[float]]]:
    """Per configuration, each figure divided by the same repetition's loop (floor, wall)."""
    out: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        loop = next((r for r in rows if r["rep"] == row["rep"] and r["config"] == "loop" and r["ok"]), None)
        if loop is None or not loop["cpu"]:
            continue
        bucket = out.setdefault(row["config"], {"floor": [], "vs_floor": [], "vs_loop": [], "vs_cp": []})
        low = floor(loop["cpu"], cores)
        bucket["floor"].append(low)
        bucket["vs_floor"].append(row["wall"] / low)
        bucket["vs_loop"].append(row["wall"] / loop["wall"])
        if row.get("critical_path"):
            bucket["vs_cp"].append(row["wall"] / row["critical_path"])
    return out


def goals(rows: Sequence[Mapping[str, Any]], cores: int) -> list[tuple[str, bool | None]]:
    """The issue's goals for releasekit auto, each judged on the medians of same-run ratios."""
    got = ratios(rows, cores)
    auto = got.get(AUTO, {})
    by_rep = {(r["rep"], r["config"]): r["wall"] for r in rows}
    ahead_xargs = [by_rep[(rep, AUTO)] < wall for (rep, c), wall in by_rep.items() if c == "xargs" and (rep, AUTO)
                   in by_rep]

    def median_at_most(values: Sequence[float], limit: float) -> bool | None:
        return statistics.median(values) <= limit if values else None

    return [
        (f"releasekit auto makespan <= {GOAL_FLOOR}x the floor", median_at_most(auto.get("vs_floor", []), GOAL_FLOOR)),
        ("releasekit auto ahead of the loop", median_at_most(auto.get("vs_loop", []), 1.0)),
        ("releasekit auto ahead of xargs", all(ahead_xargs) if ahead_xargs else None),
    ]


INTRO = """\
## Realistic: 60 members against the CPU floor

{members} generated members shaped like the real workspaces (notes/real-workspaces.md): {released}
released in {levels} levels (one core package, a fan-out of 30 namespace plugins packed with hatch
`only-include`, integrations, a batteries package whose extras point back at the plugins) and 12
`samples/*` excluded by the root's `exclude`; long names; `packaging`, `pluggy`, `pathspec` and
`trove-classifiers` from the same local index. uv {uv}, pypiserver on 127.0.0.1, a fresh warmed
`UV_CACHE_DIR` and a new version for every run. *loop*: the plain bash loop of the same uv commands;
*xargs*: all builds under `xargs -P {cpus}`, then the loop's uploads, polls, verifies and smoke
tests; *releasekit*: `releasekit publish` in a new process (auto = `--concurrency 0`). The floor is
the loop's child CPU seconds / {cpus} cores; every ratio is taken within one repetition, then
median [min-max] over {repeats} (`-n 1`, `-n 2`, `-n 4`: the first repetition only). Load average
{load_start:.2f} at the start, {load_end:.2f} at the end.
"""


def times(ratios: Sequence[float]) -> str:
    return f"{cell(ratios)}x" if ratios else "-"


def render(data: Mapping[str, Any]) -> str:
    """The markdown section for docs/benchmarks.md."""
    rows, cores = data["rows"], data["cpus"]
    got = ratios(rows, cores)
    reps = data["config"]["repeats"]
    lines = [
        INTRO.format(**{k: data[k] for k in ("members", "released", "levels", "cpus", "load_start", "load_end")},
                     uv=[*data["uv"].split(), "?", "?"][1], repeats=f"{reps} run{'s' if reps != 1 else ''}"),
        "| configuration | wall (s) | / floor | / loop | CPU (s) | index CPU (s) | / critical path | ok |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labels = (*data["config"]["configs"], *data["config"]["once"])
    for label in labels:
        runs = [r for r in rows if r["config"] == label]
        mine = got.get(label, {})
        ok = "yes" if runs and all(r["ok"] for r in runs) else "NO: " + "; ".join(r["detail"] for r in runs
                                                                                   if not r["ok"])
        workers = sorted({r["workers"] for r in runs if r.get("workers")})
        shown = f"{label} ({', '.join(map(str, workers))} workers)" if "auto" in label and workers else label
        lines.append(
            f"| {shown} | {cell([r['wall'] for r in runs])} | {times(mine.get('vs_floor', []))} "
            f"| {times(mine.get('vs_loop', []))} | {cell([r['cpu'] for r in runs if r['cpu'] is not None], '.1f')} "
            f"| {cell([r['index_cpu'] for r in runs], '.1f')} | {times(mine.get('vs_cp', []))} | {ok} |"
        )
    loops = [r for r in rows if r["config"] == "loop"]
    auto = [r for r in rows if r["config"] == AUTO]
    lines += [
        "",
        f"Floor: {cell([floor(r['cpu'], cores) for r in loops if r['cpu']])} s ({cores} cores, loop CPU "
        f"{cell([r['cpu'] for r in loops if r['cpu']], '.1f')} s; pypiserver's own CPU, in the benchmark's "
        "process, is the *index CPU* column and not in the floor). releasekit auto's critical path over "
        f"its measured stage times: {cell([r['critical_path'] for r in auto if r.get('critical_path')])} s. "
        "*CPU* is user+sys of every process the configuration started (releasekit: itself, its workers, uv).",
        "",
        "Peak RSS (MiB, `VmHWM` sampled every 0.1 s) of the releasekit process and of its largest worker:",
        "",
        "| configuration | orchestrator | worker |",
        "|---|---|---|",
    ]
    for label in labels:
        peaks = [r["peak_rss_mib"] for r in rows if r["config"] == label and r["peak_rss_mib"]]
        if peaks:
            lines.append(f"| {label} | {cell([p['orchestrator'] for p in peaks], '.0f')} "
                         f"| {cell([p['worker'] for p in peaks], '.0f')} |")
    lines += [
        "",
        "Per-stage seconds, median over packages and runs (releasekit: the `done` events; the loops: "
        "timestamps around the same commands; *all builds*: xargs's whole build phase):",
        "",
        *stage_table({label: [r for r in rows if r["config"] == label] for label in labels}, STAGES),
    ]
    cpu_rows = [(label, [r["stage_cpu"] for r in rows if r["config"] == label and r.get("stage_cpu")])
                for label in labels]
    cpu_rows = [(label, found) for label, found in cpu_rows if found]
    if cpu_rows:
        lines += ["", "releasekit's CPU seconds per stage, summed over packages (the worker and the commands it "
                  "ran, from each `done` event), median over runs:", "",
                  "| configuration | " + " | ".join(OWN) + " |", "|---|" + "---|" * len(OWN)]
        for label, found in cpu_rows:
            lines.append(f"| {label} | " + " | ".join(cell([f.get(st, 0.0) for f in found], ".1f") for st in OWN)
                         + " |")
    lines += ["", "Goals:", ""]
    for text, met in goals(rows, cores):
        lines.append(f"- {text}: {'not measured' if met is None else 'met' if met else '**not met**'}")
    lines += ["", "Raw figures: `benchmarks/results/realistic.json`.", ""]
    return "\n".join(lines)


def run(config: Config | None = None) -> str:
    """Measure, save the raw results, return the markdown section."""
    config = config or (QUICK if quick_requested() else Config())
    return run_saved("realistic", measure, render, config)


def main() -> None:
    timed_main("realistic", run)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
