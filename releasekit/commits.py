"""Versions from history: Conventional Commits since each package's last tag -> next versions.

Rules (the README's "Versions from commits" section says the same):

* A commit belongs to the packages whose directories hold the files it touches; a file
  belongs to the deepest package directory containing it (so the root package only gets
  files no other member owns). Merge commits touch nothing themselves.
* The range of a package starts at the tag of its current version if that tag is reachable
  from HEAD, else at its highest reachable tag, else at the beginning of history.
* ``feat`` -> minor; ``fix``, ``perf`` and a revert of an already released commit -> patch;
  ``!`` or a ``BREAKING CHANGE:``/``BREAKING-CHANGE:`` footer -> major, or
  ``workflow.breaking_on_0x`` (minor by default) while the major version is 0. Other types
  (docs, chore, ci...) and non-conventional commits change nothing.
* A revert whose target is in the range cancels it, and both disappear; a revert of a revert
  restores the original.
* A commit whose subject is not conventional may carry its changes as ``* type: ...`` bullet
  lines in its body (GitHub's squash-merge format).
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

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.version import Version

from releasekit.backends.git import Commit, Git
from releasekit.depgraph import workspace_graph
from releasekit.errors import UsageError, WorkflowError
from releasekit.graph import Graph
from releasekit.plan import Plan, build_plan, release_set
from releasekit.selection import Selection
from releasekit.tags import format_tag, latest, package_tags
from releasekit.versions import (
    Bump,
    BumpKind,
    advance_counter,
    max_kind,
    next_version,
    parse_version,
    prerelease_bump,
)
from releasekit.workspace import Workspace

BUMP_TYPES = ("auto", "patch", "minor", "major")
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?"
    r":[ \t]+(?P<desc>\S.*?)\s*$"
)
_BULLET = re.compile(r"^\s*[*-]\s+(?P<header>.+?)\s*$")
_PR_SUFFIX = re.compile(r"\s*\(#(?P<pr>\d+)\)\s*$")
_MERGE_PR = re.compile(r"^Merge pull request #(?P<pr>\d+) ")
_GIT_REVERT = re.compile(r'^Revert "(?P<header>.*)"\s*$')
_REVERTS_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-fA-F]{7,40})")
_REFS_SHA = re.compile(r"^Refs?:\s*(?P<sha>[0-9a-fA-F]{7,40})\s*$", re.MULTILINE)
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<text>.*)$")
_FOOTER_TOKEN = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*(?::[ \t]| #)|BREAKING[ -]CHANGE:)")

#: Types that release something (breaking changes release whatever their type).
TYPE_BUMPS: dict[str, BumpKind] = {
    "feat": "minor",
    "fix": "patch",
    "perf": "patch",
    "revert": "patch",
}


@dataclass(frozen=True)
class Change:
    """One Conventional-Commit change; a commit carries one, or several as body bullets."""

    sha: str
    type: str
    scope: str | None
    description: str
    breaking: bool
    breaking_notes: tuple[str, ...] = ()
    pr: int | None = None
    author: str = ""
    reverts_sha: str | None = None
    reverts_header: str | None = None

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def is_revert(self) -> bool:
        return self.type == "revert"

    @property
    def kind(self) -> BumpKind | None:
        """The bump this change asks for, before the 0.x rule."""
        if self.breaking:
            return "major"
        return TYPE_BUMPS.get(self.type)


@dataclass(frozen=True)
class Header:
    type: str
    scope: str | None
    breaking: bool
    description: str


def parse_header(line: str) -> Header | None:
    """``type(scope)!: description`` -> Header; None if the line is not conventional."""
    match = _HEADER.match(line.strip())
    if not match:
        return None
    scope = match.group("scope")
    return Header(
        type=match.group("type").lower(),
        scope=scope.strip() or None if scope is not None else None,
        breaking=bool(match.group("bang")),
        description=match.group("desc"),
    )


def breaking_notes(body: str) -> tuple[str, ...]:
    """Every ``BREAKING CHANGE:`` footer's text ("" if it has none); a note runs to a blank
    line or the next footer."""
    notes: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        match = _BREAKING.match(line)
        if match:
            if current is not None:
                notes.append(" ".join(current).strip())
            current = [match.group("text").strip()]
            continue
        if current is not None:
            if not line.strip() or _FOOTER_TOKEN.match(line):
                notes.append(" ".join(current).strip())
                current = None
            else:
                current.append(line.strip())
    if current is not None:
        notes.append(" ".join(current).strip())
    return tuple(notes)


def _split_pr(description: str) -> tuple[str, int | None]:
    match = _PR_SUFFIX.search(description)
    if not match:
        return description, None
    return description[: match.start()].rstrip(), int(match.group("pr"))


def parse_message(sha: str, subject: str, body: str, author: str = "") -> tuple[Change, ...]:
    """Every change a commit message carries; () for a message that is not conventional."""
    subject = subject.strip()
    merge = _MERGE_PR.match(subject)
    merge_pr = int(merge.group("pr")) if merge else None
    reverted_sha = _REVERTS_SHA.search(body) or _REFS_SHA.search(body)
    git_revert = _GIT_REVERT.match(subject)
    if git_revert:
        inner = git_revert.group("header")
        inner_text, pr = _split_pr(inner)
        inner_header = parse_header(inner_text)
        return (
            Change(
                sha=sha,
                type="revert",
                scope=inner_header.scope if inner_header else None,
                description=inner_text,
                breaking=False,
                pr=pr,
                author=author,
                reverts_sha=reverted_sha.group("sha").lower() if reverted_sha else None,
                reverts_header=inner,
            ),
        )
    header = parse_header(subject)
    if header is not None:
        notes = breaking_notes(body)
        description, pr = _split_pr(header.description)
        reverts_header = None
        if header.type == "revert":
            reverts_header = description.strip().strip('"') or None
        return (
            Change(
                sha=sha,
                type=header.type,
                scope=header.scope,
                description=description,
                breaking=header.breaking or bool(notes),
                breaking_notes=tuple(n for n in notes if n),
                pr=pr if pr is not None else merge_pr,
                author=author,
                reverts_sha=reverted_sha.group("sha").lower()
                if header.type == "revert" and reverted_sha
                else None,
                reverts_header=reverts_header,
            ),
        )
    # Not conventional: a squash merge may list its commits as bullets in the body.
    changes: list[Change] = []
    _, subject_pr = _split_pr(subject)
    for line in body.splitlines():
        bullet = _BULLET.match(line)
        inner = parse_header(bullet.group("header")) if bullet else None
        if inner is None:
            continue
        description, pr = _split_pr(inner.description)
        changes.append(
            Change(
                sha=sha,
                type=inner.type,
                scope=inner.scope,
                description=description,
                breaking=inner.breaking,
                pr=pr or subject_pr or merge_pr,
                author=author,
            )
        )
    if changes and breaking_notes(body):
        notes = tuple(n for n in breaking_notes(body) if n)
        first = changes[0]
        changes[0] = dataclasses.replace(first, breaking=True, breaking_notes=notes)
    return tuple(changes)


def parse_commit(commit: Commit) -> tuple[Change, ...]:
    return parse_message(commit.sha, commit.subject, commit.body, commit.author)


def effective_changes(commits: Iterable[Commit]) -> tuple[list[Change], set[str]]:
    """Changes left after reverts cancel their targets, oldest first, and the cancelled shas.

    ``commits`` are newest first (git log order). Walking from the newest, a revert that is
    itself not cancelled cancels its target if the target is in the list, so a revert of a
    revert restores the original.
    """
    ordered = list(commits)
    parsed = {c.sha: parse_commit(c) for c in ordered}
    cancelled: set[str] = set()
    for index, commit in enumerate(ordered):
        if commit.sha in cancelled:
            continue
        for change in parsed[commit.sha]:
            if not change.is_revert:
                continue
            target = _find_target(change, ordered[index + 1 :], cancelled)
            if target is not None:
                cancelled.update({commit.sha, target.sha})
                break
    changes = [ch for c in reversed(ordered) if c.sha not in cancelled for ch in parsed[c.sha]]
    return changes, cancelled


def _find_target(revert: Change, older: list[Commit], cancelled: set[str]) -> Commit | None:
    for candidate in older:
        if candidate.sha in cancelled:
            continue
        if revert.reverts_sha and candidate.sha.lower().startswith(revert.reverts_sha):
            return candidate
    if revert.reverts_sha:
        return None
    if revert.reverts_header:
        wanted = _split_pr(revert.reverts_header.strip())[0]
        for candidate in older:
            if candidate.sha not in cancelled and _split_pr(candidate.subject.strip())[0] == wanted:
                return candidate
    return None


# --- history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageHistory:
    """What happened to one package since its last release tag."""

    name: str
    since_tag: str | None
    commits: tuple[Commit, ...]
    changes: tuple[Change, ...]
    cancelled: tuple[str, ...]


def owners(ws: Workspace, top: Path) -> list[tuple[str, str]]:
    """(directory relative to the repository top, package), deepest directory first."""
    out: list[tuple[str, str]] = []
    for pkg in ws.packages:
        rel = pkg.path.resolve().relative_to(top.resolve()).as_posix()
        out.append(("" if rel == "." else rel, pkg.name))
    return sorted(
        out, key=lambda item: (-len(PurePosixPath(item[0]).parts) if item[0] else 0, item[0])
    )


def owner_of(path: str, table: list[tuple[str, str]]) -> str | None:
    for directory, name in table:
        if not directory or path == directory or path.startswith(directory + "/"):
            return name
    return None


def require_history(git: Git) -> None:
    """Versions from commits need a full, non-shallow git history."""
    if not git.is_repo():
        raise UsageError(
            f"{git.cwd} is not inside a git repository",
            code="RK701",
            hint="versions from commits need git history; use --major/--minor/--patch without it",
        )
    if git.is_shallow():
        raise UsageError(
            "the git history is shallow, so the commits since each tag are incomplete",
            code="RK701",
            hint="run `git fetch --unshallow --tags` "
            "(in GitHub Actions: actions/checkout with fetch-depth: 0)",
        )


def last_tag(ws: Workspace, name: str, version: str, merged_tags: list[str]) -> str | None:
    """The release tag a package's range starts at (see the module docstring)."""
    mine = package_tags(ws.config, name, merged_tags)
    current = format_tag(ws.config, name, version)
    if current in mine.values():
        return current
    best = latest(mine)
    return mine[best] if best is not None else None


