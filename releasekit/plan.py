"""The Plan: one plain value saying what a release will do, package by package and task by task.

``releasekit plan``, ``releasekit publish``, ``doit list`` and the JSON output all render or
execute this value, so the preview is exactly what runs.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from releasekit.errors import UsageError, VersionError
from releasekit.graph import Graph
from releasekit.versions import Bump, admits, next_version
from releasekit.workspace import Package, Workspace

SCHEMA = "releasekit.plan/1"
#: Per-package pipeline stages, in order. Each becomes a doit task ``STAGE:PACKAGE``.
STAGES = ("build", "probe", "upload", "poll", "verify", "smoke", "publish")
STAGE_HELP = {
    "build": "pin internal deps, uv build sdist+wheel, check the wheel's pins, checksum, restore",
    "probe": "ask the index which of this version's files it already has",
    "upload": "uv publish the missing files (retries with jitter); waits for dependencies to be verified",
    "poll": "wait until the simple index lists every file",
    "verify": "index sha256 (and JSON API, and a re-download) equals the local checksum",
    "smoke": "install from the index into a fresh venv and import it",
    "publish": "package released: record the result",
}


@dataclass(frozen=True)
class Selection:
    """Which packages a command is about; empty means every package."""

    packages: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    with_deps: bool = False
    with_dependents: bool = False

    @property
    def everything(self) -> bool:
        return not self.packages and not self.groups


@dataclass(frozen=True)
class TaskSpec:
    name: str
    stage: str
    package: str
    task_dep: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "stage": self.stage, "package": self.package, "task_dep": list(self.task_dep)}


@dataclass(frozen=True)
class PackagePlan:
    name: str
    declared_name: str
    path: str
    version: str
    next_version: str
    reason: str
    level: int
    order: int
    priority: float
    deps: tuple[str, ...]
    pins: Mapping[str, str]
    stages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "declared_name": self.declared_name,
            "path": self.path,
            "version": self.version,
            "next_version": self.next_version,
            "reason": self.reason,
            "level": self.level,
            "order": self.order,
            "deps": list(self.deps),
            "pins": dict(self.pins),
            "stages": list(self.stages),
        }


@dataclass(frozen=True)
class Skipped:
    name: str
    version: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    root: str
    packages: tuple[PackagePlan, ...]
    skipped: tuple[Skipped, ...]
    levels: tuple[tuple[str, ...], ...]
    critical_path: tuple[str, ...]
    smoke_test: bool
    tasks: tuple[TaskSpec, ...] = field(default=())

    def package(self, name: str) -> PackagePlan:
        for pkg in self.packages:
            if pkg.name == name:
                return pkg
        raise KeyError(name)

    @property
    def changes(self) -> list[PackagePlan]:
        return [p for p in self.packages if p.next_version != p.version]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "workspace": self.root,
            "packages": [p.to_json() for p in self.packages],
            "skipped": [s.to_json() for s in self.skipped],
            "levels": [list(level) for level in self.levels],
            "critical_path": list(self.critical_path),
            "smoke_test": self.smoke_test,
            "tasks": [t.to_json() for t in self.tasks],
        }


def workspace_graph(ws: Workspace) -> Graph:
    return Graph.build({p.name: p.internal_deps for p in ws.packages})


def _patterns_match(name: str, patterns: tuple[str, ...]) -> bool:
    """``name`` (normalized) against names or globs written in any case and separator style."""
    return any(fnmatch.fnmatchcase(name, _normalize_pattern(p)) for p in patterns)


def _normalize_pattern(pattern: str) -> str:
    # PEP 503 normalization that leaves the glob characters alone: `Acme_*` -> `acme-*`.
    return re.sub(r"[-_.]+", "-", pattern).lower()


def group_members(ws: Workspace, group: str) -> set[str]:
    groups = ws.config.groups
    if group not in groups:
        close = difflib.get_close_matches(group, list(groups), n=1)
        hint = f"did you mean `{close[0]}`?" if close else (
            "groups: " + ", ".join(sorted(groups)) if groups else "define groups in [tool.releasekit.groups]"
        )
        raise UsageError(f"no release group named {group!r}", hint=hint, code="RK131")
    return {p.name for p in ws.packages if _patterns_match(p.name, groups[group])}


def select(ws: Workspace, graph: Graph, selection: Selection) -> set[str]:
    chosen: set[str]
    if selection.everything:
        chosen = {p.name for p in ws.packages}
    else:
        chosen = {ws.get(name).name for name in selection.packages}
        for group in selection.groups:
            chosen |= group_members(ws, group)
    if selection.with_deps:
        chosen = graph.with_dependencies(chosen)
    if selection.with_dependents:
        chosen = graph.with_dependents(chosen)
    return chosen


def _skip_reason(ws: Workspace, pkg: Package) -> str:
    if not pkg.publishable:
        return f"not publishable: {pkg.unpublishable_reason}"
    if _patterns_match(pkg.name, ws.config.exclude):
        return "excluded by [tool.releasekit] exclude"
    if pkg.dynamic_version:
        return "dynamic version: releasekit needs a static [project].version to pin, poll and verify"
    return ""


def task_specs(packages: tuple[PackagePlan, ...], smoke_test: bool) -> tuple[TaskSpec, ...]:
    specs: list[TaskSpec] = []
    for pkg in packages:
        n = pkg.name
        after_verify = f"smoke:{n}" if smoke_test else f"verify:{n}"
        specs.extend(
            [
                TaskSpec(f"build:{n}", "build", n, ()),
                TaskSpec(f"probe:{n}", "probe", n, ()),
                TaskSpec(
                    f"upload:{n}", "upload", n, (f"build:{n}", f"probe:{n}", *(f"verify:{d}" for d in pkg.deps))
                ),
                TaskSpec(f"poll:{n}", "poll", n, (f"upload:{n}",)),
                TaskSpec(f"verify:{n}", "verify", n, (f"poll:{n}",)),
            ]
        )
        if smoke_test:
            specs.append(TaskSpec(f"smoke:{n}", "smoke", n, (f"verify:{n}",)))
        specs.append(TaskSpec(f"publish:{n}", "publish", n, (after_verify,)))
    return tuple(specs)


def _require_admitted(ws: Workspace, pkg: Package, pins: Mapping[str, str]) -> None:
    """Each pin must satisfy what the package declares: pinning ``a>=2`` to ``a==1.0.0`` for the
    build would publish a wheel that silently drops its author's constraint.

    Only pins at a version as written are checked; a version this plan bumps is admitted by
    `bump`, which widens the dependents' specifiers when it writes the new version.
    """
    for dep in pkg.dependencies:
        version = pins.get(dep.name)
        if not dep.internal or version is None or not dep.specifier or version != ws.by_name[dep.name].version:
            continue
        if not admits(dep.specifier, version):
            raise VersionError(
                f"{pkg.name} requires {dep.raw!r} ({dep.section}), which the workspace's {dep.name} "
                f"{version} does not satisfy; the build would pin it to =={version} anyway",
                path=pkg.manifest,
                code="RK143",
                hint=f"widen the requirement, or bump {dep.name} to a version it admits",
            )


def build_plan(
    ws: Workspace,
    selection: Selection = Selection(),
    bumps: Mapping[str, Bump] | None = None,
    *,
    smoke_test: bool | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Plan:
    """Compute the release plan. ``bumps`` maps package names to bumps (missing = as written)."""
    graph = workspace_graph(ws)
    graph.require_acyclic()
    chosen = select(ws, graph, selection)
    smoke = ws.config.smoke_test if smoke_test is None else smoke_test

    included: list[Package] = []
    skipped: list[Skipped] = []
    for pkg in ws.packages:
        if pkg.name not in chosen:
            continue
        reason = _skip_reason(ws, pkg)
        if reason:
            skipped.append(Skipped(pkg.name, pkg.version, reason))
        else:
            included.append(pkg)
    names = {p.name for p in included}
    bumps = bumps or {}
    unknown = [n for n in bumps if n not in names]
    if unknown:
        pkg = ws.get(unknown[0])
        raise UsageError(
            f"cannot bump {pkg.name}: {_skip_reason(ws, pkg) or 'it is not selected'}",
            code="RK140" if pkg.dynamic_version else "RK130",
            hint="set a static version" if pkg.dynamic_version else "select it or remove it from the command",
        )

    next_versions: dict[str, str] = {}
    why: dict[str, str] = {}
    for pkg in included:
        assert pkg.version is not None
        bump = bumps.get(pkg.name)
        if bump is not None and not bump.empty:
            next_versions[pkg.name] = next_version(pkg.version, bump)
            why[pkg.name] = (reasons or {}).get(pkg.name, f"bump: {bump.describe()}")
        else:
            next_versions[pkg.name] = pkg.version
            why[pkg.name] = (reasons or {}).get(pkg.name, "version as written in pyproject.toml")

    sub = graph.subgraph(names)
    critical, _ = sub.critical_path()
    # Priority = longest chain of dependents below a package (its "bottom level"): packages
    # that gate the most work are defined first, which is how doit breaks ties.
    bottom: dict[str, float] = {}
    for node in reversed(sub.order()):
        bottom[node] = 1.0 + max((bottom[d] for d in sub.dependents[node]), default=0.0)
    order = sub.order()
    position = {n: i for i, n in enumerate(order)}

    plans: list[PackagePlan] = []
    for pkg in sorted(included, key=lambda p: position[p.name]):
        pins: dict[str, str] = {}
        for dep in pkg.internal_deps:
            if dep in next_versions:
                pins[dep] = next_versions[dep]
            else:
                other = ws.by_name[dep]
                if other.version is None:
                    raise VersionError(
                        f"{pkg.name} depends on {dep}, whose version is dynamic, so it cannot be pinned",
                        path=other.manifest,
                        code="RK140",
                        hint=f"give {dep} a static [project].version",
                    )
                pins[dep] = other.version
        _require_admitted(ws, pkg, pins)
        stages = tuple(s for s in STAGES if smoke or s != "smoke")
        plans.append(
            PackagePlan(
                name=pkg.name,
                declared_name=pkg.declared_name,
                path=pkg.relpath,
                version=pkg.version or "",
                next_version=next_versions[pkg.name],
                reason=why[pkg.name],
                level=sub.level_of[pkg.name],
                order=position[pkg.name],
                priority=bottom[pkg.name],
                deps=sub.deps[pkg.name],
                pins=pins,
                stages=stages,
            )
        )
    packages = tuple(plans)
    return Plan(
        root=str(ws.root),
        packages=packages,
        skipped=tuple(skipped),
        levels=tuple(tuple(level) for level in sub.levels),
        critical_path=tuple(critical),
        smoke_test=smoke,
        tasks=task_specs(packages, smoke),
    )
