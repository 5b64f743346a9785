"""The report as one self-contained HTML page: the SVG timeline, the tables, the failures.

Inline CSS and inline SVG only, no script and no link to anything: it opens from a CI
artifact, an e-mail attachment or a disconnected laptop exactly as it was written.
"""

from __future__ import annotations

from html import escape

from releasekit.report import DEFAULT_MAX_ROWS
from releasekit.report import text as say
from releasekit.report.model import RunReport
from releasekit.report.rows import timeline
from releasekit.report.svg import svg
from releasekit.support.redact import redact

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.verdict-ok{color:#1a7f37}.verdict-failed,.failed{color:#b3261e}.verdict-cancelled,.verdict-unfinished{color:#9a6700}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #ddd;padding:3px 10px 3px 0;
text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12px;background:#f4f4f4;padding:1px 3px;border-radius:3px;white-space:pre-wrap;word-break:break-word}
.timeline{overflow-x:auto;border:1px solid #ddd;padding:6px;margin-top:8px}ul{padding-left:20px}
.muted{color:#666}
"""


def h(text: object) -> str:
    return escape(redact(str(text)), quote=True)


def _facts(report: RunReport) -> str:
    t = report.totals
    items = [
        ("started", say.clock(report.origin)),
        ("makespan", say.seconds(t.makespan)),
        ("start-up", say.seconds(t.startup)),
        ("wall", say.seconds(t.wall)),
        ("workers", f"{t.workers} ({say.percent(t.utilisation)} busy, {say.seconds(t.busy)} of stage time)"),
        ("first upload", "none" if t.first_upload is None else say.seconds(t.first_upload)),
        ("target", report.target or "-"),
        ("staged gate", "yes" if report.staged else "no"),
    ]
    cells = "".join(f"<tr><th>{h(k)}</th><td>{h(v)}</td></tr>" for k, v in items)
    return f"<table>{cells}</table>"


def _packages(report: RunReport) -> str:
    head = "".join(
        f"<th>{x}</th>" for x in ("package", "version", "level", "result", "reached", "time", "retries", "cause")
    )
    rows = []
    for p in report.packages:
        css = ' class="failed"' if p.result == "failed" else ""
        cause = f"<code>{h(p.cause)}</code>" if p.cause and not p.ok else ""
        rows.append(
            f"<tr{css}><td>{h(p.name)}</td><td>{h(p.version)}</td><td class=n>{p.level}</td>"
            f"<td>{h(p.result)}</td><td>{h(p.reached)}</td><td class=n>{h(say.seconds(p.seconds))}</td>"
            f"<td>{h(say.retries_text(p))}</td><td>{cause}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _failures(report: RunReport) -> str:
    items = []
    for p in report.failures:
        extra = f"<li>hint: {h(p.hint)}</li>" if p.hint else ""
        extra += "".join(f"<li>full output: <code>{h(log)}</code></li>" for log in p.logs)
        items.append(
            f"<li><b>{h(p.name)}</b> {h(p.version)} failed at <b>{h(p.reached)}</b>: "
            f"<code>{h(p.cause)}</code><ul>{extra}</ul></li>"
        )
    blocked = [p.name for p in report.packages if p.result == "blocked"]
    if blocked:
        items.append(f"<li>blocked (nothing of theirs was uploaded): {h(', '.join(blocked))}</li>")
    items += [f"<li>run error: <code>{h(e)}</code></li>" for e in report.errors]
    return f"<h2>Failures</h2><ul>{''.join(items)}</ul>" if items else ""


def _retries(report: RunReport) -> str:
    lines = say.retry_lines(report)
    items = "".join(f"<li><code>{h(line)}</code></li>" for line in lines)
    return f"<h2>Retries</h2><ul>{items}</ul>" if lines else ""


def _stages(report: RunReport) -> str:
    head = "".join(f"<th>{h(x)}</th>" for x in say.STAGE_HEADERS)
    rows = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i else ''}>{h(cell)}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in say.stage_rows(report)
    )
    path = ""
    if report.totals.critical_path:
        path = (
            f"<p>Critical path as it ran ({h(say.path_summary(report))}): "
            f"<code>{h(say.path_text(report, limit=60))}</code></p>"
        )
    return f"<h2>Stages</h2><table><tr>{head}</tr>{rows}</table>{path}"


def html(report: RunReport, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    verdict = say.VERDICTS.get(report.verdict, report.verdict)
    title = f"releasekit run {report.run_id}"
    picture = timeline(report, max_rows)
    note = (
        (
            f"<p class=muted>{picture.packages} packages, one row per level past {max_rows} rows "
            "(failed packages keep their own row).</p>"
        )
        if picture.collapsed
        else ""
    )
    drawing = (
        svg(picture, f"{title}: {verdict.split(' (')[0]}", standalone=False)
        if report.spans
        else ("<p class=muted>No stage ran in this run.</p>")
    )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{h(title)}</title><style>{CSS}</style></head><body>"
        f'<h1>{h(title)}: <span class="verdict-{h(report.verdict)}">{h(verdict)}</span></h1>'
        f"<p>{h(say.counts_line(report))}</p>{_facts(report)}{_failures(report)}"
        f"<h2>Timeline</h2>{note}<div class=timeline>{drawing}</div>"
        f"<h2>Packages</h2>{_packages(report)}{_retries(report)}{_stages(report)}"
        "</body></html>\n"
    )
