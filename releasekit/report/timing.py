"""Where the time of a run went: makespan, utilisation, the first upload, the critical path.

The critical path *as it really ran* is read backwards from the stage that finished last:
each step goes to the dependency (in the plan's task graph) that finished last before it
started, the one it actually waited for. A step that started later than that dependency
ended waited for a worker, and that wait is shown (for the first step: from the run's
first stage on), so the path's stages and waits add up to the makespan. Tasks that never ran in this run (up to
date, or the plan's group tasks) are looked through to their own dependencies.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from releasekit.engine.stages import ORDER
from releasekit.report.model import Span, Step, Totals

#: Events are rounded to milliseconds: a dependency may appear to end just after its dependent starts.
SLACK = 0.005


def task_graph(plan: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {str(t["name"]): tuple(str(d) for d in t.get("task_dep", ())) for t in plan.get("tasks", [])}


def _same_package_graph(spans: Sequence[Span]) -> dict[str, tuple[str, ...]]:
    """Without the plan: each stage waits for the stage before it of the same package."""
    graph: dict[str, tuple[str, ...]] = {}
    by_package: dict[str, list[Span]] = {}
    for span in spans:
        by_package.setdefault(span.package, []).append(span)
    for own in by_package.values():
        own.sort(key=lambda s: ORDER.index(s.stage) if s.stage in ORDER else len(ORDER))
        for before, after in itertools.pairwise(own):
            graph[after.task] = (before.task,)
    return graph


def critical_path(spans: Sequence[Span], graph: Mapping[str, Sequence[str]]) -> list[Step]:
    ran = {s.task: s for s in spans}
    if not ran:
        return []
    if not graph:
        graph = _same_package_graph(spans)
    memo: dict[str, list[Span]] = {}

    def ran_before(task: str, seen: frozenset[str]) -> list[Span]:
        """The spans that stand for ``task``'s dependencies (looking through tasks that did not run)."""
        if task in memo:
            return memo[task]
        found: list[Span] = []
        for dep in graph.get(task, ()):
            if dep in ran:
                found.append(ran[dep])
            elif dep not in seen:
                found += ran_before(dep, seen | {dep})
        memo[task] = found
        return found

    current = max(spans, key=lambda s: (s.end, s.start))
    path: list[Step] = []
    seen: set[str] = set()
    while current.task not in seen:
        seen.add(current.task)
        before = [s for s in ran_before(current.task, frozenset({current.task})) if s.end <= current.start + SLACK]
        previous = max(before, key=lambda s: s.end, default=None)
        waited = max(0.0, current.start - previous.end) if previous else 0.0
        path.append(Step(current.task, current.start, current.end, waited))
        if previous is None:
            break
        current = previous
    path.reverse()
    first = path[0]  # it depended on nothing that ran: until it started, it waited for a worker
    path[0] = Step(first.task, first.start, first.end, first.start - min(s.start for s in spans))
    return path


def totals(spans: Sequence[Span], plan_file: Mapping[str, Any] | None, summary: Mapping[str, Any] | None) -> Totals:
    plan_file = plan_file or {}
    timed = [s for s in spans if s.stage != "gate" or s.package]
    first = min((s.start for s in spans), default=0.0)
    last = max((s.end for s in spans), default=first)
    uploads = [s.start for s in spans if s.stage == "upload"]
    started = plan_file.get("started")
    workers = int(plan_file.get("concurrency") or 0) or len({s.pid for s in spans if s.pid is not None}) or 1
    return Totals(
        makespan=last - first,
        startup=max(0.0, first - float(started)) if isinstance(started, int | float) and spans else None,
        wall=float(summary["seconds"]) if summary and isinstance(summary.get("seconds"), int | float) else None,
        workers=workers,
        busy=sum(s.seconds for s in timed),
        first_upload=min(uploads) - first if uploads else None,
        critical_path=tuple(critical_path(spans, task_graph(plan_file.get("plan") or {}))),
    )
