"""What a run that stopped early says about itself: true labels, and faults named, not raised.

doit reports a stage only when the orchestrator receives its result. After a hard stop (a
second Ctrl-C) the stages in flight never report, though their workers may have finished
them, an upload included: the run's events file, written by the workers, says how far each
got. And the last things a run writes (the journal's repair, doit's database, the summary)
may meet the same full or read-only disk as the stages did: each becomes one line with its
code in the summary, which is still printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from releasekit.engine.observer import TaskStatus
from releasekit.support.envfaults import PinnedFiles
from releasekit.support.journal import Journal


def finished_by_workers(events: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """``STAGE:PACKAGE`` -> what `stop_label` reads of the worker's "done" event (the files it
    uploaded), for every stage a worker finished; the rest of each event is not kept."""
    return {
        f"{e['stage']}:{e['package']}": {"uploaded": e["uploaded"]} if "uploaded" in e else {}
        for e in events
        if e.get("event") == "done" and e.get("stage") and e.get("package")
    }


def stop_label(
    package: str,
    stages: list[str],
    statuses: Mapping[str, TaskStatus],
    finished: Mapping[str, Mapping[str, Any]],
    cancelled: bool,
) -> tuple[str, str]:
    """(stage, detail) for a package the run neither finished nor failed."""
    pending = next((s for s in stages if statuses[s] is TaskStatus.PENDING), "publish")
    if not cancelled:
        return pending, "not run"
    in_flight = [s for s in stages if statuses[s] is TaskStatus.RUNNING]
    unreported = [s for s in in_flight if f"{s}:{package}" not in finished]
    if unreported:
        stage = unreported[0]
        if stage == "upload":
            return stage, ("stopped during the upload: the rerun asks the index what arrived and uploads only the rest")
        return stage, f"stopped during {stage}: the rerun does it again"
    if in_flight:  # finished by its worker after the stop: the orchestrator never heard back
        last = in_flight[-1]
        uploaded = finished[f"{last}:{package}"].get("uploaded") if last == "upload" else None
        what = f"{last} finished" + (f" (uploaded {', '.join(map(str, uploaded))})" if uploaded else "")
        return pending, f"not started: the run was stopped after {what}; the rerun goes on from there"
    return pending, "not started: the run was stopped"


def repair_after_run(state_dir: Path) -> tuple[list[str], str]:
    """Restore what the run left rewritten; (messages, the RK313 line if some files could not be)."""
    try:
        return Journal(state_dir).repair(), ""
    except PinnedFiles as exc:
        return exc.restored, exc.one_line()
