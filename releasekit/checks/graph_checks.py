"""The checks on the dependency graph: cycles, a package needing itself, internal requirements
that no workspace member satisfies or publishes, and workspace sources nobody uses."""

from __future__ import annotations

import contextlib
import glob
import tomllib
from pathlib import Path

from releasekit.checks.base import CheckContext
from releasekit.checks.findings import Severity
from releasekit.checks.report import Finding
from releasekit.model.package import Dependency, Package, normalize
from releasekit.model.selection import unreleased_reason
from releasekit.model.versions import admits


def cycles(ctx: CheckContext) -> list[Finding]:
    """Cycles of dependency edges (errors when a released member is in one) and extras that
    point back at their dependents (warnings: an extra never gates, so nothing is stuck)."""
    found = []
    hard = ctx.graph.hard
    releasing = {p.name for p in ctx.publishable}
    for component in hard.entangled():
        cycle = hard.subgraph(component).find_cycle() or component
        error = ctx.graph.cycle_error(cycle)
        entangled = "" if len(component) == len(set(cycle)) else f"; all of {', '.join(component)} are entangled"
        first = ctx.ws.by_name[cycle[0]]
        found.append(
            Finding(
                "cycles",
                "error" if releasing & set(component) else "warning",
                first.name,
                ctx.rel(first.manifest),
                error.message + entangled,
                error.hint,
            )
        )
    closing: dict[str, list[tuple[str, list[str]]]] = {}
    for edge, cycle in ctx.graph.extra_cycles():
        closing.setdefault(edge.source, []).append((edge.extra or "", cycle))
    for source, extras in sorted(closing.items()):
        pkg = ctx.ws.by_name[source]
        shown = "; ".join(f"[{extra}] {' -> '.join(cycle)}" for extra, cycle in extras[:3])
        more = f" (and {len(extras) - 3} more)" if len(extras) > 3 else ""
        found.append(
            Finding(
                "cycles",
                "warning",
                source,
                ctx.rel(pkg.manifest),
                f"{len(extras)} extra(s) of {source} in [project.optional-dependencies] point back at "
                f"packages that depend on it: {shown}{more}; not a publish cycle: {source} is "
                "published first and the extras are pinned exactly at build",
                "nothing to do if these are batteries extras; otherwise move the shared code into a new package",
            )
        )
    return found


def _self_dep_problem(pkg: Package, dep: Dependency, extras: set[str]) -> tuple[Severity, str, str] | None:
    """(severity, message, hint) for one requirement of ``pkg`` on itself, or None when it is fine."""
    if dep.extra_group is None:
        return (
            "error",
            f"{pkg.name} lists itself ({dep.raw!r}) in [project] dependencies",
            "remove it; to pull in extras by default, list their requirements directly",
        )
    wanted = {normalize(e) for e in dep.extras}
    if not wanted:
        return (
            "warning",
            f"{dep.section} lists {dep.raw!r}, {pkg.name} itself without extras, which adds nothing",
            f"remove it, or name the extras to include: {pkg.name}[extra]",
        )
    unknown = sorted(wanted - extras)
    if unknown:
        return (
            "error",
            f"{dep.section} refers to {pkg.name}[{', '.join(unknown)}], an extra {pkg.name} does not define",
            "fix the extra's name; defined extras: " + (", ".join(sorted(extras)) or "none"),
        )
    return None


def self_deps(ctx: CheckContext) -> list[Finding]:
    found = []
    for pkg in ctx.ws.packages:
        extras = {normalize(e) for e in pkg.project.get("optional-dependencies", {}) or {}}
        for dep in pkg.self_references:
            problem = _self_dep_problem(pkg, dep, extras)
            if problem is not None:
                severity, message, hint = problem
                found.append(Finding("self_deps", severity, pkg.name, ctx.rel(pkg.manifest), message, hint))
    return found


def _excluded_members(ctx: CheckContext) -> dict[str, str]:
    """Distribution name -> directory, for member directories the workspace excludes."""
    found: dict[str, str] = {}
    for pattern in ctx.ws.exclude_patterns:
        for match in sorted(glob.glob(pattern, root_dir=ctx.ws.root, recursive=True)):
            manifest = ctx.ws.root / match / "pyproject.toml"
            with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
                data = tomllib.loads(manifest.read_text(encoding="utf-8"))
                name = data.get("project", {}).get("name")
                if isinstance(name, str):
                    found[normalize(name)] = match
    return found