def histories(ws: Workspace, git: Git, names: Iterable[str]) -> dict[str, PackageHistory]:
    top = git.toplevel()
    table = owners(ws, top)
    merged = git.tags_merged("HEAD")
    out: dict[str, PackageHistory] = {}
    for name in names:
        pkg = ws.by_name[name]
        assert pkg.version is not None
        out[name] = history_since(ws, git, name, last_tag(ws, name, pkg.version, merged), table)
    return out


def history_since(
    ws: Workspace, git: Git, name: str, tag: str | None, table: list[tuple[str, str]] | None = None
) -> PackageHistory:
    """``name``'s commits and effective changes from ``tag`` (None: all history) to HEAD."""
    top = git.toplevel()
    table = owners(ws, top) if table is None else table
    rel = ws.by_name[name].path.resolve().relative_to(top.resolve()).as_posix()
    log = git.log(
        f"{tag}..HEAD" if tag else "HEAD", paths=[f":(top){rel}" if rel != "." else ":(top)"]
    )
    mine = [c for c in log if any(owner_of(f, table) == name for f in c.files)]
    changes, cancelled = effective_changes(mine)
    return PackageHistory(name, tag, tuple(mine), tuple(changes), tuple(sorted(cancelled)))


# --- next versions -------------------------------------------------------------------------


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
    notes: tuple[str, ...] = field(default=())

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
    from releasekit.selection import group_members

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
    return ", ".join(
        f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: _ORDER.get(kv[0], 9))
    )


