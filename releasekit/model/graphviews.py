"""`releasekit graph` renderings: levels, json, dot, mermaid, table, ascii.

A graph is always drawn, cycles included: a user looking for the cycle publish refuses must be
able to see it. Edges carry their kind; extras are drawn differently from dependencies and
never count as a cycle.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from releasekit.model.depgraph import Edge, WorkspaceGraph
from releasekit.model.graph import Graph
from releasekit.model.workspace import Workspace
from releasekit.support.render import table, table_width, to_json

GRAPH_FORMATS = ("levels", "json", "dot", "mermaid", "table", "ascii")


@dataclass(frozen=True)
class View:
    """The part of the workspace graph a command shows (a selection), ready to draw."""

    ws: Workspace
    order: Graph  # hard edges plus the extras that close no cycle, among the shown nodes
    edges: tuple[Edge, ...]
    cycles: tuple[tuple[str, ...], ...]  # closed paths of dependency edges: publish refuses them
    extra_cycles: tuple[tuple[Edge, tuple[str, ...]], ...]

    @property
    def levels(self) -> list[list[str]]:
        return self.order.condensed_levels()

    def level_of(self) -> dict[str, int]:
        return {n: i for i, level in enumerate(self.levels) for n in level}

    def nodes(self) -> list[str]:
        return [n for level in self.levels for n in level]

    def label(self, name: str) -> str:
        return f"{name} {self.ws.by_name[name].version or '(dynamic)'}"

    @cached_property
    def _out(self) -> dict[str, list[Edge]]:
        found: dict[str, list[Edge]] = {}
        for e in self.edges:
            found.setdefault(e.source, []).append(e)
        return found

    @cached_property
    def _in(self) -> dict[str, list[Edge]]:
        found: dict[str, list[Edge]] = {}
        for e in self.edges:
            found.setdefault(e.target, []).append(e)
        return found

    def out_edges(self, name: str) -> list[Edge]:
        return self._out.get(name, [])

    def in_edges(self, name: str) -> list[Edge]:
        return self._in.get(name, [])


def view(ws: Workspace, graph: WorkspaceGraph, names: Collection[str]) -> View:
    keep = set(names)
    hard = graph.hard.subgraph(keep)
    cycles = []
    for component in hard.entangled():
        cycle = hard.subgraph(component).find_cycle()
        if cycle:
            cycles.append(tuple(cycle))
    order = graph.order.subgraph(keep)
    return View(
        ws=ws,
        order=order,
        edges=tuple(e for e in graph.edges if e.source in keep and e.target in keep),
        cycles=tuple(cycles),
        extra_cycles=tuple((e, tuple(c)) for e, c in graph.extra_cycles() if e.source in keep and set(c) <= keep),
    )


def _marked(edge: Edge) -> str:
    return edge.target if edge.gates else f"{edge.target} [{edge.extra}]"


def render(v: View, fmt: str) -> str:
    return {
        "json": _json,
        "levels": _levels,
        "table": _table,
        "dot": _dot,
        "mermaid": _mermaid,
        "ascii": _ascii,
    }[fmt](v)


def _notes(v: View) -> str:
    """Cycles (publish refuses them) and extras pointing back (fine), wrapped to the table width."""
    lines = [f"cycle of dependencies (publish refuses it): {' -> '.join(cycle)}" for cycle in v.cycles]
    back: dict[str, list[str]] = {}
    for edge, _ in v.extra_cycles:
        back.setdefault(edge.source, []).append(f"[{edge.extra}] {edge.target}")
    for source, targets in back.items():
        lines.append(
            f"extras of {source} point back at packages that depend on it (not a cycle, an extra "
            f"never gates): {', '.join(targets)}"
        )
    width = table_width()
    return "".join(
        "\n".join(textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False)) + "\n" for line in lines
    )


def _json(v: View) -> str:
    level_of = v.level_of()
    critical = v.order.critical_path()[0] if not v.cycles else []
    return to_json(
        {
            "nodes": [
                {
                    "name": n,
                    "version": v.ws.by_name[n].version,
                    "level": level_of[n],
                    "deps": [e.target for e in v.out_edges(n) if e.gates],
                    "extra_deps": [e.target for e in v.out_edges(n) if not e.gates],
                    "dependents": [e.source for e in v.in_edges(n) if e.gates],
                }
                for n in v.nodes()
            ],
            "edges": [e.to_json() for e in v.edges],
            "levels": v.levels,
            "critical_path": critical,
            "cycles": [list(c) for c in v.cycles],
            "extra_cycles": [{"edge": e.to_json(), "path": list(c)} for e, c in v.extra_cycles],
        }
    )


def _levels(v: View) -> str:
    width = table_width()
    text = "".join(
        "\n".join(
            textwrap.wrap(
                f"level {i}: {', '.join(v.label(n) for n in level)}",
                width,
                subsequent_indent="  ",
                break_on_hyphens=False,
            )
        )
        + "\n"
        for i, level in enumerate(v.levels)
    )
    return text + _notes(v)


def _table(v: View) -> str:
    level_of = v.level_of()
    rows = [
        (
            level_of[n],
            n,
            v.ws.by_name[n].version or "(dynamic)",
            ", ".join(_marked(e) for e in v.out_edges(n)) or "-",
            ", ".join(e.source if e.gates else f"{e.source} [{e.extra}]" for e in v.in_edges(n)) or "-",
        )
        for n in v.nodes()
    ]
    return table(("level", "package", "version", "depends on", "needed by"), rows, shrink=(4, 3)) + _notes(v)


def _dot(v: View) -> str:
    in_cycle = {(a, b) for c in v.cycles for a, b in itertools.pairwise(c)}
    lines = ["digraph workspace {", "  rankdir=BT;", '  node [shape=box, fontname="Helvetica"];']
    for i, level in enumerate(v.levels):
        members = " ".join(f'"{n}"' for n in level)
        lines.append(f"  {{ rank=same; {members} }}  // level {i}")
    for n in v.nodes():
        lines.append(f'  "{n}" [label="{v.label(n)}"];')
        for e in v.out_edges(n):
            style = [] if e.gates else ["style=dashed", f'label="extra {e.extra}"']
            if (e.source, e.target) in in_cycle:
                style.append("color=red")
            attrs = f" [{', '.join(style)}]" if style else ""
            lines.append(f'  "{e.source}" -> "{e.target}"{attrs};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(v: View) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(v.nodes())}
    lines = ["graph BT"]
    lines.extend(f'  {ids[n]}["{v.label(n)}"]' for n in v.nodes())
    for e in v.edges:
        arrow = "-->" if e.gates else f"-. extra {e.extra} .->"
        lines.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
    return "\n".join(lines) + "\n"


def _ascii(v: View) -> str:
    """Each package of level 0 with the tree of packages that depend on it (extras marked)."""
    out: list[str] = []
    shown: set[str] = set()

    def children_of(name: str, prefix: str) -> list[tuple[str, str, bool, str]]:
        kids = [(e.source, "" if e.gates else f" [via extra {e.extra}]") for e in v.in_edges(name)]
        return [(kid, prefix, i == len(kids) - 1, how) for i, (kid, how) in reversed(list(enumerate(kids)))]

    for root in v.levels[0] if v.levels else []:
        out.append(v.label(root))
        shown.add(root)
        stack = children_of(root, "")
        while stack:
            name, prefix, last, how = stack.pop()
            branch = "└── " if last else "├── "
            if name in shown:
                out.append(f"{prefix}{branch}{v.label(name)}{how} (see above)")
                continue
            shown.add(name)
            out.append(f"{prefix}{branch}{v.label(name)}{how}")
            stack.extend(children_of(name, prefix + ("    " if last else "│   ")))
    return "\n".join(out) + ("\n" if out else "") + _notes(v)
