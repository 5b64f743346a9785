"""What ``discover`` prints: each member as the workspace model reads it."""

from __future__ import annotations

from typing import Any

from releasekit.model.package import Package
from releasekit.model.selection import unreleased_reason
from releasekit.model.workspace import Workspace
from releasekit.support.render import table, to_json


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