def orphan_deps(ctx: CheckContext) -> list[Finding]:
    found = []
    excluded: dict[str, str] | None = None
    for pkg in ctx.ws.packages:
        sources = set(pkg.workspace_sources)
        for dep in pkg.dependencies:
            if dep.internal:
                if dep.name == pkg.name or unreleased_reason(ctx.ws, pkg):
                    continue
                why_not = unreleased_reason(ctx.ws, ctx.ws.by_name[dep.name])
                if not why_not:
                    continue
                optional = dep.extra_group is not None
                found.append(
                    Finding(
                        "orphan_deps",
                        "warning" if optional else "error",
                        pkg.name,
                        ctx.rel(pkg.manifest),
                        f"{pkg.name} depends on {dep.name} ({dep.table}), which is never "
                        f"published ({why_not}), so {pkg.name} cannot be installed "
                        "from the index" + (f" with [{dep.extra_group}]" if optional else ""),
                        f"release {dep.name} too, or drop the dependency",
                    )
                )
            elif dep.name in sources:
                if excluded is None:
                    excluded = _excluded_members(ctx)
                why = (
                    f"its directory {excluded[dep.name]} is excluded by [tool.uv.workspace] exclude"
                    if dep.name in excluded
                    else "no workspace member has that name"
                )
                found.append(
                    Finding(
                        "orphan_deps",
                        "error",
                        pkg.name,
                        ctx.rel(pkg.manifest),
                        f"{pkg.name} depends on {dep.name} as a workspace package "
                        f"([tool.uv.sources] {dep.name} = {{ workspace = true }}), but {why}",
                        "add the package to [tool.uv.workspace] members, or drop the workspace source",
                    )
                )
    found.extend(_unused_sources(ctx))
    return found


def _unused_sources(ctx: CheckContext) -> list[Finding]:
    """A `{ workspace = true }` source that no requirement names: with dynamic dependencies
    it may be the only static trace of an edge, so a stale one misleads. A member's own
    sources must be required by that member; the root's (which every member inherits) by
    some member."""
    everywhere: set[str] = set()
    for pkg in ctx.ws.packages:
        everywhere.update(d.name for d in pkg.dependencies)
        everywhere.update(pkg.group_requirements)
    root_sources = set(ctx.ws.root_sources)
    dynamic = any("dependencies" in p.dynamic for p in ctx.ws.packages)
    vague = " (as far as releasekit can read them)" if dynamic else ""
    places: list[tuple[str | None, Path, set[str], set[str]]] = [(None, ctx.ws.manifest, root_sources, everywhere)]
    for pkg in ctx.ws.packages:
        if not pkg.is_root:
            own = {d.name for d in pkg.dependencies} | set(pkg.group_requirements)
            places.append((pkg.name, pkg.manifest, set(pkg.workspace_sources) - root_sources, own))
    found = []
    for owner, manifest, declared, wanted in places:
        for name in sorted(declared - wanted):
            if name not in ctx.ws.by_name:
                continue  # no such member: the loop above reports it where it is required
            found.append(
                Finding(
                    "orphan_deps",
                    "warning",
                    owner,
                    ctx.rel(manifest),
                    f"[tool.uv.sources] {name} = {{ workspace = true }}, but no requirement of "
                    f"{owner or 'any member'} (dependencies, extras, dependency groups) names {name}{vague}",
                    f"drop the source, or add the requirement on {name} where it is used",
                )
            )
    return found


def internal_pins(ctx: CheckContext) -> list[Finding]:
    """What publish refuses with RK143 / RK140, found before anyone tries to publish."""
    found = []
    for pkg in ctx.publishable:
        for dep in pkg.dependencies:
            if not dep.internal or dep.name == pkg.name:
                continue
            target = ctx.ws.by_name[dep.name]
            if target.version is None:
                problem = (
                    f"{pkg.name} depends on {dep.name} ({dep.table}), whose version is "
                    "dynamic, so the build cannot pin it (publish: RK140)",
                    f"give {dep.name} a static [project].version",
                )
            elif dep.specifier and not admits(dep.specifier, target.version):
                problem = (
                    f"{pkg.name} requires {dep.raw!r} ({dep.table}), which the "
                    f"workspace's {dep.name} {target.version} does not satisfy "
                    "(publish: RK143)",
                    f"widen the requirement, or bump {dep.name} to a version it admits",
                )
            else:
                continue
            found.append(Finding("internal_pins", "error", pkg.name, ctx.rel(pkg.manifest), *problem))
    return found


# --- missing_license / missing_readme -----------------------------------------------
