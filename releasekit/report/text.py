"""The report as text for a terminal (``--format table``) and as JSON (``--format json``).

Everything leaves through :func:`releasekit.support.redact.redact`: a message relayed from uv or an
index could carry what the run's own output masked.
"""

from __future__ import annotations

import time
from typing import Any

from releasekit.report.model import PackageReport, RunReport
from releasekit.support import render
from releasekit.support.redact import redact

SCHEMA = "releasekit.report/1"
VERDICTS = {
    "ok": "ok",
    "failed": "FAILED",
    "cancelled": "cancelled",
    "unfinished": "unfinished (no summary: the run was killed, or is still running)",
}


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"
    minutes, rest = divmod(value, 60)
    return f"{int(minutes)}m {rest:02.0f}s"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def clock(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) if at else "-"


def counts_line(report: RunReport) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    return f"{len(report.packages)} packages: {counts or 'nothing to do'}"


def headline(report: RunReport) -> str:
    code = "" if report.exit_code is None else f", exit {report.exit_code}"
    return f"run {report.run_id}: {VERDICTS.get(report.verdict, report.verdict)}{code}; {counts_line(report)}"


def totals_lines(report: RunReport) -> list[str]:
    t = report.totals
    first = (
        "no upload"
        if t.first_upload is None
        else (
            f"first upload at {seconds(t.first_upload)}"
            + (f" ({t.first_upload / t.makespan:.0%} of the makespan)" if t.makespan else "")
        )
    )
    lines = [
        f"started {clock(report.origin)}; makespan {seconds(t.makespan)}"
        + (f" (start-up {seconds(t.startup)} before it)" if t.startup is not None else "")
        + (f"; wall {seconds(t.wall)}" if t.wall is not None else ""),
        f"{t.workers} workers, {percent(t.utilisation)} busy ({seconds(t.busy)} of stage time); {first}",
    ]
    if t.critical_path:
        lines.append(f"critical path as it ran ({path_summary(report)}): {path_text(report)}")
    return lines


def path_summary(report: RunReport) -> str:
    steps = report.totals.critical_path
    waited = sum(s.waited for s in steps)
    work = sum(s.end - s.start for s in steps)
    return f"{seconds(work + waited)}: {seconds(work)} of stages, {seconds(waited)} waiting for a worker"


def path_text(report: RunReport, limit: int = 12) -> str:
    steps = report.totals.critical_path
    shown = [
        f"{s.task} {seconds(s.end - s.start)}" + (f" (+{seconds(s.waited)} wait)" if s.waited >= 0.05 else "")
        for s in steps
    ]
    if len(shown) > limit:
        shown = [*shown[: limit // 2], f"… {len(shown) - limit} more …", *shown[-(limit // 2) :]]
    return " -> ".join(shown)


def retries_text(pkg: PackageReport) -> str:
    if not pkg.retries:
        return "0"
    stages = sorted({r.stage for r in pkg.retries})
    return f"{len(pkg.retries)} ({', '.join(stages)})"


STAGE_HEADERS = ("stage", "tasks", "first start", "last end", "median", "total", "failed")


def stage_rows(report: RunReport) -> list[list[str]]:
    """Per stage: how many tasks ran, when the first started and the last ended, how long they took."""
    return [
        [
            s.stage,
            str(s.tasks),
            seconds(s.first_start - report.origin),
            seconds(s.last_end - report.origin),
            seconds(s.median),
            seconds(s.busy),
            str(s.failed or ""),
        ]
        for s in report.stages
    ]


def retry_lines(report: RunReport) -> list[str]:
    """One line per retry: which stage, which attempt, how long it waited, and why."""
    return [
        f"{p.name} {r.stage} attempt {r.attempt}, retried after {seconds(r.delay)}: {r.cause}"
        for p in report.packages
        for r in p.retries
    ]


def table(report: RunReport) -> str:
    rows = [
        (p.name, p.version, p.result, p.reached, seconds(p.seconds), retries_text(p), p.cause) for p in report.packages
    ]
    out = [headline(report), *totals_lines(report), ""]
    out.append(
        render.table(
            ("package", "version", "result", "reached", "time", "retries", "cause"),
            rows,
            shrink=(6, 0),
            floors={6: 30, 0: 16},
        ).rstrip("\n")
    )
    if report.stages:
        out += ["", render.table(STAGE_HEADERS, stage_rows(report)).rstrip("\n")]
    for pkg in report.failures:
        out += ["", f"{pkg.name} failed at {pkg.reached}: {pkg.cause}"]
        out += [f"  hint: {pkg.hint}"] if pkg.hint else []
        out += [f"  log: {log}" for log in pkg.logs]
    retried = retry_lines(report)
    out += ["", "retries:", *(f"  {line}" for line in retried)] if retried else []
    out += [f"error: {e}" for e in report.errors]
    return redact("\n".join(out) + "\n")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def _rel(report: RunReport, at: float | None) -> float | None:
    return None if at is None else round(at - report.origin, 3)


def to_json(report: RunReport) -> dict[str, Any]:
    t = report.totals
    data: dict[str, Any] = _scrub(
        {
            "schema": SCHEMA,
            "run_id": report.run_id,
            "run_dir": str(report.run_dir),
            "verdict": report.verdict,
            "exit_code": report.exit_code,
            "started": report.origin,
            "target": report.target,
            "staged": report.staged,
            "counts": report.counts(),
            "totals": {
                "makespan": round(t.makespan, 3),
                "startup": None if t.startup is None else round(t.startup, 3),
                "wall": t.wall,
                "workers": t.workers,
                "busy": round(t.busy, 3),
                "utilisation": None if t.utilisation is None else round(t.utilisation, 4),
                "first_upload": None if t.first_upload is None else round(t.first_upload, 3),
                "critical_path": [
                    {
                        "task": s.task,
                        "start": _rel(report, s.start),
                        "end": _rel(report, s.end),
                        "waited": round(s.waited, 3),
                    }
                    for s in t.critical_path
                ],
            },
            "packages": [
                {
                    "name": p.name,
                    "version": p.version,
                    "level": p.level,
                    "result": p.result,
                    "reached": p.reached,
                    "cause": p.cause,
                    "hint": p.hint,
                    "code": p.code,
                    "retries": [
                        {"stage": r.stage, "attempt": r.attempt, "delay": r.delay, "cause": r.cause} for r in p.retries
                    ],
                    "start": _rel(report, p.start),
                    "end": _rel(report, p.end),
                    "logs": list(p.logs),
                    "uploaded": list(p.uploaded),
                }
                for p in report.packages
            ],
            "stages": [
                {
                    "stage": s.stage,
                    "tasks": s.tasks,
                    "first_start": _rel(report, s.first_start),
                    "last_end": _rel(report, s.last_end),
                    "median": round(s.median, 3),
                    "busy": round(s.busy, 3),
                    "failed": s.failed,
                }
                for s in report.stages
            ],
            "tasks": [
                {
                    "task": s.task,
                    "package": s.package,
                    "stage": s.stage,
                    "start": _rel(report, s.start),
                    "end": _rel(report, s.end),
                    "state": s.state,
                    "reused": s.reused,
                }
                for s in report.spans
            ],
            "errors": list(report.errors),
        }
    )
    return data


def json_text(report: RunReport) -> str:
    return render.to_json(to_json(report))
