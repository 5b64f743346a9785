"""The Plan: one plain value saying what a release will do, package by package and task by task.

``releasekit plan``, ``releasekit publish``, ``doit list`` and the JSON output all render or
execute this value, so the preview is exactly what runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from releasekit.engine import stages
from releasekit.engine.dispatch import bottom_levels
from releasekit.engine.stages import GATE
from releasekit.errors import UsageError, VersionError
from releasekit.model import tomlio
from releasekit.model.depgraph import WorkspaceGraph, workspace_graph
from releasekit.model.dynamic import unknown_error
from releasekit.model.package import Package
from releasekit.model.selection import EVERYTHING, Selection, select, unreleased_reason
from releasekit.model.versions import Bump, admits, next_version
from releasekit.model.workspace import Workspace

SCHEMA = "releasekit.plan/1"


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
    #: The staged gate runs: everything is built and proven on a throwaway index first.
    staged: bool = False

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
            "staged": self.staged,
            "tasks": [t.to_json() for t in self.tasks],
        }


@dataclass(frozen=True)
class ReleaseSet:
    """The chosen members split into those released and those skipped (with why)."""

    included: tuple[Package, ...]
    skipped: tuple[Skipped, ...]

    @property
    def names(self) -> set[str]:
        return {p.name for p in self.included}


def release_set(ws: Workspace, selection: Selection = EVERYTHING, graph: WorkspaceGraph | None = None) -> ReleaseSet:
    """Who a release of ``selection`` publishes. Nothing about members outside it is checked.

    A member named with ``-p`` that is never released is bad input (RK148): the command would
    otherwise say it did something it did not. Members pulled in by a group or by
    ``--with-deps``/``--with-dependents`` are just listed as skipped.
    """
    chosen = select(ws, graph or workspace_graph(ws), selection)
    named = {ws.get(n).name for n in selection.packages}
    included: list[Package] = []
    skipped: list[Skipped] = []
    for pkg in ws.packages:
        if pkg.name not in chosen:
            continue
        reason = unreleased_reason(ws, pkg)
        if reason and pkg.name in named:
            raise UsageError(
                f"{pkg.name} is never released: {reason}",
                path=pkg.manifest,
                code="RK148",
                hint=f"drop `-p {pkg.name}`, or change what keeps it off the index",
            )
        if reason:
            skipped.append(Skipped(pkg.name, pkg.version, reason))
        else:
            included.append(pkg)
    return ReleaseSet(tuple(included), tuple(skipped))


def _require_version(pkg: Package, dependent: Package | None = None) -> str:
    if pkg.version is not None:
        return pkg.version
    unknown = unknown_error(pkg)
    if unknown is not None:
        raise unknown
    what = f"{dependent.name} depends on {pkg.name}, whose" if dependent else f"{pkg.name}'s"
    raise VersionError(
        f"{what} version is dynamic and unknown, so releasekit cannot pin, poll or verify it",
        path=pkg.manifest,
        code="RK140",
        hint=f"give {pkg.name} a static [project].version, or exclude it in [tool.releasekit]",
    )


def plan_stages(smoke_test: bool, staged: bool) -> tuple[str, ...]:
    """The stages each package of a plan goes through."""
    return tuple(s.name for s in stages.used(smoke_test, staged) if s.per_package)


def task_specs(packages: tuple[PackagePlan, ...], smoke_test: bool, staged: bool = False) -> tuple[TaskSpec, ...]:
    """Every doit task of the plan with its dependencies, by the rules of the stage table.

    Staged: build -> stage (once each dependency is staged) -> trial -> the one gate (once
    every trial passed) -> upload -> poll -> verify -> publish. Unstaged: build -> upload (once
    what it needs is live and proven: verified, and smoke-tested when that runs) -> poll ->
    verify -> smoke -> publish. Probes run at once; an extra never gates anything.
    """
    used = stages.used(smoke_test, staged)
    present = {s.name for s in used}
    proven = stages.proving_stage(used)

    def task(stage: str, package: str) -> str:
        stage = proven if stage == stages.PROVEN else stage
        return stage if stage == GATE else f"{stage}:{package}"

    specs: list[TaskSpec] = []
    for pkg in packages:
        for stage in (s for s in used if s.per_package):
            own = tuple(task(n, pkg.name) for n in stage.needs if n in present or n == stages.PROVEN)
            deps = tuple(task(stage.needs_of_deps, d) for d in pkg.deps) if stage.needs_of_deps else ()
            specs.append(TaskSpec(f"{stage.name}:{pkg.name}", stage.name, pkg.name, own + deps))
    if GATE in present:
        specs.append(TaskSpec(GATE, GATE, "", tuple(f"trial:{p.name}" for p in packages)))
    return tuple(specs)


def _require_admitted(ws: Workspace, pkg: Package, pins: Mapping[str, str]) -> None:
    """Each pin must satisfy what the package declares: pinning ``a>=2`` to ``a==1.0.0`` for the
    build would publish a wheel that silently drops its author's constraint.

    Only pins at a version as written are checked; a version this plan bumps is admitted by
    `bump`, which widens the dependents' specifiers when it writes the new version.
    """
    for dep in pkg.dependencies:
        version = pins.get(dep.name)
        as_written = version is not None and version == ws.by_name[dep.name].version
        if dep.internal and as_written and dep.origin == "backend" and not _exactly(dep.specifier, version or ""):
            raise VersionError(
                f"{pkg.name}'s build backend computes the requirement {dep.raw!r}, which is not exactly "
                f"=={version}, the {dep.name} being released; releasekit cannot pin what the backend computes",
                path=pkg.manifest,
                code="RK146",
                hint=f"have the backend pin it exactly (a lockstep hook writing {dep.name}=={{version}}), or "
                "declare the dependency statically in [project].dependencies so releasekit pins it at build",
            )
        if not dep.internal or version is None or not dep.specifier or version != ws.by_name[dep.name].version:
            continue
        if not admits(dep.specifier, version):
            raise VersionError(
                f"{pkg.name} requires {dep.raw!r} in {dep.table}, which the workspace's {dep.name} "
                f"{version} does not satisfy; the build would pin it to =={version} anyway",
                path=pkg.manifest,
                line=_line_of(pkg, dep.raw),
                code="RK143",
                hint=f"change it to admit {dep.name} {version} (or bump {dep.name} to a version it admits), "
                f"or leave {pkg.name} out of this release (-p/-g, or [tool.releasekit] exclude)",
            )


def _exactly(specifier: str, version: str) -> bool:
    try:
        (only,) = list(SpecifierSet(specifier))
        return only.operator in ("==", "===") and Version(only.version) == Version(version)
    except (ValueError, InvalidSpecifier, InvalidVersion):
        return False


def _line_of(pkg: Package, needle: str) -> int | None:
    """The line of ``needle`` in ``pkg``'s manifest, for an error message (read on that path only)."""
    try:
        return tomlio.line_of_text(pkg.manifest.read_text(encoding="utf-8"), needle)
    except (OSError, UnicodeDecodeError):
        return None


