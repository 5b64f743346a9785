"""The workspace's internal edges, each with its kind and where it is written.

Edges have kinds (notes/real-workspaces.md §1, §8):
- ``dependency``: a requirement in ``[project.dependencies]``. It gates uploads (nothing is
  installable before what it needs is live) and a cycle of them is an error.
- ``extra:<name>``: a requirement in ``[project.optional-dependencies] <name>``. It is pinned
  exactly at build like any other, ordered before its dependent when that closes no cycle, and
  never gates: ``pip install core[openai]`` resolves the extra only when someone asks for it,
  so ``core`` can be published before the plugin that depends on it.
- dependency groups (``[dependency-groups]``, ``tool.uv.dev-dependencies``) are never published
  and are not edges at all.

:class:`WorkspaceGraph` keeps two :class:`~releasekit.model.graph.Graph` views: ``hard`` (dependency
edges: gating and cycle errors) and ``order`` (hard edges plus the extra edges that close no
cycle: publish order, levels, priorities).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from releasekit.errors import GraphError
from releasekit.model.graph import Graph
from releasekit.model.workspace import Workspace

DEPENDENCY = "dependency"


@dataclass(frozen=True)
class Edge:
    """``source`` requires ``target`` (both normalized member names)."""

    source: str
    target: str
    kind: str  # "dependency" | "extra:<name>"
    requirement: str
    file: str  # the dependent's pyproject.toml, relative to the workspace root
    table: str  # "[project.dependencies]", "[project.optional-dependencies] openai", ...

    @property
    def gates(self) -> bool:
        return self.kind == DEPENDENCY

    @property
    def extra(self) -> str | None:
        return self.kind.split(":", 1)[1] if self.kind.startswith("extra:") else None

    def where(self) -> str:
        return f"{self.file} {self.table} {self.requirement!r}"

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "kind": self.kind,
            "requirement": self.requirement,
            "file": self.file,
            "table": self.table,
        }


@dataclass(frozen=True)
class WorkspaceGraph:
    """Every internal edge of the workspace, and the graphs derived from them."""

    nodes: tuple[str, ...]
    #: One edge per (source, target): the gating kind wins over an extra.
    edges: tuple[Edge, ...]

    @cached_property
    def _by_pair(self) -> dict[tuple[str, str], Edge]:
        return {(e.source, e.target): e for e in self.edges}

    def edge(self, source: str, target: str) -> Edge | None:
        return self._by_pair.get((source, target))

    @cached_property
    def hard(self) -> Graph:
        """Dependency edges only: what gates uploads and what can make a cycle error."""
        deps: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in self.edges:
            if e.gates:
                deps[e.source].append(e.target)
        return Graph.build(deps)

    @cached_property
    def pinned(self) -> Graph:
        """Every edge, extras included (may hold cycles): what a build pins exactly."""
        deps: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in self.edges:
            deps[e.source].append(e.target)
        return Graph.build(deps)

    @cached_property
    def _ordering(self) -> tuple[Graph, tuple[Edge, ...]]:
        deps: dict[str, set[str]] = {n: set(self.hard.deps[n]) for n in self.nodes}
        dropped: list[Edge] = []
        for e in sorted((e for e in self.edges if not e.gates), key=lambda e: (e.source, e.target)):
            if _reaches(deps, e.target, e.source):
                dropped.append(e)  # it would close a cycle: order ignores it, it never gates
            else:
                deps[e.source].add(e.target)
        return Graph.build(deps), tuple(dropped)

    @property
    def order(self) -> Graph:
        """Hard edges plus every extra edge that closes no cycle: publish order and levels."""
        return self._ordering[0]

    @property
    def extras_closing_cycles(self) -> tuple[Edge, ...]:
        """Extra edges left out of :attr:`order` because they close a cycle."""
        return self._ordering[1]

    def hard_cycle(self) -> list[str] | None:
        return self.hard.find_cycle()

    def cycle_edges(self, cycle: Sequence[str]) -> list[Edge]:
        """The edges along a closed path ``[a, b, ..., a]``."""
        found = []
        for source, target in itertools.pairwise(cycle):
            edge = self.edge(source, target)
            if edge is not None:
                found.append(edge)
        return found

    def cycle_error(self, cycle: Sequence[str]) -> GraphError:
        edges = self.cycle_edges(cycle)
        first = edges[0] if edges else None
        return GraphError(
            "dependency cycle: "
            + " -> ".join(cycle)
            + " ("
            + "; ".join(f"{e.source} -> {e.target}: {e.where()}" for e in edges)
            + ")",
            path=first.file if first else None,
            hint="a package cannot be published before its own dependencies: remove one of these "
            "requirements, move it to an extra ([project.optional-dependencies]), or move the "
            "shared code into a new package",
        )

    def require_acyclic(self, within: Iterable[str] | None = None) -> None:
        """Raise RK107 for a cycle of dependency edges (among ``within``, default all)."""
        graph = self.hard if within is None else self.hard.subgraph(within)
        cycle = graph.find_cycle()
        if cycle:
            raise self.cycle_error(cycle)

    def extra_cycles(self) -> list[tuple[Edge, list[str]]]:
        """Each extra edge that closes a cycle, with the cycle it closes ``[a, ..., a]``."""
        out = []
        for e in self.extras_closing_cycles:
            back = _path(self.order.deps, e.target, e.source)
            out.append((e, [e.source, *back]))
        return out


def _reaches(deps: Mapping[str, Iterable[str]], start: str, goal: str) -> bool:
    """Whether ``goal`` is reachable from ``start``: a plain DFS, since no path is shown (the
    ordering asks this once per extra edge, so it is kept cheaper than :func:`_path`)."""
    if start == goal:
        return True
    seen = {start}
    stack = [start]
    while stack:
        for dep in deps.get(stack.pop(), ()):
            if dep == goal:
                return True
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return False


def _path(deps: Mapping[str, Iterable[str]], start: str, goal: str) -> list[str]:
    """A dependency path ``[start, ..., goal]``, or [] when there is none (iterative BFS)."""
    if start == goal:
        return [start]
    via: dict[str, str] = {start: start}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for node in frontier:
            for dep in sorted(deps.get(node, ())):
                if dep in via:
                    continue
                via[dep] = node
                if dep == goal:
                    path = [goal]
                    while path[-1] != start:
                        path.append(via[path[-1]])
                    return list(reversed(path))
                nxt.append(dep)
        frontier = nxt
    return []


def workspace_graph(ws: Workspace) -> WorkspaceGraph:
    """The internal edges of ``ws`` with their kinds (self-references are not edges)."""
    edges: dict[tuple[str, str], Edge] = {}
    for pkg in ws.packages:
        file = ws.relative(pkg.manifest)
        for dep in pkg.dependencies:
            if not dep.internal or dep.name == pkg.name:
                continue
            key = (pkg.name, dep.name)
            known = edges.get(key)
            if known is not None and (known.gates or dep.kind != DEPENDENCY):
                continue
            edges[key] = Edge(pkg.name, dep.name, dep.kind, dep.raw, file, dep.table)
    return WorkspaceGraph(
        nodes=tuple(p.name for p in ws.packages),
        edges=tuple(edges[k] for k in sorted(edges)),
    )
