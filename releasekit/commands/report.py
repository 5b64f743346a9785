"""`report`: show a finished, failed or interrupted publish run from what it left on disk."""

from __future__ import annotations

import argparse
from pathlib import Path

from releasekit.errors import EXIT_OK, UsageError
from releasekit.report import DEFAULT_MAX_ROWS, FORMATS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run",
        nargs="?",
        default="last",
        metavar="RUN_ID",
        help="`last` (default: the newest run, interrupted ones included), a run id from "
        "<state>/runs/, or the path of a run directory (a CI artifact)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="html writes a self-contained page (default: report.html in the run's directory) and prints its path",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the report to FILE instead of stdout (`-`: stdout, also for html)",
    )
    p.add_argument(
        "--max-rows",
        type=int,
        default=None,
        metavar="N",
        help=f"timeline rows before packages collapse to one row per level (default: {DEFAULT_MAX_ROWS})",
    )


def report(args: argparse.Namespace) -> int:
    from releasekit.commands.common import write
    from releasekit.report import load_report, render, write_html
    from releasekit.report.load import run_dir_for

    max_rows = DEFAULT_MAX_ROWS if args.max_rows is None else args.max_rows
    if max_rows < 1:
        raise UsageError("--max-rows must be 1 or more", hint="e.g. --max-rows 60")
    run = load_report(run_dir_for(args.run, getattr(args, "workspace", None)))
    output: Path | None = args.output
    if args.format == "html" and str(output) != "-":
        write(f"{write_html(run, output, max_rows=max_rows)}\n")
        return EXIT_OK
    text = render(run, args.format, max_rows=max_rows)
    if output is None or str(output) == "-":
        write(text)
    else:
        from releasekit.support.fsutil import atomic_write

        atomic_write(output, text.encode("utf-8"))
    return EXIT_OK