def build_plan(
    ws: Workspace,
    selection: Selection = EVERYTHING,
    bumps: Mapping[str, Bump] | None = None,
    *,
    smoke_test: bool | None = None,
    staged: bool | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Plan:
    """Compute the release plan. ``bumps`` maps package names to bumps (missing = as written).

    Whatever would stop ``publish`` stops here first, with the same code and message: a
    dependency cycle among the released members (RK107), a version releasekit cannot know
    (RK140), a pin the dependent's own requirement excludes (RK143).
    """
    graph = workspace_graph(ws)
    chosen = release_set(ws, selection, graph)
    included = chosen.included
    smoke = ws.config.smoke_test if smoke_test is None else smoke_test
    stage = smoke and (ws.config.publish.stage if staged is None else staged)
    names = chosen.names
    graph.require_acyclic(within=names)
    for pkg in included:  # a released member whose computed metadata is unknown: never "no deps"
        problem = unknown_error(pkg)
        if problem is not None:
            raise problem
    bumps = bumps or {}
    unknown = [n for n in bumps if n not in names]
    if unknown:
        pkg = ws.get(unknown[0])
        raise UsageError(
            f"cannot bump {pkg.name}: {unreleased_reason(ws, pkg) or 'it is not selected'}",
            code="RK148" if unreleased_reason(ws, pkg) else "RK130",
            hint="select it or remove it from the command",
        )

    next_versions: dict[str, str] = {}
    why: dict[str, str] = {}
    for pkg in included:
        version = _require_version(pkg)
        bump = bumps.get(pkg.name)
        if bump is not None and not bump.empty:
            next_versions[pkg.name] = next_version(version, bump)
            why[pkg.name] = (reasons or {}).get(pkg.name, f"bump: {bump.describe()}")
        else:
            next_versions[pkg.name] = version
            written = pkg.version_from or "version in pyproject.toml"
            why[pkg.name] = (reasons or {}).get(pkg.name, written)

    gating = graph.hard.subgraph(names)
    # Publish order, levels and priority follow the hard edges plus the extras that close no
    # cycle; only the hard edges gate uploads (an extra is resolved only when asked for).
    ordering = graph.order.subgraph(names)
    critical, _ = ordering.critical_path()
    # Priority = longest chain of dependents below a package (its "bottom level"): packages
    # that gate the most work come first among their stage's tasks.
    bottom = bottom_levels(ordering.deps, weight_of=lambda _: 1.0)
    order = ordering.order()
    position = {n: i for i, n in enumerate(order)}

    plans: list[PackagePlan] = []
    for pkg in sorted(included, key=lambda p: position[p.name]):
        pins: dict[str, str] = {}
        for dep in pkg.pin_targets:
            pins[dep] = next_versions[dep] if dep in next_versions else _require_version(ws.by_name[dep], pkg)
        _require_admitted(ws, pkg, pins)
        stages = plan_stages(smoke, stage)
        plans.append(
            PackagePlan(
                name=pkg.name,
                declared_name=pkg.declared_name,
                path=pkg.relpath,
                version=pkg.version or "",
                next_version=next_versions[pkg.name],
                reason=why[pkg.name],
                level=ordering.level_of[pkg.name],
                order=position[pkg.name],
                priority=bottom[pkg.name],
                deps=gating.deps[pkg.name],
                pins=pins,
                stages=stages,
            )
        )
    packages = tuple(plans)
    return Plan(
        root=str(ws.root),
        packages=packages,
        skipped=chosen.skipped,
        levels=tuple(tuple(level) for level in ordering.levels),
        critical_path=tuple(critical),
        smoke_test=smoke,
        tasks=task_specs(packages, smoke, stage),
        staged=stage,
    )