_ORDER = {"breaking": 0, "feat": 1, "fix": 2, "perf": 3, "revert": 4}


def analyze(
    ws: Workspace,
    git: Git,
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
    if bump_type not in BUMP_TYPES:
        raise UsageError(
            f"unknown bump type {bump_type!r}", code="RK710", hint="use auto, patch, minor or major"
        )
    if promote and prerelease:
        raise UsageError(
            "--promote and --prerelease contradict each other",
            code="RK710",
            hint="--promote finishes a prerelease series; --prerelease starts or continues one",
        )
    if prerelease:
        prerelease_bump(None, prerelease)  # reject a bad label before any work
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
    all_tags = git.tags()

    def existing(name: str) -> set[str]:
        return set(package_tags(ws.config, name, all_tags))

    own_kind: dict[str, BumpKind | None] = {}
    reasons: dict[str, str] = {}
    for name in sorted(releasable):
        h = hist[name]
        since = f"since {h.since_tag}" if h.since_tag else "in the whole history"
        kind: BumpKind | None = None
        if bump_type != "auto":
            if h.commits:
                kind = bump_type  # type: ignore[assignment]
                reasons[name] = f"--bump-type {bump_type}: {len(h.commits)} commit(s) {since}"
            else:
                reasons[name] = f"no commits {since}"
        else:
            kind = _zero_rule(
                max_kind(*(ch.kind for ch in h.changes)), current[name] or "0", cfg.breaking_on_0x
            )
            if kind is not None:
                zero = (
                    " (0.x rule)"
                    if any(ch.breaking for ch in h.changes) and kind != "major"
                    else ""
                )
                reasons[name] = f"{_summary(h.changes)} {since} -> {kind}{zero}"
            elif h.commits:
                reasons[name] = f"{len(h.commits)} commit(s) {since}, none that releases"
            else:
                reasons[name] = f"no commits {since}"
        if kind is None and promote and parse_version(current[name] or "0").is_prerelease:
            kind = "patch"
            reasons[name] = f"--promote: finish the {current[name]} series"
        own_kind[name] = kind

    kinds: dict[str, BumpKind | None] = {
        n: own_kind[n] for n in candidates if own_kind[n] is not None
    }
    lockstep = _lockstep_sets(ws, releasable)
    dep_kind: BumpKind | None = None if cfg.dependent_bump == "none" else cfg.dependent_bump

    lockstep_of = {m: group for group, members in lockstep for m in members}

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

    def bump_for(kind: BumpKind | None) -> tuple[Bump, bool]:
        if prerelease:
            return prerelease_bump(kind, prerelease)
        return Bump(kind=kind), False

    nexts: dict[str, str] = {}
    for _, members in lockstep:
        if not members & set(kinds):
            continue
        bump, numbered = bump_for(max_kind(*(kinds.get(m) for m in members)))
        highest = max((current[m] or "0" for m in members), key=Version)
        version = next_version(highest, bump)
        if not numbered:
            version = advance_counter(version, [v for m in members for v in existing(m)])
        for member in members:
            nexts[member] = version
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
                hint="that version was released before; "
                "choose another --prerelease number or bump type",
            )

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
        reason = "; ".join(parts) or reasons.get(name, "")
        decisions[name] = Decision(
            name=name,
            current=current.get(name) or "",
            next=nexts.get(name),
            kind=kinds.get(name),
            reason=reason,
            history=hist.get(name),
            dependency_updates=deps,
        )
    return Analysis(decisions=decisions, shown=shown, prerelease=prerelease)


def describe_changes(decisions: Mapping[str, Decision]) -> list[str]:
    """One line per released package: ``name current -> next (reason)``."""
    return [
        f"{d.name} {d.current} -> {d.next} ({d.reason})" for d in decisions.values() if d.released
    ]
