"""Show a run: ``releasekit report``, the run's HTML page, and the GitHub job summary.

A publish leaves its events, summary and plan in ``<state>/runs/<run-id>/``
(:mod:`releasekit.engine.runfile`); :mod:`.load` and :mod:`.model` turn them into a :class:`~.model.RunReport`,
and each renderer draws that one value: :mod:`.text` (table, JSON), :mod:`.markdown`,
:mod:`.mermaid`, :mod:`.svg` and :mod:`.html`. :mod:`.github` appends to the job summary.
This module stays light (the CLI reads :data:`FORMATS` to build its parser).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.report.model import RunReport

FORMATS = ("table", "json", "markdown", "mermaid", "html")
#: Timeline rows before the packages collapse to one row per level.
DEFAULT_MAX_ROWS = 80


def load_report(run_dir: Path) -> RunReport:
    # lazy: this module stays light for the CLI's parser (FORMATS); +83 ms (report.load, engine.runfile)
    from releasekit.engine.runfile import read_run
    from releasekit.report.load import interpret

    return interpret(read_run(run_dir))


def render(report: RunReport, fmt: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The report in one of :data:`FORMATS` (every string in it redacted)."""
    # lazy: each format loads only its renderer (text +8 ms, markdown +14, mermaid +12, html +25)
    if fmt == "table":
        from releasekit.report.text import table

        return table(report)
    if fmt == "json":
        from releasekit.report.text import json_text

        return json_text(report)
    if fmt == "markdown":
        from releasekit.report.markdown import markdown

        return markdown(report, max_rows=max_rows)
    if fmt == "mermaid":
        from releasekit.report.mermaid import gantt

        return gantt(report, max_rows)
    if fmt == "html":
        from releasekit.report.html import html

        return html(report, max_rows=max_rows)
    raise ValueError(f"unknown report format {fmt!r}")


def write_html(report: RunReport, path: Path | None = None, *, max_rows: int = DEFAULT_MAX_ROWS) -> Path:
    """Write the HTML page (default: ``report.html`` in the run's directory); returns its path."""
    # lazy: as in load_report
    from releasekit.engine.runfile import HTML_FILE
    from releasekit.support.fsutil import atomic_write

    target = path or report.run_dir / HTML_FILE
    atomic_write(target, render(report, "html", max_rows=max_rows).encode("utf-8"))
    return target
