"""What a member's build backend said about it, apart from how it was asked (model.backendmeta).

Apart so that reading a workspace whose metadata is all static never imports the machinery
that runs build hooks (git, uv, the PEP 517 runner: 50 ms of a `releasekit plan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import WorkspaceError
from releasekit.model.package import Package


@dataclass(frozen=True)
class BuiltMetadata:
    name: str  # as the backend reports it
    version: str
    requires_dist: tuple[str, ...]  # raw Requires-Dist lines (markers kept, `extra == "x"` included)
    provides_extra: tuple[str, ...]


@dataclass(frozen=True)
class MetadataFailure:
    message: str  # one line: what went wrong, the backend's last meaningful error line first
    log: Path | None  # the full output, in the state directory


Outcome = BuiltMetadata | MetadataFailure


def metadata_error(pkg: Package, failure: MetadataFailure) -> WorkspaceError:
    """The RK145 error for a member whose metadata the caller needs and the backend did not give."""
    backend = pkg.build_backend or "setuptools (no [build-system])"
    hint = f"run `uv build {pkg.relpath}` in the workspace root to see the backend's output"
    if failure.log is not None:
        hint += f"; releasekit's log of it: {failure.log}"
    return WorkspaceError(
        f"the build backend ({backend}) could not compute the metadata of {pkg.name}: {failure.message}",
        path=pkg.manifest,
        code="RK145",
        hint=hint,
    )
