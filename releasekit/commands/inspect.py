"""`discover`, `graph` and `plan`: read-only views of the workspace."""

from __future__ import annotations

import argparse
import sys

from releasekit import api
from releasekit.commands.common import bump_from_args, selection, workspace, write
from releasekit.engine import plan_view
from releasekit.model import graphviews, workspace_view
from releasekit.model.depgraph import workspace_graph
from releasekit.model.selection import Selection, select
from releasekit.model.workspace import Workspace


def discover(args: argparse.Namespace) -> int:
    write(workspace_view.discover(workspace(args), args.format))
    return 0


def graph(args: argparse.Namespace) -> int:
    """Always draws, cycles included (marked): seeing the cycle is how a user fixes it."""
    ws = workspace(args)
    full = workspace_graph(ws)
    write(graphviews.render(graphviews.view(ws, full, select(ws, full, selection(args))), args.format))
    return 0


def plan(args: argparse.Namespace) -> int:
    from releasekit.commands import workflow

    if workflow.wants_history(args):
        return workflow.plan_from_commits(args)
    ws = workspace(args)
    bump = bump_from_args(args)
    sel = selection(args)
    preview = api.plan(
        ws, sel, bump, smoke_test=False if args.no_smoke_test else None, staged=False if args.no_stage else None
    )
    write(plan_view.plan(preview, args.format))
    if bump.empty and args.format == "table":
        _pending_releases(ws, sel)
    return 0


def _pending_releases(ws: Workspace, sel: Selection) -> None:
    """One line when commits since the last tags would bump versions: plain `plan` shows the
    versions as written, which is not what `prepare` would release."""
    from releasekit.backends.git import Git
    from releasekit.errors import ReleasekitError
    from releasekit.workflow.commits import analyze

    try:
        versions = analyze(ws, Git(ws.root), sel).versions
    except ReleasekitError:
        return  # no git history here: nothing to say
    if versions:
        shown = ", ".join(f"{n} {ws.by_name[n].version} -> {v}" for n, v in sorted(versions.items())[:4])
        more = f" and {len(versions) - 4} more" if len(versions) > 4 else ""
        print(
            f"releasekit: commits since the last release tags would bump {len(versions)} package(s): "
            f"{shown}{more} (see `releasekit plan --from-commits`; `releasekit prepare` releases them)",
            file=sys.stderr,
        )
