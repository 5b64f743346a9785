"""The internal dependency graph: topological levels, cycles with their path, critical path.

All algorithms are iterative and linear in nodes plus edges, so a 1000-package workspace
with a deep chain neither recurses nor slows down.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from releasekit.errors import GraphError


@dataclass(frozen=True)
class Graph:
    """``deps[node]`` are the nodes ``node`` depends on (edges point to dependencies)."""

    deps: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, deps: Mapping[str, Iterable[str]]) -> Graph:
        nodes = set(deps)
        clean = {n: tuple(sorted(d for d in set(deps[n]) if d in nodes and d != n)) for n in sorted(nodes)}
        return cls(clean)

    @property
    def nodes(self) -> list[str]:
        return list(self.deps)

    @cached_property
    def dependents(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {n: [] for n in self.deps}
        for node, deps in self.deps.items():
            for dep in deps:
                out[dep].append(node)
        return {n: tuple(sorted(v)) for n, v in out.items()}

    @property
    def edge_count(self) -> int:
        return sum(len(d) for d in self.deps.values())

    def find_cycle(self) -> list[str] | None:
        """One dependency cycle as a closed path ``[a, b, a]``, or None."""
        white, gray, black = 0, 1, 2
        color = dict.fromkeys(self.deps, white)
        for start in self.deps:
            if color[start] != white:
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            path: list[str] = [start]
            color[start] = gray
            while stack:
                node, index = stack[-1]
                deps = self.deps[node]
                if index < len(deps):
                    stack[-1] = (node, index + 1)
                    nxt = deps[index]
                    if color[nxt] == gray:
                        return [*path[path.index(nxt) :], nxt]
                    if color[nxt] == white:
                        color[nxt] = gray
                        stack.append((nxt, 0))
                        path.append(nxt)
                else:
                    color[node] = black
                    stack.pop()
                    path.pop()
        return None

    def entangled(self) -> list[list[str]]:
        """Components with more than one node (Kosaraju, iterative): each holds at least one cycle."""
        order: list[str] = []
        seen: set[str] = set()
        for start in self.deps:
            if start in seen:
                continue
            seen.add(start)
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self.deps[start]))]
            while stack:
                node, children = stack[-1]
                for child in children:
                    if child not in seen:
                        seen.add(child)
                        stack.append((child, iter(self.deps[child])))
                        break
                else:
                    stack.pop()
                    order.append(node)
        assigned: set[str] = set()
        components: list[list[str]] = []
        for start in reversed(order):
            if start in assigned:
                continue
            component = []
            todo = [start]
            assigned.add(start)
            while todo:
                node = todo.pop()
                component.append(node)
                for parent in self.dependents[node]:
                    if parent not in assigned:
                        assigned.add(parent)
                        todo.append(parent)
            if len(component) > 1:
                components.append(sorted(component))
        return sorted(components)

    def require_acyclic(self) -> None:
        cycle = self.find_cycle()
        if cycle:
            raise GraphError(
                "dependency cycle: " + " -> ".join(cycle),
                hint="break the cycle; a package cannot be published before its own dependencies",
            )

    @cached_property
    def levels(self) -> list[list[str]]:
        """Kahn's algorithm; a node's level is the length of its longest dependency chain."""
        remaining = {n: len(d) for n, d in self.deps.items()}
        level_of: dict[str, int] = {}
        queue = deque(sorted(n for n, count in remaining.items() if count == 0))
        for n in queue:
            level_of[n] = 0
        while queue:
            node = queue.popleft()
            for dependent in self.dependents[node]:
                level_of[dependent] = max(level_of.get(dependent, 0), level_of[node] + 1)
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    queue.append(dependent)
        if len(level_of) != len(self.deps):
            self.require_acyclic()
            raise AssertionError("unreachable: Kahn stalled without a cycle")  # pragma: no cover
        levels: list[list[str]] = [[] for _ in range(max(level_of.values(), default=-1) + 1)]
        for node in self.deps:
            levels[level_of[node]].append(node)
        return [sorted(level) for level in levels]

    def condensed_levels(self) -> list[list[str]]:
        """Levels that exist even with cycles: the members of a cycle share the level of their
        component (for drawing a graph that publish would refuse; :attr:`levels` raises)."""
        component = {n: n for n in self.deps}
        for members in self.entangled():
            for node in members:
                component[node] = members[0]
        edges: dict[str, list[str]] = {c: [] for c in component.values()}
        for node, deps in self.deps.items():
            edges[component[node]].extend(component[d] for d in deps)
        condensed = Graph.build(edges)
        level_of = condensed.level_of
        levels: list[list[str]] = [[] for _ in range(len(condensed.levels))]
        for node in self.deps:
            levels[level_of[component[node]]].append(node)
        return [sorted(level) for level in levels]

    @cached_property
    def level_of(self) -> dict[str, int]:
        return {n: i for i, level in enumerate(self.levels) for n in level}

    def order(self) -> list[str]:
        return [n for level in self.levels for n in level]

    def critical_path(self, weights: Mapping[str, float] | None = None) -> tuple[list[str], float]:
        """The heaviest dependency chain (weights default to 1 per node) and its weight."""
        best: dict[str, float] = {}
        via: dict[str, str | None] = {}
        for node in self.order():
            w = 1.0 if weights is None else float(weights.get(node, 1.0))
            prev = max(self.deps[node], key=lambda d: (best[d], d), default=None)
            best[node] = w + (best[prev] if prev is not None else 0.0)
            via[node] = prev
        if not best:
            return [], 0.0
        end = max(best, key=lambda n: (best[n], n))
        path: list[str] = []
        cursor: str | None = end
        while cursor is not None:
            path.append(cursor)
            cursor = via[cursor]
        return list(reversed(path)), best[end]

    def with_dependencies(self, names: Iterable[str]) -> set[str]:
        return self._closure(names, self.deps)

    def with_dependents(self, names: Iterable[str]) -> set[str]:
        return self._closure(names, self.dependents)

    @staticmethod
    def _closure(names: Iterable[str], edges: Mapping[str, tuple[str, ...]]) -> set[str]:
        seen = set(names)
        queue = deque(seen)
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    def subgraph(self, names: Iterable[str]) -> Graph:
        keep = set(names)
        return Graph.build({n: [d for d in self.deps[n] if d in keep] for n in self.deps if n in keep})
