"""Versions from commits: each package's history since its last tag -> its next version.

Rules (the README's "Versions from commits" section says the same; parsing is in
:mod:`releasekit.workflow.conventional`, the range of commits per package in :mod:`releasekit.workflow.history`):

* The bump of a package is the biggest its effective changes ask for; a breaking change gives
  ``workflow.breaking_on_0x`` (minor by default) while the major version is 0.
* ``--bump-type patch|minor|major`` gives that bump to every package with at least one
  commit in its range, conventional or not.
* A package whose internal dependency gets a new version gets ``workflow.dependent_bump``
  (patch by default), transitively: its published exact pin changes.
* Lockstep groups move together to one version: the biggest bump applied to the highest
  current version of the group.
* ``--prerelease LABEL`` turns each new version into the next ``aN``/``bN``/``rcN``/``.devN``
  of its series, with the counter moved past every existing tag of the series; without it, a
  prerelease with new changes is promoted to its final version (``--promote`` promotes even
  without changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.version import Version

from releasekit.backends.protocols import GitBackend
from releasekit.engine.plan import Plan, build_plan, release_set
from releasekit.errors import UsageError, WorkflowError
from releasekit.model.depgraph import workspace_graph
from releasekit.model.graph import Graph
from releasekit.model.selection import Selection, group_members
from releasekit.model.versions import (
    Bump,
    BumpKind,
    advance_counter,
    max_kind,
    next_version,
    parse_version,
    prerelease_bump,
)
from releasekit.model.workspace import Workspace
from releasekit.workflow.conventional import Change
from releasekit.workflow.history import PackageHistory, histories, require_history
from releasekit.workflow.tags import format_tag, package_tags

BUMP_TYPES = ("auto", "patch", "minor", "major")


@dataclass(frozen=True)
class Decision:
    """The next version of one package and why."""

    name: str
    current: str
    next: str | None
    kind: BumpKind | None
    reason: str
    history: PackageHistory | None
    dependency_updates: tuple[tuple[str, str], ...] = ()

    @property
    def released(self) -> bool:
        return self.next is not None and self.next != self.current


@dataclass(frozen=True)
class Analysis:
    decisions: dict[str, Decision]
    shown: tuple[str, ...]
    prerelease: str | None = None

    @property
    def versions(self) -> dict[str, str]:
        """``{package: next version}`` of every package that gets released."""
        return {n: d.next for n, d in self.decisions.items() if d.released and d.next is not None}

    def plan(self, ws: Workspace, *, smoke_test: bool | None = None, staged: bool | None = None) -> Plan:
        """The Plan with these versions: what `plan --from-commits` shows and `prepare` writes."""
        bumps = {n: Bump(exact=v) for n, v in self.versions.items()}
        reasons = {n: d.reason for n, d in self.decisions.items()}
        return build_plan(
            ws, Selection(packages=self.shown), bumps, reasons=reasons, smoke_test=smoke_test, staged=staged
        )


def _zero_rule(kind: BumpKind | None, current: str, breaking_on_0x: BumpKind) -> BumpKind | None:
    if kind == "major" and parse_version(current).release[0] == 0:
        return breaking_on_0x
    return kind


def _lockstep_sets(ws: Workspace, releasable: set[str]) -> list[tuple[str, set[str]]]:
    """Lockstep groups as disjoint member sets (groups sharing a member merge)."""
    sets: list[tuple[str, set[str]]] = []
    for group in ws.config.lockstep_groups:
        members = group_members(ws, group) & releasable
        if not members:
            continue
        merged_names = [group]
        for other_name, other in list(sets):
            if other & members:
                members |= other
                merged_names.append(other_name)
                sets.remove((other_name, other))
        sets.append(("+".join(sorted(merged_names)), members))
    return sets


def _summary(changes: Iterable[Change]) -> str:
    counts: dict[str, int] = {}
    for ch in changes:
        key = "breaking" if ch.breaking else ch.type
        if ch.kind is not None:
            counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: _ORDER.get(kv[0], 9)))


_ORDER = {"breaking": 0, "feat": 1, "fix": 2, "perf": 3, "revert": 4}


def _own_bumps(
    hist: Mapping[str, PackageHistory],
    current: Mapping[str, str | None],
    *,
    bump_type: str,
    promote: bool,
    breaking_on_0x: BumpKind,
) -> tuple[dict[str, BumpKind | None], dict[str, str]]:
    """Each package's bump from its own commits alone, and why."""
    kinds: dict[str, BumpKind | None] = {}
    reasons: dict[str, str] = {}
    for name in sorted(hist):
        h = hist[name]
        version = current[name] or "0"
        since = f"since {h.since_tag}" if h.since_tag else "in the whole history"
        kind: BumpKind | None = None
        if bump_type != "auto":
            if h.commits:
                kind = bump_type  # type: ignore[assignment]
                reasons[name] = f"--bump-type {bump_type}: {len(h.commits)} commit(s) {since}"
            else:
                reasons[name] = f"no commits {since}"
        else:
            kind = _zero_rule(max_kind(*(ch.kind for ch in h.changes)), version, breaking_on_0x)
            if kind is not None:
                zero = " (0.x rule)" if any(ch.breaking for ch in h.changes) and kind != "major" else ""
                reasons[name] = f"{_summary(h.changes)} {since} -> {kind}{zero}"
            elif h.commits:
                reasons[name] = f"{len(h.commits)} commit(s) {since}, none that releases"
            else:
                reasons[name] = f"no commits {since}"
        if kind is None and promote and parse_version(version).is_prerelease:
            kind = "patch"
            reasons[name] = f"--promote: finish the {current[name]} series"
        kinds[name] = kind
    return kinds, reasons


