"""`check` (workspace health) and `preflight` (the gates publish runs first).

Reports go to stdout (a table, or JSON that parses), notices to stderr.
"""

from __future__ import annotations

import argparse
import sys

from releasekit.checks import run_checks
from releasekit.commands.common import selection, workspace, write
from releasekit.commands.publish import index_overrides
from releasekit.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ReleasekitError, UsageError
from releasekit.plan import Plan, build_plan
from releasekit.preflight import NETWORK_GATES, parse_gate_ids, run_preflight
from releasekit.scope import release_selection
from releasekit.settings import resolve
from releasekit.state import StateLock


def check(args: argparse.Namespace) -> int:
    ws = workspace(args)
    if args.fix:
        # --fix deletes and creates files: never while a release runs on this workspace.
        with StateLock(ws.state_dir, "check --fix"):
            report = run_checks(ws, skip=args.skip, fix=True, selection=selection(args))
    else:
        report = run_checks(ws, skip=args.skip, selection=selection(args))
    write(report.render(args.format))
    return EXIT_OK if report.ok else EXIT_FAILED


def preflight(args: argparse.Namespace) -> int:
    ws = workspace(args)
    skip = parse_gate_ids(args.skip_preflight)
    reasons = {gate: f"skipped by --skip-preflight {gate}" for gate in skip}
    if args.offline:
        for gate in sorted(NETWORK_GATES):
            reasons.setdefault(gate, "skipped by --offline (asks the index)")
    # What makes publish refuse makes preflight fail the same way (same code, same line), after
    # the other gates have reported: a bad selection stops at once, a refused plan does not.
    plan: Plan | None = None
    refusal: ReleasekitError | None = None
    try:
        chosen, _ = release_selection(ws, selection(args))  # a tagged HEAD releases its tags
        plan = build_plan(ws, chosen)
    except UsageError:
        raise
    except ReleasekitError as exc:
        refusal = exc
    # The same resolution as publish, so the gates see the index and credentials it would use.
    settings = resolve(ws, **index_overrides(args))
    report = run_preflight(ws, plan, settings, skip=set(reasons), skip_reason=reasons)
    for result in report.gates:
        if result.status == "skipped":
            print(
                f"releasekit: preflight gate {result.id} overridden: {result.reason}",
                file=sys.stderr,
            )
    write(report.render(args.format))
    if refusal is not None:
        raise refusal
    return EXIT_OK if report.ok else EXIT_REFUSED
