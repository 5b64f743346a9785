"""Members whose version or dependencies the build backend computes get the backend's values.

notes/real-workspaces.md §4: ``dynamic = ["version", "dependencies"]`` is common, and treating
an unknown version as "none" or unknown dependencies as "no edges" draws a flat graph that
looks healthy and is wrong. The backend's answer (:mod:`releasekit.model.backendmeta`, cached by
a fingerprint of the member's sources) replaces what pyproject.toml does not say. A member it
cannot describe keeps ``version=None`` and records why: commands fail on it only when it
matters to them (it is released, or pinned by a released member).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from packaging.requirements import InvalidRequirement

from releasekit.errors import WorkspaceError
from releasekit.model.manifest import link_internal, requirement
from releasekit.model.metaresult import BuiltMetadata, MetadataFailure, metadata_error
from releasekit.model.package import Dependency, Package, normalize
from releasekit.model.versionsource import version_source
from releasekit.model.workspace import Workspace
from releasekit.support.state import ensure_state_dir

_COMPUTED = ("version", "dependencies", "optional-dependencies")
_EXTRA = re.compile(r"""\bextra\s*==\s*["']([^"']+)["']""")


def computed_members(ws: Workspace) -> list[Package]:
    return [p for p in ws.packages if set(p.dynamic) & set(_COMPUTED)]


def resolve_dynamic(ws: Workspace) -> Workspace:
    """``ws`` with every member's dynamic version and dependencies filled in from its backend."""
    members = computed_members(ws)
    if not members:
        return ws
    # lazy: the hook machinery (git, uv, the PEP 517 runner) is 50 ms of imports a static workspace never needs
    from releasekit.model.backendmeta import backend_metadata

    outcomes = backend_metadata(
        members, root=ws.root, state_dir=ensure_state_dir(ws.state_dir), member_dirs=[p.path for p in ws.packages]
    )
    filled = [_fill(pkg, outcomes[pkg.name]) if pkg.name in outcomes else pkg for pkg in ws.packages]
    names = {p.name for p in filled}
    return dataclasses.replace(ws, packages=tuple(link_internal(p, names) for p in filled))


def _fill(pkg: Package, outcome: BuiltMetadata | MetadataFailure) -> Package:
    source = version_source(pkg).describe() if "version" in pkg.dynamic else ""
    if isinstance(outcome, MetadataFailure):
        return dataclasses.replace(
            pkg,
            version_from=source,
            metadata_problem=outcome.message,
            metadata_log=str(outcome.log) if outcome.log else "",
        )
    if normalize(outcome.name) != pkg.name:
        return dataclasses.replace(
            pkg,
            version_from=source,
            metadata_problem=f"the backend names the distribution {outcome.name!r}, "
            f"pyproject.toml {pkg.declared_name!r}",
        )
    version = outcome.version if "version" in pkg.dynamic else pkg.version
    deps = list(pkg.dependencies)
    for section in ("dependencies", "optional-dependencies"):
        if section in pkg.dynamic:
            deps = [d for d in deps if not _in_section(d, section)]
            deps.extend(d for d in _requires(pkg, outcome) if _in_section(d, section))
    return dataclasses.replace(pkg, version=version, dependencies=tuple(deps), version_from=source)


def _in_section(dep: Dependency, section: str) -> bool:
    return (dep.extra_group is None) == (section == "dependencies")


def _requires(pkg: Package, metadata: BuiltMetadata) -> list[Dependency]:
    """The backend's Requires-Dist as dependencies: an ``extra == "x"`` marker puts a line in
    extra ``x`` (each extra a line names, if it names several)."""
    found: list[Dependency] = []
    for line in metadata.requires_dist:
        extras = _EXTRA.findall(line.split(";", 1)[1]) if ";" in line else []
        for section in [f"optional-dependencies.{e}" for e in extras] or ["dependencies"]:
            try:
                dep = requirement(line, section)
            except InvalidRequirement:
                continue  # the backend wrote it, uv accepted it: a line packaging cannot read is not an edge we can pin
            found.append(dataclasses.replace(dep, origin="backend"))
    return found


def unknown_error(pkg: Package) -> WorkspaceError | None:
    """The RK145 error for a member whose computed metadata a command needs and does not have."""
    if not pkg.metadata_problem:
        return None
    log = Path(pkg.metadata_log) if pkg.metadata_log else None
    return metadata_error(pkg, MetadataFailure(pkg.metadata_problem, log))
