"""The timeline as a Mermaid Gantt chart: GitHub draws it in a job summary, an issue or a README.

Mermaid's Gantt grammar is line based: ``section NAME``, then ``TASK : TAGS, ID, START, DURATION``.
Names may not hold ``#``, ``:`` or ``;`` (the lexer splits on them), so labels are reduced
to a safe alphabet. Times are Unix milliseconds (``dateFormat x``) and durations ``Nms``,
so the axis shows the run's own clock. In compact display mode the stages of a package
share its row wherever they do not overlap. Failed stages are ``crit`` (red), stages still
running when the run stopped ``active``; the stage colours come through ``themeCSS`` where
the renderer allows it (the bars' ids carry their stage).
"""

from __future__ import annotations

import json
import re

from releasekit.engine.stages import ORDER
from releasekit.report import DEFAULT_MAX_ROWS
from releasekit.report.model import RunReport
from releasekit.report.rows import Bar, timeline
from releasekit.report.style import FAILED, STAGE_COLOURS
from releasekit.report.text import VERDICTS
from releasekit.support.redact import redact

_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+,/=-]+")
_TAGS = {"failed": "crit, ", "unfinished": "active, "}


def label(text: str) -> str:
    """Text Mermaid's Gantt lexer keeps whole in a section, a title or a task name."""
    return " ".join(_UNSAFE.sub(" ", redact(text)).split()) or "-"


def _theme_css() -> str:
    rules = [f"rect[id*='rk{stage}']{{fill:{colour};stroke:{colour}}}" for stage, colour in STAGE_COLOURS.items()]
    rules.append(f"rect[class*='crit']{{fill:{FAILED} !important;stroke:#000 !important}}")
    return "".join(rules)


def _task(bar: Bar, origin_ms: int, number: int) -> str:
    start = origin_ms + round(bar.start * 1000)
    length = max(1, round((bar.end - bar.start) * 1000))
    stage = bar.stage if bar.stage in ORDER else "other"
    return f"    {label(bar.stage)} :{_TAGS.get(bar.state, '')}rk{stage}{number}, {start}, {length}ms"


def gantt(report: RunReport, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The Mermaid source (no Markdown fence)."""
    picture = timeline(report, max_rows)
    origin_ms = round(report.origin * 1000)
    verdict = VERDICTS.get(report.verdict, report.verdict).split(" (")[0]
    lines = [
        "---",
        "displayMode: compact",
        "---",
        "%%{init: " + json.dumps({"themeCSS": _theme_css()}) + "}%%",
        "gantt",
        f"    title {label(f'releasekit run {report.run_id}: {verdict}')}",
        "    dateFormat x",
        "    axisFormat %H:%M:%S",
    ]
    number = 0
    if picture.gate is not None:
        opened = origin_ms + round(picture.gate * 1000)
        lines += ["    section staged gate", f"    gate opened :milestone, rkgate0, {opened}, 0ms"]
    for row in picture.rows:
        if not row.bars:
            continue
        lines.append(f"    section {label(f'{row.label} ({row.note})')}")
        for bar in row.bars:
            number += 1
            lines.append(_task(bar, origin_ms, number))
    return "\n".join(lines) + "\n"
