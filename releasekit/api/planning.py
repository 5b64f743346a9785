"""The release plan: what ``plan``, ``discover`` and ``graph`` need, and nothing of the engine's run."""

from __future__ import annotations

from releasekit.engine.plan import Plan, build_plan
from releasekit.model.selection import EVERYTHING, Selection
from releasekit.model.versions import Bump
from releasekit.model.workspace import Workspace


def plan(
    workspace: Workspace,
    selection: Selection = EVERYTHING,
    bump: Bump | None = None,
    *,
    smoke_test: bool | None = None,
    staged: bool | None = None,
) -> Plan:
    """The release plan of ``selection``; with ``bump``, every package in it bumped that way."""
    preview = build_plan(workspace, selection, smoke_test=smoke_test, staged=staged)
    if bump is None or bump.empty:
        return preview
    return build_plan(
        workspace, selection, {p.name: bump for p in preview.packages}, smoke_test=smoke_test, staged=staged
    )
