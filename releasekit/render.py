"""Text renderings of the workspace, graph and plan. Pure functions: data in, str out."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from releasekit.package import Package
from releasekit.plan import Plan
from releasekit.selection import unreleased_reason
from releasekit.workspace import Workspace


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


#: Tables stay readable in a 100-column terminal, even with 60+ members and 40-character
#: names; a wider $COLUMNS gives them more room.
MIN_WIDTH = 100


def table_width() -> int:
    if os.environ.get("RELEASEKIT_WIDE"):
        return 10**6  # --wide
    try:
        return max(MIN_WIDTH, int(os.environ.get("COLUMNS", "0")))
    except ValueError:
        return MIN_WIDTH


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    shrink: Sequence[int] = (),
    max_width: int | None = None,
    floors: Mapping[int, int] | None = None,
    prose: Sequence[int] = (),
) -> str:
    """A plain aligned text table (no colour, safe for pipes and logs).

    Columns listed in ``shrink`` give way, the widest first, until the table fits
    ``max_width`` (default :func:`table_width`): a list cell keeps its first names and says how
    many more (``a, b, … +28``); a ``prose`` column (a message) is cut with a trailing … instead.
    """
    body = [[("" if c is None else str(c)) for c in row] for row in rows]
    limit = table_width() if max_width is None else max_width

    def measure() -> list[int]:
        widths = [len(h) for h in headers]
        for row in body:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))
        return widths

    widths = measure()
    if shrink and sum(widths) + 2 * (len(widths) - 1) > limit:
        budget = list(widths)
        floor = {i: max(len(headers[i]), (floors or {}).get(i, 12)) for i in shrink}
        excess = sum(budget) + 2 * (len(budget) - 1) - limit
        while excess > 0:
            column = max((i for i in shrink if budget[i] > floor[i]), key=lambda i: budget[i], default=None)
            if column is None:
                break
            budget[column] -= 1
            excess -= 1
        for row in body:
            for i in shrink:
                row[i] = elide(row[i], budget[i], as_list=i not in prose)
        widths = measure()
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in body)
    return "\n".join(lines) + "\n"


def elide(cell: str, width: int, *, as_list: bool = True) -> str:
    """``cell`` cut to ``width``: whole names of a comma list and a count, else a trailing …."""
    if len(cell) <= width:
        return cell
    items = cell.split(", ") if as_list else [cell]
    if len(items) > 1:
        for keep in range(len(items) - 1, 0, -1):
            text = ", ".join(items[:keep]) + f", … +{len(items) - keep}"
            if len(text) <= width:
                return text
        text = f"{len(items)} packages"
        if len(text) <= width:
            return text
    return cell[: max(width - 1, 0)] + "…"


# --- discover --------------------------------------------------------------------------


def package_json(ws: Workspace, pkg: Package) -> dict[str, Any]:
    return {
        "name": pkg.name,
        "declared_name": pkg.declared_name,
        "version": pkg.version,
        "dynamic_version": pkg.dynamic_version,
        "version_from": pkg.version_from or None,
        "metadata_problem": pkg.metadata_problem or None,
        "path": pkg.relpath,
        "is_root": pkg.is_root,
        "publishable": pkg.publishable,
        "unpublishable_reason": pkg.unpublishable_reason or None,
        "released": not unreleased_reason(ws, pkg),
        "unreleased_reason": unreleased_reason(ws, pkg) or None,
        "internal_deps": list(pkg.internal_deps),
        "extra_deps": list(pkg.extra_deps),
        "dependencies": [
            {
                "requirement": d.raw,
                "name": d.name,
                "specifier": d.specifier,
                "extras": list(d.extras),
                "marker": d.marker,
                "section": d.section,
                "kind": d.kind,
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
        version = p.version or ("(unknown)" if p.metadata_problem else "(dynamic)")
        flags = unreleased_reason(ws, p) or "publish"
        deps = [*p.internal_deps, *(f"{d} [extra]" for d in p.extra_deps)]
        rows.append((p.name, version, p.relpath, ", ".join(deps) or "-", flags))
    head = f"workspace {ws.root} ({len(ws.packages)} packages)\n"
    return head + table(("package", "version", "path", "internal deps", "release"), rows, shrink=(3, 4, 2), prose=(4,))


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
    headers = ("#", "level", "package", "version", "next", "why", "pins at build")
    text = table(headers, rows, shrink=(6,), floors={6: 32}, prose=(5,))
    if max(map(len, text.splitlines())) > table_width():
        # Too wide: the reasons move under the table, whole (they are what a reviewer reads).
        narrow = [(*row[:5], row[6]) for row in rows]
        text = table((*headers[:5], headers[6]), narrow, shrink=(5,), floors={5: 32})
        text += "\nwhy:\n" + "".join(
            "\n".join(textwrap.wrap(f"{pkg.name}: {pkg.reason}", table_width() - 2, initial_indent="  ",
                                    subsequent_indent="    ")) + "\n"
            for pkg in p.packages
        )
    if p.packages:
        stages = " -> ".join(p.packages[0].stages)
        text += f"\nstages per package: {stages}\n"
        critical = f"critical path: {' -> '.join(p.critical_path)} ({len(p.critical_path)} packages)"
        text += "\n".join(textwrap.wrap(critical, table_width(), subsequent_indent="  ", break_on_hyphens=False)) + "\n"
        text += f"doit tasks: {len(p.tasks)} (run `doit list --all` in the workspace to see them)\n"
    else:
        text += "\nnothing to release\n"
    if p.skipped:
        text += "\nskipped:\n" + "".join(f"  {s.name} {s.version or ''}: {s.reason}\n" for s in p.skipped)
    return text
