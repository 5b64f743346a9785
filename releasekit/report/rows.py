"""The rows of a timeline picture, shared by the Mermaid and the SVG renderers.

One row per package (ordered by level, then by when it started), bars per stage. Past
``max_rows`` packages a picture stops being read, so the rows collapse to one per level
(each stage's bars merged where they overlap), and every failed package keeps its own row
right under its level: the failure stays visible at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from releasekit.engine.stages import ORDER
from releasekit.report import DEFAULT_MAX_ROWS
from releasekit.report.model import PackageReport, RunReport, Span


@dataclass(frozen=True)
class Bar:
    stage: str
    start: float  # seconds since the run's first stage started
    end: float
    state: str  # done | failed | unfinished
    critical: bool = False
    title: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    note: str
    bars: tuple[Bar, ...]
    failed: bool = False


@dataclass(frozen=True)
class Timeline:
    rows: tuple[Row, ...]
    collapsed: bool
    seconds: float  # the width of the picture: first start to last end
    gate: float | None = None  # when the staged gate opened (None: no gate, or it never opened)
    packages: int = 0


def _bar(span: Span, origin: float, critical: set[str]) -> Bar:
    what = {"failed": "failed", "unfinished": "still running when the run stopped"}.get(span.state, "")
    title = f"{span.task}: {span.seconds:.2f} s" + (f" ({what})" if what else "") + (" (reused)" if span.reused else "")
    return Bar(span.stage, span.start - origin, span.end - origin, span.state, span.task in critical, title)


def _merged(stage: str, spans: Sequence[Span], origin: float) -> list[Bar]:
    """Overlapping spans of one stage become one bar (failed if any of them failed)."""
    bars: list[Bar] = []
    group: list[Span] = []

    def close() -> None:
        if not group:
            return
        states = {s.state for s in group}
        state = "failed" if "failed" in states else ("unfinished" if "unfinished" in states else "done")
        start, end = min(s.start for s in group), max(s.end for s in group)
        bars.append(
            Bar(
                stage,
                start - origin,
                end - origin,
                state,
                False,
                f"{stage} of {len(group)} package{'s' if len(group) != 1 else ''}: "
                f"{start - origin:.2f}-{end - origin:.2f} s",
            )
        )
        group.clear()

    for span in sorted(spans, key=lambda s: s.start):
        if group and span.start > max(s.end for s in group):
            close()
        group.append(span)
    close()
    return bars


def _rows_per_package(report: RunReport, critical: set[str]) -> list[Row]:
    by_package: dict[str, list[Span]] = {}
    for span in report.spans:
        if span.package:
            by_package.setdefault(span.package, []).append(span)
    rows = []
    for pkg in _ordered(report):
        spans = by_package.get(pkg.name, [])
        rows.append(
            Row(pkg.name, pkg.result, tuple(_bar(s, report.origin, critical) for s in spans), pkg.result == "failed")
        )
    return rows


def _ordered(report: RunReport) -> list[PackageReport]:
    return sorted(report.packages, key=lambda p: (p.level, p.start if p.start is not None else float("inf"), p.name))


def _rows_per_level(report: RunReport, max_rows: int) -> list[Row]:
    by_package: dict[str, list[Span]] = {}
    for span in report.spans:
        by_package.setdefault(span.package, []).append(span)
    levels: dict[int, list[str]] = {}
    for pkg in report.packages:
        levels.setdefault(pkg.level, []).append(pkg.name)
    failed = {p.name for p in report.packages if p.result == "failed"}
    rows: list[Row] = []
    room = max(0, max_rows - len(levels))
    for level in sorted(levels):
        names = levels[level]
        spans = [s for n in names for s in by_package.get(n, [])]
        bars = [b for stage in ORDER for b in _merged(stage, [s for s in spans if s.stage == stage], report.origin)]
        bars.sort(key=lambda b: b.start)
        bad = [n for n in names if n in failed]
        note = f"{len(names)} packages" + (f", {len(bad)} failed" if bad else "")
        rows.append(Row(f"level {level}", note, tuple(bars), bool(bad)))
        for name in bad[:room]:
            rows.append(
                Row(name, "failed", tuple(_bar(s, report.origin, set()) for s in by_package.get(name, [])), True)
            )
        room -= min(room, len(bad))
    return rows


def timeline(report: RunReport, max_rows: int = DEFAULT_MAX_ROWS) -> Timeline:
    critical = {step.task for step in report.totals.critical_path}
    collapsed = len(report.packages) > max_rows
    rows = _rows_per_level(report, max_rows) if collapsed else _rows_per_package(report, critical)
    gate = next((s.end - report.origin for s in report.spans if s.stage == "gate" and not s.package), None)
    return Timeline(tuple(rows), collapsed, report.totals.makespan, gate, len(report.packages))
