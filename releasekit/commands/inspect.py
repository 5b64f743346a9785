"""`discover`, `graph` and `plan`: read-only views of the workspace."""

from __future__ import annotations

import argparse

from releasekit import graphviews, render
from releasekit.commands.common import bump_from_args, selection, workspace, write
from releasekit.depgraph import workspace_graph
from releasekit.plan import build_plan
from releasekit.selection import select


def discover(args: argparse.Namespace) -> int:
    write(render.discover(workspace(args), args.format))
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
    options = {"smoke_test": False if args.no_smoke_test else None, "staged": False if args.no_stage else None}
    preview = build_plan(ws, sel, **options)  # type: ignore[arg-type]
    if not bump.empty:
        preview = build_plan(ws, sel, {p.name: bump for p in preview.packages}, **options)  # type: ignore[arg-type]
    write(render.plan(preview, args.format))
    return 0
