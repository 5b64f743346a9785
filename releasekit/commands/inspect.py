"""`discover`, `graph` and `plan`: read-only views of the workspace."""

from __future__ import annotations

import argparse

from releasekit import render
from releasekit.commands.common import bump_from_args, selection, workspace, write
from releasekit.plan import build_plan, select, workspace_graph


def discover(args: argparse.Namespace) -> int:
    write(render.discover(workspace(args), args.format))
    return 0


def graph(args: argparse.Namespace) -> int:
    ws = workspace(args)
    full = workspace_graph(ws)
    full.require_acyclic()
    g = full.subgraph(select(ws, full, selection(args)))
    write(render.graph(ws, g, args.format))
    return 0


def plan(args: argparse.Namespace) -> int:
    from releasekit.commands import workflow

    if workflow.wants_history(args):
        return workflow.plan_from_commits(args)
    ws = workspace(args)
    bump = bump_from_args(args)
    sel = selection(args)
    preview = build_plan(ws, sel, smoke_test=False if args.no_smoke_test else None)
    if not bump.empty:
        preview = build_plan(
            ws, sel, {p.name: bump for p in preview.packages},
            smoke_test=False if args.no_smoke_test else None,
        )
    write(render.plan(preview, args.format))
    return 0
