"""`check` (workspace health) and `preflight` (the gates publish runs first).

Reports go to stdout (a table, or JSON that parses), notices to stderr.
"""

from __future__ import annotations

import argparse
import sys

from releasekit import api
from releasekit.api import CheckOptions, PreflightOptions
from releasekit.commands.common import selection, workspace, write
from releasekit.commands.publish import index_overrides
from releasekit.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED


def check(args: argparse.Namespace) -> int:
    options = CheckOptions(skip=tuple(args.skip), fix=args.fix)
    report = api.check(workspace(args), selection(args), options)
    write(report.render(args.format))
    return EXIT_OK if report.ok else EXIT_FAILED


def preflight(args: argparse.Namespace) -> int:
    options = PreflightOptions(skip=tuple(args.skip_preflight), offline=args.offline, **index_overrides(args))
    report = api.preflight(workspace(args), selection(args), options)
    for result in report.gates:
        if result.status == "skipped":
            print(
                f"releasekit: preflight gate {result.id} overridden: {result.reason}",
                file=sys.stderr,
            )
    write(report.render(args.format))
    # What makes publish refuse makes preflight fail the same way (same code, same line), after
    # the other gates have reported.
    if report.refusal is not None:
        raise report.refusal
    return EXIT_OK if report.ok else EXIT_REFUSED
