"""Which members a command is about, and which of them are released.

One selection, honoured alike by discover, graph, check, preflight, plan, publish, bump and
prepare (notes/real-workspaces.md §5, §6):
- ``-p/--package``, ``-g/--group``, ``--with-deps``, ``--with-dependents`` choose members;
- a member is *released* unless it is not publishable (``Private :: Do Not Upload``,
  ``[tool.uv] package = false``, no ``[build-system]``, its own ``[tool.releasekit] publish =
  false``) or the root's ``[tool.releasekit] exclude`` names it (a name glob, or a path glob
  when the pattern holds a ``/``).
A problem in a member outside the selection never fails a command about the selection.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from releasekit.errors import UsageError
from releasekit.model.depgraph import WorkspaceGraph
from releasekit.model.package import Package
from releasekit.model.workspace import Workspace
from releasekit.support.suggest import did_you_mean, listed


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


#: The default selection: every member.
EVERYTHING = Selection()


def _normalize_pattern(pattern: str) -> str:
    # PEP 503 normalization that leaves the glob characters alone: `Acme_*` -> `acme-*`.
    return re.sub(r"[-_.]+", "-", pattern).lower()


def matching_pattern(pkg: Package, patterns: Iterable[str]) -> str | None:
    """The first pattern naming ``pkg``: a name glob in any case and separator style, or a path
    glob (it holds a ``/``) matched against the member's path relative to the workspace root."""
    for pattern in patterns:
        if "/" in pattern:
            if fnmatch.fnmatchcase(pkg.relpath, pattern.strip("/")):
                return pattern
        elif fnmatch.fnmatchcase(pkg.name, _normalize_pattern(pattern)):
            return pattern
    return None


def group_members(ws: Workspace, group: str) -> set[str]:
    groups = ws.config.groups
    if group not in groups:
        hint = did_you_mean(
            group, groups, listed("groups", sorted(groups)) if groups else "define groups in [tool.releasekit.groups]"
        )
        raise UsageError(f"no release group named {group!r}", hint=hint, code="RK131")
    return {p.name for p in ws.packages if matching_pattern(p, groups[group])}


def select(ws: Workspace, graph: WorkspaceGraph, selection: Selection) -> set[str]:
    """The chosen member names.

    ``--with-deps`` adds everything the selection's builds pin (extras included: a pin must
    name a version that exists); ``--with-dependents`` adds what needs the selection through
    dependency edges (an extra's pin never makes its dependent release, like in `prepare`).
    """
    chosen: set[str]
    if selection.everything:
        chosen = {p.name for p in ws.packages}
    else:
        chosen = {ws.get(name).name for name in selection.packages}
        for group in selection.groups:
            chosen |= group_members(ws, group)
    if selection.with_deps:
        chosen = graph.pinned.with_dependencies(chosen)
    if selection.with_dependents:
        chosen = graph.hard.with_dependents(chosen)
    return chosen


def unreleased_reason(ws: Workspace, pkg: Package) -> str:
    """Why ``pkg`` is never released ("" when it is): the one rule every command applies."""
    if not pkg.publishable:
        return f"not publishable: {pkg.unpublishable_reason}"
    pattern = matching_pattern(pkg, ws.config.exclude)
    if pattern is not None:
        return f"excluded by [tool.releasekit] exclude {pattern!r}"
    return ""


def released(ws: Workspace, names: Iterable[str] | None = None) -> list[Package]:
    """The released members among ``names`` (default: all), in workspace order."""
    wanted = None if names is None else set(names)
    return [p for p in ws.packages if (wanted is None or p.name in wanted) and not unreleased_reason(ws, p)]
