"""How `releasekit plan` scales with the size of the workspace.

Generates synthetic uv workspaces (random DAGs from a fixed seed, realistic pyproject files
with third-party dependencies, extras, markers and comments), then measures

- ``releasekit plan --format json`` as a subprocess, best of 5 (what a user waits for), and
- ``load_workspace`` and ``build_plan`` in-process, best of 5 each, so the interpreter's
  start-up (a constant) is visible separately from the work that grows with the workspace.

The growth check compares the in-process cost per (packages + edges) of the largest
workspace with the smallest non-trivial one. Run it directly or through ``benchmarks/run.py``
(``doit bench``). Results go to ``benchmarks/results/plan_scaling.json``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
QUICK = bool(os.environ.get("RELEASEKIT_BENCH_QUICK"))
SIZES = (10, 100) if QUICK else (10, 100, 1000)
SEED = 20261121
REPEAT = 2 if QUICK else 5
TARGET_SECONDS = 1.0  # for 1000 packages, subprocess, on this machine
# Cost per (packages + edges) may grow by this factor from the 100- to the 1000-package
# workspace before the growth counts as faster than linear (timer noise and cache effects).
LINEAR_TOLERANCE = 1.6

THIRD_PARTY = [
    "requests>=2.31",
    "httpx[http2]>=0.27",
    "pydantic>=2,<3",
    "rich>=13",
    'tomli>=2; python_version < "3.11"',
    "typing-extensions>=4.8",
    "attrs>=23.1",
    'uvloop>=0.19; sys_platform != "win32"',
    "click>=8.1",
    "packaging>=23",
]
MARKERS = [
    'python_version >= "3.10"',
    'sys_platform == "linux"',
    'implementation_name == "cpython"',
]


def generate(base: Path, n: int, seed: int = SEED) -> int:
    """Write an ``n``-package workspace under ``base``; returns the number of internal edges."""
    rng = random.Random(seed + n)
    names = [f"pkg-{i:04d}" for i in range(n)]
    edges = 0
    members = base / "packages"
    members.mkdir(parents=True)
    for i, name in enumerate(names):
        # Each package depends on up to 4 earlier ones (mostly recent: realistic layering),
        # which keeps the graph a DAG with long chains and wide levels.
        k = min(i, rng.choice([0, 1, 1, 2, 2, 3, 4]))
        window = names[max(0, i - 50) : i]
        deps = sorted(rng.sample(window, min(k, len(window)))) if window else []
        optional = rng.sample(names[:i], 1) if i > 5 and rng.random() < 0.2 else []
        if optional and optional[0] in deps:
            optional = []
        edges += len(deps) + len(optional)
        third = rng.sample(THIRD_PARTY, rng.randint(0, 3))
        lines = [
            "[project]",
            f'name = "{name}"',
            f'version = "{rng.randint(0, 3)}.{rng.randint(1, 20)}.{rng.randint(0, 9)}"',
            f'description = "Synthetic package {i} of {n}."',
            'readme = "README.md"',
            'license = "Apache-2.0"',
            'requires-python = ">=3.10"',
            'authors = [{ name = "Bench", email = "bench@example.invalid" }]',
            "classifiers = [",
            '    "Programming Language :: Python :: 3",',
            '    "Typing :: Typed",',
            *(['    "Private :: Do Not Upload",'] if rng.random() < 0.03 else []),
            "]",
            "dependencies = [",
            *(f'    "{d}>=0.1",  # internal' for d in deps),
            *(f"    '{t}'," for t in third),
            "]",
            "",
            "[project.optional-dependencies]",
            'test = ["pytest>=8", "hypothesis>=6; python_version >= \\"3.10\\""]',
        ]
        if optional:
            marker = rng.choice(MARKERS)
            lines.append(f"extra = ['{optional[0]}[test]>=0.1; {marker}']")
        lines += [
            "",
            "[build-system]",
            'requires = ["hatchling"]',
            'build-backend = "hatchling.build"',
            "",
            "[tool.hatch.build.targets.wheel]",
            f'packages = ["src/{name.replace("-", "_")}"]',
        ]
        directory = members / name
        (directory / "src" / name.replace("-", "_")).mkdir(parents=True)
        (directory / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (directory / "README.md").write_text(f"# {name}\n", encoding="utf-8")
    sources = "\n".join(f"{name} = {{ workspace = true }}" for name in names)
    (base / "pyproject.toml").write_text(
        "[tool.uv.workspace]\n"
        'members = ["packages/*"]\n\n'
        f"[tool.uv.sources]\n{sources}\n\n"
        "[tool.releasekit]\n"
        'tag_format = "{name}-v{version}"\n'
        "smoke_test = true\n",
        encoding="utf-8",
    )
    return edges


def _cold_caches() -> None:
    """Forget what an earlier repetition parsed, so in-process times are a fresh process's."""
    from releasekit.model import workspace

    cached = getattr(workspace, "_requirement_fields", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def _best(fn: Any, repeat: int = REPEAT) -> float:
    best = float("inf")
    for _ in range(repeat):
        _cold_caches()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    return env


def measure_one(base: Path, n: int) -> dict[str, Any]:
    from releasekit.engine.plan import build_plan
    from releasekit.model.workspace import load_workspace

    edges = generate(base, n)
    argv = [sys.executable, "-m", "releasekit", "plan", "--format", "json"]
    env = _env()

    def cli() -> None:
        proc = subprocess.run(argv, cwd=base, env=env, capture_output=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode(errors="replace"))

    cli()  # warm the OS file cache and the bytecode cache
    proc = subprocess.run(argv, cwd=base, env=env, capture_output=True, check=True)
    plan = json.loads(proc.stdout)
    subprocess_s = _best(cli)
    ws = load_workspace(base)
    load_s = _best(lambda: load_workspace(base))
    plan_s = _best(lambda: build_plan(ws))
    startup_s = _best(
        lambda: subprocess.run([sys.executable, "-c", "import releasekit.cli"], env=env, check=True)
    )
    return {
        "packages": n,
        "edges": edges,
        "planned": len(plan["packages"]),
        "tasks": len(plan["tasks"]),
        "json_bytes": len(proc.stdout),
        "subprocess_s": subprocess_s,
        "load_workspace_s": load_s,
        "build_plan_s": plan_s,
        "import_s": startup_s,
    }


def measure(sizes: tuple[int, ...] = SIZES) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        base = Path(tempfile.mkdtemp(prefix=f"releasekit-bench-{n}-"))
        try:
            rows.append(measure_one(base, n))
        finally:
            shutil.rmtree(base, ignore_errors=True)
    return rows


def growth(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Cost per (packages + edges) of the largest workspace relative to the 100-package one."""
    by_size = {r["packages"]: r for r in rows}
    small, large = by_size.get(100), by_size.get(max(by_size))
    if small is None or large is None or small is large:
        return {"ratio": None, "linear": None}

    def unit(r: dict[str, Any]) -> float:
        return float(r["load_workspace_s"] + r["build_plan_s"]) / (r["packages"] + r["edges"])

    ratio = unit(large) / unit(small)
    return {"ratio": ratio, "linear": ratio <= LINEAR_TOLERANCE}


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| packages | edges | tasks | `plan --format json` (subprocess) | import releasekit.cli "
        "| load_workspace | build_plan | µs per package+edge |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    body = ""
    for r in rows:
        per = (r["load_workspace_s"] + r["build_plan_s"]) / (r["packages"] + r["edges"]) * 1e6
        body += (
            f"| {r['packages']} | {r['edges']} | {r['tasks']} | {r['subprocess_s'] * 1000:.0f} ms "
            f"| {r['import_s'] * 1000:.0f} ms | {r['load_workspace_s'] * 1000:.1f} ms "
            f"| {r['build_plan_s'] * 1000:.1f} ms | {per:.0f} |\n"
        )
    return head + body


def run() -> str:
    """Measure, write the JSON results, return the markdown section for docs/benchmarks.md."""
    rows = measure()
    g = growth(rows)
    largest = max(rows, key=lambda r: r["packages"])
    meets = largest["subprocess_s"] < TARGET_SECONDS
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "plan_scaling",
        "seed": SEED,
        "repeat": REPEAT,
        "python": platform.python_version(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "rows": rows,
        "growth": g,
        "target_seconds": TARGET_SECONDS,
        "meets_target": meets,
    }
    (RESULTS / "plan_scaling.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )
    if g["ratio"] is None:
        verdict = "growth not measured (needs the 100-package workspace and a larger one)"
    else:
        verdict = (
            f"cost per package+edge at {largest['packages']} packages is {g['ratio']:.2f}× the "
            f"100-package cost: "
            + ("linear" if g["linear"] else "**faster than linear**")
            + f" (tolerance {LINEAR_TOLERANCE}×)"
        )
    return (
        "## Plan scaling\n\n"
        f"Synthetic workspaces (seed {SEED}; random DAGs, up to 4 internal dependencies each plus "
        "optional ones with extras and markers, 0-3 third-party dependencies), best of "
        f"{REPEAT} runs. Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs.\n\n"
        + table(rows)
        + (
            f"\n- target: `plan` on 1000 packages under {TARGET_SECONDS:.0f} s: "
            + ("**met**" if meets else "**missed**")
            + f" ({largest['subprocess_s'] * 1000:.0f} ms)\n"
            if largest["packages"] >= 1000
            else "\n- target (1000 packages under 1 s): not run in quick mode\n"
        )
        + f"- {verdict}\n"
        + "- the subprocess time includes the interpreter start-up and the imports "
        "(the `import releasekit.cli` column), a constant\n"
    )


def main() -> None:
    print(run())


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
