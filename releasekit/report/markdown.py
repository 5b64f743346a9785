"""The report as GitHub-flavoured Markdown: a job summary, a PR comment, a file.

Text from the run (messages relayed from uv or an index, package names) is redacted and
escaped, so it can neither format the page nor break a table; the timeline is a Mermaid
block, which GitHub draws.
"""

from __future__ import annotations

import re

from releasekit.report import DEFAULT_MAX_ROWS
from releasekit.report import text as say
from releasekit.report.mermaid import gantt
from releasekit.report.model import RunReport
from releasekit.support.redact import redact

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
#: Longer package tables fold away (the failures above them stay in view).
FOLD_ROWS = 20


def md(text: str) -> str:
    """Plain text inside Markdown (a paragraph or a table cell)."""
    flat = " ".join(redact(text).split())
    return _SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;"))


def code(text: str) -> str:
    """A code span that holds any text (backticks included) and survives a table cell."""
    flat = " ".join(redact(text).split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def table(headers: list[str], rows: list[list[str]], align: str = "") -> str:
    marks = [("---:" if align[i : i + 1] == "r" else "---") for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fenced(language: str, body: str) -> str:
    return f"```{language}\n{body.rstrip()}\n```\n"


def details(summary: str, body: str) -> str:
    return f"<details><summary>{md(summary)}</summary>\n\n{body.rstrip()}\n\n</details>\n"


def _summary_line(report: RunReport) -> str:
    t = report.totals
    parts = [f"makespan {say.seconds(t.makespan)}"]
    if t.wall is not None:
        parts.append(f"wall {say.seconds(t.wall)}")
    if t.first_upload is not None:
        parts.append(f"first upload at {say.seconds(t.first_upload)}")
    parts.append(f"{t.workers} workers, {say.percent(t.utilisation)} busy")
    return md(f"{say.counts_line(report)}. " + ", ".join(parts) + ".")


def failures(report: RunReport) -> str:
    out = []
    for pkg in report.failures:
        out.append(f"- **{md(pkg.name)}** {md(pkg.version)} failed at `{md(pkg.reached)}`: {code(pkg.cause)}")
        if pkg.hint:
            out.append(f"  - hint: {md(pkg.hint)}")
        for log in pkg.logs:
            out.append(f"  - full output: {code(log)}")
    blocked = [p for p in report.packages if p.result == "blocked"]
    if blocked:
        names = ", ".join(md(p.name) for p in blocked)
        out.append(f"- blocked (nothing of theirs was uploaded): {names}")
    out += [f"- run error: {code(e)}" for e in report.errors]
    return "\n".join(out) + "\n" if out else ""


def packages(report: RunReport) -> str:
    rows = [
        [
            md(p.name),
            md(p.version),
            md(p.result),
            md(p.reached),
            say.seconds(p.seconds),
            md(say.retries_text(p)),
            code(p.cause) if p.cause and not p.ok else "",
        ]
        for p in report.packages
    ]
    return table(["package", "version", "result", "reached", "time", "retries", "cause"], rows, "....rr.")


def stages(report: RunReport) -> str:
    text = table(list(say.STAGE_HEADERS), say.stage_rows(report), ".rrrrrr")
    if report.totals.critical_path:
        text += f"\nCritical path as it ran ({say.path_summary(report)}): {md(say.path_text(report))}\n"
    return text


def markdown(
    report: RunReport, *, heading: str = "releasekit publish", max_rows: int = DEFAULT_MAX_ROWS, level: int = 2
) -> str:
    verdict = say.VERDICTS.get(report.verdict, report.verdict)
    out = [f"{'#' * level} {md(heading)}: {md(verdict)}\n", f"Run `{md(report.run_id)}`. {_summary_line(report)}\n"]
    trouble = failures(report)
    if trouble:
        out.append(f"{'#' * (level + 1)} Failures\n\n{trouble}")
    listing = packages(report)
    out.append(details(f"{len(report.packages)} packages", listing) if len(report.packages) > FOLD_ROWS else listing)
    retried = say.retry_lines(report)
    if retried:
        out.append(details(f"{len(retried)} retries", "\n".join(f"- {md(line)}" for line in retried)))
    if report.spans:
        out.append(f"{'#' * (level + 1)} Timeline\n\n" + fenced("mermaid", gantt(report, max_rows)))
        out.append(details("Stages and the critical path", stages(report)))
    return "\n".join(out)
