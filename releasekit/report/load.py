"""From a run reference (``last``, a run id, a run directory) to the interpreted :class:`RunReport`."""

from __future__ import annotations

from pathlib import Path

from releasekit.engine.runfile import RunFiles, find_run, is_run_dir
from releasekit.report.model import RunReport, package_reports, spans_from, stage_stats
from releasekit.report.timing import totals


def run_dir_for(ref: str, workspace: Path | None = None) -> Path:
    """A run directory's path is taken as it is (a downloaded CI artifact needs no workspace);
    ``last`` or a run id is looked up in the state directory of the workspace."""
    given = Path(ref)
    if ref not in ("last", "") and given.is_dir() and is_run_dir(given):
        return given
    # lazy: a run directory given as a path needs no workspace; +320 ms (model.context) for `report DIR`
    from releasekit.model.context import state_dir_of

    return find_run(state_dir_of(workspace), ref or "last")


def interpret(files: RunFiles) -> RunReport:
    spans = spans_from(files.events)
    plan_file = files.plan or {}
    plan = plan_file.get("plan") or {}
    summary = files.summary
    if summary is None:
        verdict, exit_code = "unfinished", None
    else:
        verdict = "ok" if summary.get("ok") else ("cancelled" if summary.get("cancelled") else "failed")
        exit_code = int(summary["exit_code"]) if isinstance(summary.get("exit_code"), int) else None
    return RunReport(
        run_id=str((summary or {}).get("run_id") or files.run_id),
        run_dir=files.run_dir,
        verdict=verdict,
        exit_code=exit_code,
        origin=min((s.start for s in spans), default=float(plan_file.get("started") or 0.0)),
        packages=tuple(package_reports(files, spans, plan)),
        spans=tuple(spans),
        stages=tuple(stage_stats(spans)),
        totals=totals(spans, plan_file, summary),
        staged=bool(plan.get("staged")),
        target=str(plan_file.get("target", "")),
        has_plan=bool(plan),
        errors=tuple(str(e) for e in (summary or {}).get("runtime_errors", [])),
    )
