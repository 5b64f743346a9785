"""`bump`: write new versions, widen dependents' specifiers, refresh uv.lock."""

from __future__ import annotations

import argparse
import sys

from releasekit.backends.uv import Uv
from releasekit.commands.common import bump_from_args, workspace, write
from releasekit.engine.plan import build_plan
from releasekit.model.selection import Selection
from releasekit.workflow.bumping import apply_edits, plan_versions, version_edits


def bump(args: argparse.Namespace) -> int:
    ws = workspace(args)
    how = bump_from_args(args)
    named = tuple(args.packages)
    # A named package that is never released (RK148) or whose version the backend could not
    # compute (RK145) stops here; one that git tags version stops when its edit is made (RK144).
    base = build_plan(ws, Selection(packages=named))
    for skipped in base.skipped:
        print(f"releasekit: not bumping {skipped.name}: {skipped.reason}", file=sys.stderr)
    bumped = build_plan(ws, Selection(packages=named), {p.name: how for p in base.packages})
    new_versions = plan_versions(bumped)
    edits = version_edits(ws, new_versions)
    verb = "would change" if args.dry_run else "changed"
    lines = []
    for edit in edits:
        lines.append(f"{verb} {ws.relative(edit.path)}:")
        lines.extend(f"  {note}" for note in edit.notes)
    lock_file = ws.root / "uv.lock"
    refresh = lock_file.exists() and not args.no_lock
    if refresh:
        lines.append(f"{'would refresh' if args.dry_run else 'refreshed'} uv.lock")
    if args.dry_run:
        write("\n".join(lines) + "\ndry run: nothing was written\n")
        return 0
    after = None
    if refresh:
        uv = Uv()

        def after() -> None:
            uv.lock(ws.root)

    apply_edits(ws, edits, command="bump", after=after)
    write("\n".join(lines) + "\n")
    return 0
