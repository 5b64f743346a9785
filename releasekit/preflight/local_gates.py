"""The gates that look only at the workspace: git, uv's lock, the graph and the files to build."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from packaging.version import Version

from releasekit.checks.findings import last_lines
from releasekit.model.depgraph import workspace_graph
from releasekit.preflight.context import PYPI_TARGETS, GateContext
from releasekit.preflight.readme import build_system, readme_problem
from releasekit.preflight.report import GateResult

COMPILED_BACKENDS = ("maturin", "scikit_build_core.build", "mesonpy")


def _is_pypi_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("pypi.org", "test.pypi.org", "upload.pypi.org")


def clean_worktree(ctx: GateContext) -> GateResult:
    broken = ctx.outside_git("clean_worktree")
    if broken:
        return broken
    top = ctx.git.toplevel().resolve()
    state = ctx.ws.state_dir.resolve()
    pathspec = ["."]
    note = ""
    if state.is_relative_to(top):
        pathspec.append(f":(exclude,top){state.relative_to(top).as_posix()}")
        note = f" ({ctx.ws.relative(state)} excluded: releasekit's own state)"
    lines = ctx.git.status(*pathspec)
    if not lines:
        return GateResult(
            "clean_worktree",
            "pass",
            "no uncommitted or untracked files in the workspace" + note,
        )
    shown = tuple(lines[:10]) + ((f"... and {len(lines) - 10} more",) if len(lines) > 10 else ())
    return GateResult(
        "clean_worktree",
        "fail",
        f"{len(lines)} uncommitted or untracked path(s) in the workspace",
        "commit, stash or git-ignore them: a build must contain only what the tag points at",
        shown,
    )


def not_shallow(ctx: GateContext) -> GateResult:
    broken = ctx.outside_git("not_shallow")
    if broken:
        return broken
    if ctx.git.is_shallow():
        return GateResult(
            "not_shallow",
            "fail",
            "the clone is shallow: history and tags are incomplete",
            "run `git fetch --unshallow --tags`, or check out with `fetch-depth: 0` in CI",
        )
    return GateResult("not_shallow", "pass", "full clone")


def lock_current(ctx: GateContext) -> GateResult:
    if not (ctx.ws.root / "uv.lock").is_file():
        return GateResult(
            "lock_current",
            "warn",
            "no uv.lock in the workspace: nothing to check",
            "run `uv lock` and commit uv.lock for reproducible releases",
        )
    result = ctx.uv.lock(ctx.ws.root, check=True)
    if result.returncode == 0:
        return GateResult("lock_current", "pass", "`uv lock --check` passed")
    output = result.output
    stale = "needs to be updated" in output
    return GateResult(
        "lock_current",
        "fail",
        f"`uv lock --check` exited with code {result.returncode}: "
        + ("uv.lock is out of date" if stale else "the lock could not be checked"),
        "run `uv lock` and commit uv.lock" if stale else "run `uv lock --check` yourself to see why",
        last_lines(output),
    )


def no_cycles(ctx: GateContext) -> GateResult:
    graph = workspace_graph(ctx.ws)
    names = {p.name for p in ctx.packages()}
    cycle = graph.hard.subgraph(names).find_cycle()
    if cycle:
        error = graph.cycle_error(cycle)
        return GateResult("no_cycles", "fail", error.message, error.hint)
    extras = [edge for edge, _ in graph.extra_cycles() if edge.source in names]
    if extras:
        shown = ", ".join(f"{e.source}[{e.extra}] -> {e.target}" for e in extras[:3])
        more = f" and {len(extras) - 3} more" if len(extras) > 3 else ""
        return GateResult(
            "no_cycles",
            "warn",
            f"no dependency cycle; {len(extras)} extra(s) point back at their dependents ({shown}{more}): "
            "they are pinned at build and never gate, so the order stands",
        )
    return GateResult("no_cycles", "pass", "no dependency cycle among the packages to release")


def no_stale_dist(ctx: GateContext) -> GateResult:
    stale = []
    for directory in dict.fromkeys([ctx.ws.root, *(p.path for p in ctx.packages())]):
        dist = directory / "dist"
        if dist.is_dir():
            content = [e.name for e in os.scandir(dist) if e.name != ".gitignore"]
            if content:
                stale.append(f"{ctx.ws.relative(dist)}: {len(content)} file(s)")
    if stale:
        return GateResult(
            "no_stale_dist",
            "fail",
            f"{len(stale)} dist/ folder(s) hold old artifacts",
            "delete them (`releasekit check --fix` does) so no old file can be uploaded by mistake",
            tuple(stale),
        )
    return GateResult("no_stale_dist", "pass", "no dist/ folder with artifacts")


def sdist_and_wheel(ctx: GateContext) -> GateResult:
    problems: list[str] = []
    notes: list[str] = []
    for pkg in ctx.packages():
        table = build_system(pkg)
        requires = table.get("requires")
        if not pkg.build_backend:
            problems.append(f"{pkg.name}: no [build-system] build-backend (uv would guess setuptools' legacy one)")
        elif not isinstance(requires, list) or not requires:
            problems.append(f"{pkg.name}: [build-system] requires is empty, so {pkg.build_backend} cannot load")
        elif pkg.build_backend.startswith(COMPILED_BACKENDS):
            notes.append(f"{pkg.name}: {pkg.build_backend} builds a wheel for this platform only")
    if problems:
        return GateResult(
            "sdist_and_wheel",
            "fail",
            f"{len(problems)} package(s) cannot be built reliably",
            'add [build-system] requires = ["hatchling"], build-backend = "hatchling.build"',
            tuple(problems),
        )
    if notes:
        return GateResult(
            "sdist_and_wheel",
            "warn",
            "compiled packages get one platform's wheel",
            "build the other platforms' wheels in CI (e.g. cibuildwheel)",
            tuple(notes),
        )
    return GateResult(
        "sdist_and_wheel",
        "pass",
        f"{len(ctx.packages())} package(s) declare a build backend; uv builds sdist + wheel",
    )


def public_versions(ctx: GateContext) -> GateResult:
    public = ctx.settings.target in PYPI_TARGETS or _is_pypi_url(ctx.settings.check_url)
    local = [f"{name} {version}" for name, version in ctx.versions() if Version(version).local]
    if not local:
        return GateResult("public_versions", "pass", "no version has a local segment")
    if not public:
        return GateResult(
            "public_versions",
            "pass",
            f"{len(local)} local version(s); allowed on this index (only PyPI refuses them)",
            details=tuple(local),
        )
    return GateResult(
        "public_versions",
        "fail",
        f"{len(local)} version(s) with a local segment, which "
        f"{'TestPyPI' if ctx.settings.target == 'testpypi' else 'PyPI'} refuses",
        "release a public version (drop the `+...` part), or publish to another index",
        tuple(local),
    )


def readme_renders(ctx: GateContext) -> GateResult:
    problems: list[str] = []
    unchecked: list[str] = []
    for pkg in ctx.packages():
        outcome = readme_problem(pkg)
        if outcome is None:
            continue
        kind, message = outcome
        (problems if kind == "fail" else unchecked).append(f"{pkg.name}: {message}")
    if problems:
        return GateResult(
            "readme_renders",
            "fail",
            f"{len(problems)} README(s) would be rejected or mangled",
            "fix the markup or the declared content-type",
            tuple(problems + unchecked),
        )
    if unchecked:
        return GateResult(
            "readme_renders",
            "warn",
            f"{len(unchecked)} README(s) could not be checked",
            "pip install 'releasekit[rst]' to check reStructuredText",
            tuple(unchecked),
        )
    return GateResult("readme_renders", "pass", "every README renders for its content type")
