"""Text renderings of the workspace, graph and plan. Pure functions: data in, str out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from releasekit.graph import Graph
from releasekit.plan import Plan
from releasekit.workspace import Package, Workspace

GRAPH_FORMATS = ("levels", "json", "dot", "mermaid", "table", "ascii")


def to_json(value: Any, expanded_levels: int = 2) -> str:
    """JSON with the outer ``expanded_levels`` of containers one item per line, and every item
    below that on a single line: ``"packages": [`` then one package per line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder, which made rendering the plan of a
    1000-package workspace cost more than loading it; single-line items use the C encoder.
    """
    return _json(value, expanded_levels, "") + "\n"


def _json(value: Any, levels: int, indent: str) -> str:
    if levels <= 0 or not isinstance(value, dict | list | tuple) or not value:
        return json.dumps(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k))}: {_json(v, levels - 1, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{_json(v, levels - 1, inner)}" for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain aligned text table (no colour, safe for pipes and logs)."""
    body = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in body)
    return "\n".join(lines) + "\n"


# --- discover --------------------------------------------------------------------------


def package_json(ws: Workspace, pkg: Package) -> dict[str, Any]:
    return {
        "name": pkg.name,
        "declared_name": pkg.declared_name,
        "version": pkg.version,
        "dynamic_version": pkg.dynamic_version,
        "path": pkg.relpath,
        "is_root": pkg.is_root,
        "publishable": pkg.publishable,
        "unpublishable_reason": pkg.unpublishable_reason or None,
        "internal_deps": list(pkg.internal_deps),
        "dependencies": [
            {
                "requirement": d.raw,
                "name": d.name,
                "specifier": d.specifier,
                "extras": list(d.extras),
                "marker": d.marker,
                "section": d.section,
                "internal": d.internal,
            }
            for d in pkg.dependencies
        ],
        "workspace_sources": list(pkg.workspace_sources),
        "description": pkg.description,
        "license": pkg.license,
        "license_files": list(pkg.license_files),
        "readme": pkg.readme,
        "requires_python": pkg.requires_python,
        "build_backend": pkg.build_backend,
    }


def discover(ws: Workspace, fmt: str) -> str:
    if fmt == "json":
        return to_json(
            {
                "workspace": str(ws.root),
                "members": list(ws.member_patterns),
                "exclude": list(ws.exclude_patterns),
                "packages": [package_json(ws, p) for p in ws.packages],
            }
        )
    rows = []
    for p in ws.packages:
        version = p.version if p.version is not None else "(dynamic)"
        flags = "publish" if p.publishable else f"private: {p.unpublishable_reason}"
        rows.append((p.name, version, p.relpath, ", ".join(p.internal_deps) or "-", flags))
    head = f"workspace {ws.root} ({len(ws.packages)} packages)\n"
    return head + table(("package", "version", "path", "internal deps", "release"), rows)


# --- graph -----------------------------------------------------------------------------


def _label(ws: Workspace, name: str) -> str:
    pkg = ws.by_name[name]
    return f"{name} {pkg.version or '(dynamic)'}"


def graph(ws: Workspace, g: Graph, fmt: str) -> str:
    if fmt == "json":
        critical, _ = g.critical_path()
        return to_json(
            {
                "nodes": [
                    {
                        "name": n,
                        "version": ws.by_name[n].version,
                        "level": g.level_of[n],
                        "deps": list(g.deps[n]),
                        "dependents": list(g.dependents[n]),
                    }
                    for n in g.order()
                ],
                "edges": [[n, d] for n in g.order() for d in g.deps[n]],
                "levels": g.levels,
                "critical_path": critical,
            }
        )
    if fmt == "levels":
        return "".join(
            f"level {i}: {', '.join(_label(ws, n) for n in level)}\n" for i, level in enumerate(g.levels)
        )
    if fmt == "table":
        rows = [
            (g.level_of[n], n, ws.by_name[n].version or "(dynamic)", ", ".join(g.deps[n]) or "-",
             ", ".join(g.dependents[n]) or "-")
            for n in g.order()
        ]
        return table(("level", "package", "version", "depends on", "needed by"), rows)
    if fmt == "dot":
        lines = ["digraph workspace {", "  rankdir=BT;", '  node [shape=box, fontname="Helvetica"];']
        for i, level in enumerate(g.levels):
            members = " ".join(f'"{n}"' for n in level)
            lines.append(f"  {{ rank=same; {members} }}  // level {i}")
        for n in g.order():
            lines.append(f'  "{n}" [label="{_label(ws, n)}"];')
            lines.extend(f'  "{n}" -> "{d}";' for d in g.deps[n])
        lines.append("}")
        return "\n".join(lines) + "\n"
    if fmt == "mermaid":
        ids = {n: f"n{i}" for i, n in enumerate(g.order())}
        lines = ["graph BT"]
        lines.extend(f'  {ids[n]}["{_label(ws, n)}"]' for n in g.order())
        lines.extend(f"  {ids[n]} --> {ids[d]}" for n in g.order() for d in g.deps[n])
        return "\n".join(lines) + "\n"
    if fmt == "ascii":
        return _ascii(ws, g)
    raise ValueError(fmt)  # pragma: no cover - argparse restricts the choices


def _ascii(ws: Workspace, g: Graph) -> str:
    """Each root package with the tree of packages that depend on it."""
    out: list[str] = []
    shown: set[str] = set()

    def children_of(name: str, prefix: str) -> list[tuple[str, str, bool]]:
        kids = g.dependents[name]
        return [(kid, prefix, i == len(kids) - 1) for i, kid in reversed(list(enumerate(kids)))]

    for root in g.levels[0] if g.levels else []:
        out.append(_label(ws, root))
        shown.add(root)
        stack = children_of(root, "")
        while stack:
            name, prefix, last = stack.pop()
            branch = "└── " if last else "├── "
            if name in shown:
                out.append(f"{prefix}{branch}{_label(ws, name)} (see above)")
                continue
            shown.add(name)
            out.append(f"{prefix}{branch}{_label(ws, name)}")
            stack.extend(children_of(name, prefix + ("    " if last else "│   ")))
    return "\n".join(out) + ("\n" if out else "")


# --- plan ------------------------------------------------------------------------------


def plan(p: Plan, fmt: str) -> str:
    if fmt == "json":
        return to_json(p.to_json())
    rows = [
        (
            pkg.order + 1,
            pkg.level,
            pkg.name,
            pkg.version,
            pkg.next_version if pkg.next_version != pkg.version else "=",
            pkg.reason,
            ", ".join(f"{k}=={v}" for k, v in pkg.pins.items()) or "-",
        )
        for pkg in p.packages
    ]
    text = table(("#", "level", "package", "version", "next", "why", "pins at build"), rows)
    if p.packages:
        stages = " -> ".join(p.packages[0].stages)
        text += f"\nstages per package: {stages}\n"
        text += f"critical path: {' -> '.join(p.critical_path)} ({len(p.critical_path)} packages)\n"
        text += f"doit tasks: {len(p.tasks)} (run `doit list --all` in the workspace to see them)\n"
    else:
        text += "\nnothing to release\n"
    if p.skipped:
        text += "\nskipped:\n" + "".join(f"  {s.name} {s.version or ''}: {s.reason}\n" for s in p.skipped)
    return text
