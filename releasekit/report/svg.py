"""The timeline as a self-contained SVG: one row per package (or per level), bars coloured by stage.

No script and no external resource: a browser, GitHub's image view and a file manager all
draw it. Hovering a bar shows its task and duration (an SVG ``<title>``). Bars that overlap
inside a row (a probe runs while its build does) stack in lanes, so none hides another.
Several timelines can share one picture and one time axis (the benchmark's comparison).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from releasekit.engine.stages import ORDER
from releasekit.report.rows import Bar, Row, Timeline
from releasekit.report.style import FAILED, colour
from releasekit.support.redact import redact

LANE = 12
ROW_GAP = 5
CHAR = 6.6  # average width of a 11px sans-serif character
PLOT = 860
TOP = 44


def _text(value: str) -> str:
    return escape(redact(value), quote=True)


def lanes(bars: Sequence[Bar]) -> list[int]:
    """The lane of each bar: the first one where it overlaps nothing already placed."""
    ends: list[float] = []
    out = []
    for bar in bars:
        lane = next((i for i, end in enumerate(ends) if bar.start >= end - 1e-9), len(ends))
        if lane == len(ends):
            ends.append(bar.end)
        else:
            ends[lane] = bar.end
        out.append(lane)
    return out


def tick_step(seconds: float, wanted: int = 10) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``wanted`` ticks."""
    if seconds <= 0:
        return 1.0
    raw = seconds / wanted
    power: float = 10.0 ** math.floor(math.log10(raw))
    return next(float(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def _tick_label(value: float) -> str:
    if value < 60:
        return f"{value:g} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes}m{rest:02d}s"


def _bar(bar: Bar, x0: float, y: float, scale: float) -> str:
    x = x0 + bar.start * scale
    width = max(1.0, (bar.end - bar.start) * scale)
    fill = FAILED if bar.state == "failed" else colour(bar.stage)
    extra = ""
    if bar.state == "unfinished":
        extra = ' fill-opacity="0.45" stroke="#000" stroke-dasharray="3 2"'
    elif bar.state == "failed" or bar.critical:
        extra = ' stroke="#000" stroke-width="1.2"'
    parts = [
        f'<rect class="bar {bar.stage}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{LANE - 2}" '
        f'fill="{fill}"{extra}><title>{_text(bar.title or bar.stage)}</title></rect>'
    ]
    if bar.state == "failed":
        parts.append(f'<text class="mark" x="{x + width + 2:.1f}" y="{y + LANE - 2:.1f}" fill="{FAILED}">✕</text>')
    return "".join(parts)


def _row(row: Row, index: int, y: float, label_width: float, scale: float, width: float) -> tuple[str, float]:
    placed = lanes(row.bars)
    height = max(1, max(placed, default=0) + 1) * LANE + ROW_GAP
    shade = "#f4f4f4" if index % 2 else "#ffffff"
    fits = int((label_width - 8) / CHAR)
    label = row.label if len(row.label) <= fits else row.label[: fits - 1] + "…"
    colour_attr = f' fill="{FAILED}"' if row.failed else ""
    parts = [
        f'<rect x="0" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{shade}"/>',
        f'<text class="label" x="4" y="{y + min(height, LANE + ROW_GAP) - 4:.1f}"{colour_attr}>'
        f"<title>{_text(f'{row.label}: {row.note}')}</title>{_text(label)}</text>",
    ]
    x0 = label_width
    parts += [_bar(bar, x0, y + ROW_GAP / 2 + lane * LANE, scale) for bar, lane in zip(row.bars, placed, strict=True)]
    return "".join(parts), height


def _axis(y: float, bottom: float, label_width: float, seconds: float, scale: float) -> str:
    step = tick_step(seconds)
    parts = []
    count = int(seconds / step + 1e-9) + 1
    for i in range(count):
        x = label_width + i * step * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#ddd"/>'
            f'<text class="tick" x="{x:.1f}" y="{y - 3:.1f}">{_tick_label(round(i * step, 6))}</text>'
        )
    return "".join(parts)


def _legend(stages: Sequence[str], y: float) -> str:
    items = [(s, colour(s), "") for s in ORDER if s in stages]
    items += [
        ("failed ✕", FAILED, ' stroke="#000"'),
        ("on the critical path", "#ffffff", ' stroke="#000"'),
        ("running when the run stopped", "#bbbbbb", ' fill-opacity="0.45" stroke="#000" stroke-dasharray="3 2"'),
    ]
    x = 4.0
    parts = []
    for name, fill, extra in items:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{fill}"{extra}/>'
            f'<text class="legend" x="{x + 14:.1f}" y="{y:.1f}">{_text(name)}</text>'
        )
        x += 22 + len(name) * CHAR
    return "".join(parts)


def document(
    panels: Sequence[tuple[str, Timeline]], title: str, *, seconds: float | None = None, standalone: bool = True
) -> str:
    """One SVG with a panel per timeline, all on one time scale (the longest unless ``seconds``).

    ``standalone``: a file of its own (it declares its namespace); inside HTML it needs none."""
    longest = seconds if seconds is not None else max((p.seconds for _, p in panels), default=1.0)
    longest = max(longest, 1e-3)
    labels = [r.label for _, p in panels for r in p.rows]
    label_width = min(300.0, max(90.0, max((len(x) for x in labels), default=8) * CHAR + 12))
    width = label_width + PLOT + 24
    scale = PLOT / longest
    stages = sorted({b.stage for _, p in panels for r in p.rows for b in r.bars})
    body = [f'<text class="title" x="4" y="16">{_text(title)}</text>', _legend(stages, 34)]
    y = float(TOP)
    for heading, picture in panels:
        if heading:
            y += 16
            body.append(f'<text class="heading" x="4" y="{y:.1f}">{_text(heading)}</text>')
        y += 16
        axis_y = y
        rows_svg = []
        for index, row in enumerate(picture.rows):
            svg_row, height = _row(row, index, y, label_width, scale, width)
            rows_svg.append(svg_row)
            y += height
        body.append(_axis(axis_y, y, label_width, longest, scale))
        body += rows_svg
        if picture.gate is not None:
            x = label_width + picture.gate * scale
            body.append(
                f'<line x1="{x:.1f}" y1="{axis_y:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#000" '
                f'stroke-dasharray="5 3"><title>the staged gate opened: every trial passed</title></line>'
                f'<text class="tick" x="{x + 3:.1f}" y="{y + 11:.1f}">gate</text>'
            )
        y += 14
    style = (
        "text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:11px;fill:#222}"
        ".title{font-size:14px;font-weight:600}.heading{font-size:12px;font-weight:600}"
        ".tick{font-size:9px;fill:#666}.mark{font-size:9px;font-weight:700}"
    )
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (
        f'<svg{namespace} width="{width:.0f}" height="{y + 6:.0f}" '
        f'viewBox="0 0 {width:.0f} {y + 6:.0f}" role="img" aria-label="{_text(title)}">'
        f"<style>{style}</style>{''.join(body)}</svg>\n"
    )


def svg(picture: Timeline, title: str, *, standalone: bool = True) -> str:
    return document([("", picture)], title, standalone=standalone)
