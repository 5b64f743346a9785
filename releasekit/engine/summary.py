"""A run's outcome told per package (from doit's reports and the workers' events), saved and rendered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from releasekit.engine.observer import TaskEvent, TaskStatus
from releasekit.engine.plan import Plan
from releasekit.engine.results import PackageResult, RunResult
from releasekit.engine.settings import PublishSettings
from releasekit.engine.stages import STAGES
from releasekit.engine.stopped import finished_by_workers, stop_label
from releasekit.support import envfaults
from releasekit.support.fsutil import atomic_write_json
from releasekit.support.render import table


def summarize(
    plan: Plan, outcomes: dict[str, TaskEvent], cancelled: bool, worker_events: Iterable[Mapping[str, Any]] = ()
) -> list[PackageResult]:
    """Each package's result; ``worker_events`` (the run's events file) tells what workers
    finished after a hard stop that the orchestrator never heard of. Only a stopped run reads
    them, once, so they may be a stream (``events.iter_events``)."""
    finished = finished_by_workers(worker_events) if cancelled else {}
    results = []
    for pkg in plan.packages:
        stages = [s for s in STAGES if f"{s}:{pkg.name}" in outcomes]
        events = {s: outcomes[f"{s}:{pkg.name}"] for s in stages}
        final = events.get("publish")
        upload = events.get("upload")
        uploaded = list(upload.values.get("uploaded", [])) if upload else []
        if final is not None and final.status is TaskStatus.DONE:
            status = str(final.values.get("status", "uploaded"))
            mapped = {
                "uploaded": "published",
                "already-published": "already-published",
                "existing-differs": "kept-existing",
            }.get(status, "published")
            if upload is not None and upload.status is TaskStatus.UPTODATE:
                mapped = "already-published"
            results.append(PackageResult(pkg.name, pkg.next_version, mapped, uploaded=uploaded))
            continue
        failed = next((s for s in stages if events[s].status is TaskStatus.FAILED), None)
        if failed:
            results.append(PackageResult(pkg.name, pkg.next_version, "failed", failed, events[failed].message))
            continue
        blocked = next((s for s in stages if events[s].status is TaskStatus.BLOCKED), None)
        if blocked:
            cause = _root_cause(pkg.name, blocked, outcomes)
            results.append(PackageResult(pkg.name, pkg.next_version, "blocked", blocked, cause))
            continue
        stage, detail = stop_label(pkg.name, stages, {s: e.status for s, e in events.items()}, finished, cancelled)
        results.append(PackageResult(pkg.name, pkg.next_version, "cancelled", stage, detail))
    return results


def _root_cause(package: str, stage: str, outcomes: dict[str, TaskEvent]) -> str:
    """Follow 'waits for X' back to the task that actually failed."""
    seen: set[str] = set()
    current = f"{stage}:{package}"
    gated = ""
    while current not in seen:
        seen.add(current)
        event = outcomes.get(current)
        if event is None:
            break
        if event.stage == "gate":
            gated = "nothing uploaded: the staged gate stopped the release; "
        if event.status is TaskStatus.FAILED:
            return f"{gated}blocked by {event.package} (failed at {event.stage})"
        if event.status is TaskStatus.BLOCKED and event.message.startswith("waits for "):
            current = event.message[len("waits for ") :].split()[0]
            continue
        break
    return "blocked by a failed dependency"


def write_summary(settings: PublishSettings, result: RunResult) -> None:
    data = result.to_json()
    with envfaults.named("saving the run's summary", state_dir=settings.state_dir):
        atomic_write_json(Path(settings.run_dir) / "summary.json", data)
        atomic_write_json(Path(settings.state_dir) / "last-run.json", data)


def render_summary(result: RunResult, *, rehearsal: bool = False) -> str:
    rows = []
    for p in result.packages:
        what = p.status if not p.stage or p.status in ("published", "already-published") else f"{p.status} ({p.stage})"
        detail = p.message
        if p.status == "published":
            detail = f"uploaded {', '.join(p.uploaded)}" if p.uploaded else "uploaded"
        elif p.status == "already-published":
            detail = p.message or "already on the index with identical files; nothing uploaded"
        elif p.status == "kept-existing":
            detail = "different files already on the index were kept (--skip-existing)"
        rows.append((p.name, p.version, what, detail))
    text = table(("package", "version", "result", "detail"), rows, shrink=(3,), floors={3: 40}, prose=(3,))
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts().items()))
    fault = result.environment_fault
    verdict = "ok" if result.ok else ("STOPPED" if fault else "cancelled" if result.cancelled else "FAILED")
    text += f"\n{verdict}: {counts or 'nothing to do'} in {result.seconds:.1f}s (run {result.run_id})\n"
    for err in result.runtime_errors:
        text += f"error: {err}\n"
    if fault:
        text += "fix that (free space, a writable state directory: --state-dir DIR), then "
    if not result.ok and rehearsal and not fault:
        text += "every rehearsal starts from an empty throwaway index: fix what failed and rehearse again\n"
    elif not result.ok:
        text += "rerun the same command to resume: only what is missing on the index is uploaded\n"
    return text