def _spread(
    kinds: dict[str, BumpKind | None],
    own_kind: Mapping[str, BumpKind | None],
    graph: Graph,
    lockstep: list[tuple[str, set[str]]],
    dep_kind: BumpKind | None,
) -> None:
    """Pass bumps on to dependents and lockstep partners in ``kinds`` until nothing changes."""

    def pull_in(name: str, kind: BumpKind | None) -> bool:
        """Raise ``name``'s bump to at least ``kind`` (and its own); True if anything changed."""
        new = max_kind(kinds.get(name), kind, own_kind[name])
        if name in kinds and new == kinds[name]:
            return False
        kinds[name] = new
        return True

    changed = True
    while changed:
        changed = False
        if dep_kind is not None:
            for node in graph.nodes:
                if set(graph.deps[node]) & set(kinds):
                    changed |= pull_in(node, dep_kind)
        for _group, members in lockstep:
            if members & set(kinds):
                top = max_kind(*(kinds.get(m) for m in members))
                for member in sorted(members):
                    changed |= pull_in(member, top)


def _next_versions(
    ws: Workspace,
    kinds: Mapping[str, BumpKind | None],
    lockstep: list[tuple[str, set[str]]],
    current: Mapping[str, str | None],
    prerelease: str | None,
    all_tags: list[str],
) -> dict[str, str]:
    """The version each bumped package moves to; a lockstep group shares one."""

    def existing(name: str) -> set[str]:
        return set(package_tags(ws.config, name, all_tags))

    def bump_for(kind: BumpKind | None) -> tuple[Bump, bool]:
        return prerelease_bump(kind, prerelease) if prerelease else (Bump(kind=kind), False)

    nexts: dict[str, str] = {}
    for _, members in lockstep:
        if not members & set(kinds):
            continue
        bump, numbered = bump_for(max_kind(*(kinds.get(m) for m in members)))
        version = next_version(max((current[m] or "0" for m in members), key=Version), bump)
        if not numbered:
            version = advance_counter(version, [v for m in members for v in existing(m)])
        nexts.update(dict.fromkeys(members, version))
    for name, kind in kinds.items():
        if name not in nexts:
            bump, numbered = bump_for(kind)
            version = next_version(current[name] or "0", bump)
            nexts[name] = version if numbered else advance_counter(version, existing(name))
    for name, version in sorted(nexts.items()):
        if version in existing(name):
            raise WorkflowError(
                f"{name} {version} is already tagged ({format_tag(ws.config, name, version)})",
                code="RK711",
                hint="that version was released before; choose another --prerelease number or bump type",
            )
    return nexts


