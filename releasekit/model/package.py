"""One workspace member as records: its requirements and what its manifest says.

Everything downstream reads these records and never the files again (pyproject files ->
Workspace -> Graph -> Plan); :mod:`releasekit.model.manifest` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

PRIVATE_CLASSIFIER = "Private :: Do Not Upload"


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return str(canonicalize_name(name))


@dataclass(frozen=True)
class Dependency:
    """One requirement string of a package, parsed, with its position in the manifest."""

    raw: str
    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    url: str | None
    section: str  # "dependencies" or "optional-dependencies.<extra>"
    internal: bool = False
    #: "pyproject" (written in the manifest) or "backend" (a Requires-Dist the build backend computed).
    origin: str = "pyproject"

    @property
    def extra_group(self) -> str | None:
        prefix = "optional-dependencies."
        return self.section[len(prefix) :] if self.section.startswith(prefix) else None

    @property
    def kind(self) -> str:
        """``dependency`` (gates uploads, can make a cycle) or ``extra:<name>`` (pinned, never gates)."""
        extra = self.extra_group
        return "dependency" if extra is None else f"extra:{extra}"

    @property
    def table(self) -> str:
        """Where the requirement is written, as a user finds it in the file."""
        extra = self.extra_group
        if self.origin == "backend":
            return "Requires-Dist computed by the build backend" + (f" (extra {extra})" if extra else "")
        return "[project.dependencies]" if extra is None else f"[project.optional-dependencies] {extra}"


@dataclass(frozen=True)
class Package:
    """A workspace member as written on disk."""

    name: str
    declared_name: str
    version: str | None
    dynamic: tuple[str, ...]
    path: Path
    manifest: Path
    relpath: str
    dependencies: tuple[Dependency, ...]
    #: Internal requirements in ``dependencies``: they gate uploads and can form a cycle.
    internal_deps: tuple[str, ...]
    self_references: tuple[Dependency, ...]
    workspace_sources: tuple[str, ...]
    publishable: bool
    unpublishable_reason: str
    is_root: bool
    description: str | None
    requires_python: str | None
    classifiers: tuple[str, ...]
    license: str | None
    license_files: tuple[str, ...]
    readme: str | None
    readme_content_type: str | None
    authors: int
    build_backend: str | None
    project: Mapping[str, Any] = field(compare=False, hash=False, repr=False)
    #: The member's raw ``[tool]`` and ``[build-system]`` tables: what build backends read
    #: (import layout, dynamic versions), kept so nothing downstream re-reads the file.
    tool: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    build_system: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    #: Internal requirements reached only through extras: pinned at build, never gating.
    extra_deps: tuple[str, ...] = ()
    #: Names required by development-only tables (``[dependency-groups]``,
    #: ``[tool.uv] dev-dependencies``): never published, so never edges (notes §8).
    group_requirements: tuple[str, ...] = ()
    #: Where a dynamic version comes from ("version from git tags (hatch-vcs)"), for display.
    version_from: str = ""
    #: Why the build backend could not compute this member's dynamic metadata ("" = it did, or
    #: nothing is dynamic), and the log of its output: an error only where the member matters.
    metadata_problem: str = ""
    metadata_log: str = ""
    #: This member's own `[tool.releasekit.smoke]` keys (over the workspace's `smoke`).
    smoke: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def dynamic_version(self) -> bool:
        return self.version is None and "version" in self.dynamic

    @property
    def pin_targets(self) -> tuple[str, ...]:
        """Every internal requirement the build pins exactly, extras included."""
        return tuple(sorted({*self.internal_deps, *self.extra_deps}))