def _check_arguments(bump_type: str, prerelease: str | None, promote: bool) -> None:
    if bump_type not in BUMP_TYPES:
        raise UsageError(f"unknown bump type {bump_type!r}", code="RK710", hint="use auto, patch, minor or major")
    if promote and prerelease:
        raise UsageError(
            "--promote and --prerelease contradict each other",
            code="RK710",
            hint="--promote finishes a prerelease series; --prerelease starts or continues one",
        )
    if prerelease:
        prerelease_bump(None, prerelease)  # reject a bad label before any work


def analyze(
    ws: Workspace,
    git: GitBackend,
    selection: Selection | None = None,
    *,
    bump_type: str = "auto",
    prerelease: str | None = None,
    promote: bool = False,
) -> Analysis:
    """Decide every selected package's next version from its commits (see the module docstring).

    The selection says which packages are considered for their own changes; dependents and
    lockstep partners they pull in are added (with their own changes too, so nothing
    unreleased is skipped by the new tag).
    """
    _check_arguments(bump_type, prerelease, promote)
    require_history(git)
    cfg = ws.config.workflow
    # Members outside the selection are read, never validated: a stale pin or an unknown
    # version elsewhere must not stop a release of the selection (their own plan checks them).
    candidates = [p.name for p in release_set(ws, selection or Selection()).included]
    releasable_set = release_set(ws)
    releasable = releasable_set.names
    current = {p.name: p.version for p in releasable_set.included}
    # Only dependency edges pass a bump on: an extra's pin never makes its dependent release
    # (with batteries extras, every plugin fix would re-release the core and then every plugin).
    graph: Graph = workspace_graph(ws).hard.subgraph(releasable)
    hist = histories(ws, git, sorted(releasable))
    own_kind, reasons = _own_bumps(
        hist, current, bump_type=bump_type, promote=promote, breaking_on_0x=cfg.breaking_on_0x
    )
    kinds = {n: own_kind[n] for n in candidates if own_kind[n] is not None}
    lockstep = _lockstep_sets(ws, releasable)
    dep_kind: BumpKind | None = None if cfg.dependent_bump == "none" else cfg.dependent_bump
    _spread(kinds, own_kind, graph, lockstep, dep_kind)
    nexts = _next_versions(ws, kinds, lockstep, current, prerelease, git.tags())

    lockstep_of = {m: group for group, members in lockstep for m in members}
    shown = tuple(sorted(set(candidates) | set(nexts)))
    decisions: dict[str, Decision] = {}
    for name in shown:
        deps = tuple(sorted((d, nexts[d]) for d in graph.deps.get(name, ()) if d in nexts))
        parts: list[str] = []
        if name in nexts:
            if own_kind[name] is not None:
                parts.append(reasons[name])
            elif dep_kind is not None and deps:
                parts.append(f"depends on {', '.join(d for d, _ in deps)} -> {dep_kind}")
            if name in lockstep_of:
                parts.append(f"lockstep group {lockstep_of[name]} -> {nexts[name]}")
            if prerelease:
                parts.append(f"prerelease {prerelease}")
        decisions[name] = Decision(
            name=name,
            current=current.get(name) or "",
            next=nexts.get(name),
            kind=kinds.get(name),
            reason="; ".join(parts) or reasons.get(name, ""),
            history=hist.get(name),
            dependency_updates=deps,
        )
    return Analysis(decisions=decisions, shown=shown, prerelease=prerelease)
