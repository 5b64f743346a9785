"""One run, interpreted: stage spans, a verdict per package, times per stage, and totals.

Built from what the run left on disk (:mod:`releasekit.engine.runfile`): the events give
each stage's start and end, the summary the verdict of doit (including the stages that
never ran: blocked, up to date, cancelled), the plan the levels and the task graph. Any of
the three may be missing (a killed run has no summary, an old run no plan); the model says
what it can and never guesses a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.engine.events import Event
from releasekit.engine.runfile import RunFiles
from releasekit.engine.stages import ORDER, STAGES

#: Results of a package that count as released.
RELEASED = ("published", "already-published", "kept-existing")
_CODE = re.compile(r"error\[(RK\d{3})\]")


@dataclass(frozen=True)
class Span:
    """One stage of one package as it ran (absolute ``time.time()`` seconds)."""

    package: str  # "" for the gate
    stage: str
    start: float
    end: float
    state: str  # done | failed | unfinished (still running when the run stopped)
    pid: int | None = None
    reused: bool = False

    @property
    def task(self) -> str:
        return f"{self.stage}:{self.package}" if self.package else self.stage

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Retry:
    stage: str
    attempt: int
    delay: float
    cause: str


@dataclass(frozen=True)
class PackageReport:
    name: str
    version: str
    level: int
    result: str  # published | already-published | kept-existing | failed | blocked | cancelled | interrupted
    reached: str  # the stage it got to (failed or stopped at, or `publish`)
    cause: str = ""  # cause first: the exception line, then what releasekit says about it
    hint: str = ""
    code: str = ""
    retries: tuple[Retry, ...] = ()
    start: float | None = None
    end: float | None = None
    logs: tuple[str, ...] = ()
    uploaded: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result in RELEASED

    @property
    def seconds(self) -> float | None:
        return None if self.start is None or self.end is None else self.end - self.start


@dataclass(frozen=True)
class StageStats:
    stage: str
    tasks: int
    first_start: float
    last_end: float
    median: float
    busy: float
    failed: int = 0


@dataclass(frozen=True)
class Step:
    """One task of the critical path: when it ran and how long it waited for its worker."""

    task: str
    start: float
    end: float
    waited: float


@dataclass(frozen=True)
class Totals:
    makespan: float  # first stage start to last stage end
    startup: float | None  # run start (plan.json) to the first stage
    wall: float | None  # what the summary measured, start-up and shutdown included
    workers: int
    busy: float
    first_upload: float | None  # seconds from the first stage to the first upload
    critical_path: tuple[Step, ...] = ()

    @property
    def utilisation(self) -> float | None:
        capacity = self.workers * self.makespan
        return self.busy / capacity if capacity > 0 else None


@dataclass(frozen=True)
class RunReport:
    run_id: str
    run_dir: Path
    verdict: str  # ok | failed | cancelled | unfinished (no summary: killed, or still running)
    exit_code: int | None
    origin: float  # when the first stage started (time.time())
    packages: tuple[PackageReport, ...]
    spans: tuple[Span, ...]
    stages: tuple[StageStats, ...]
    totals: Totals
    staged: bool = False
    target: str = ""
    has_plan: bool = False
    errors: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.packages:
            out[p.result] = out.get(p.result, 0) + 1
        return out

    @property
    def failures(self) -> list[PackageReport]:
        return [p for p in self.packages if p.result == "failed"]


# --- reading the events -------------------------------------------------------------------


def spans_from(events: Iterable[Event]) -> list[Span]:
    """Pair each stage's start with its done/fail; a start without an end ran until the run stopped."""
    opened: dict[tuple[str, str], Event] = {}
    spans: list[Span] = []
    last = 0.0
    for event in events:
        kind, key = event.get("event"), (str(event.get("package", "")), str(event.get("stage", "")))
        at = float(event.get("t", 0.0))
        last = max(last, at, float(event.get("t1", 0.0)))
        if kind == "start":
            opened[key] = event
        elif kind in ("done", "fail"):
            began = opened.pop(key, None)
            start = float(began["t"]) if began else at - float(event.get("seconds") or 0.0)
            spans.append(
                Span(*key, start, at, "done" if kind == "done" else "failed", _pid(began), bool(event.get("reused")))
            )
        elif kind == "sim":  # the scheduling benchmark's simulated stages
            spans.append(Span(*key, float(event["t0"]), float(event["t1"]), "done", _pid(event)))
    spans += [Span(*key, float(e["t"]), last, "unfinished", _pid(e)) for key, e in opened.items()]
    return sorted(spans, key=lambda s: (s.start, s.end))


def _pid(event: Event | None) -> int | None:
    value = (event or {}).get("pid")
    return int(value) if isinstance(value, int) else None


def split_message(message: str) -> tuple[str, str, str]:
    """``error[RK614] what (hint: do)`` -> (cause, hint, code)."""
    text = message.strip()
    hint = ""
    marker = text.rfind(" (hint: ")
    if marker >= 0 and text.endswith(")"):
        text, hint = text[:marker], text[marker + len(" (hint: ") : -1]
    match = _CODE.search(text)
    return text, hint, match.group(1) if match else ""


def failure_cause(event: Event) -> tuple[str, str, str]:
    """Cause first: for an internal error, the exception line of its traceback leads."""
    cause, hint, code = split_message(str(event.get("message", "")))
    code = str(event.get("code") or code)
    lines = [line for line in str(event.get("traceback", "")).splitlines() if line.strip()]
    if lines:
        cause = f"{lines[-1].strip()} ({cause})"
    return cause, hint, code


# --- packages ----------------------------------------------------------------------------


def _log_files(run_dir: Path, name: str) -> tuple[str, ...]:
    logs = run_dir / "logs"
    return tuple(str(logs / f"{name}-{stage}.log") for stage in STAGES if (logs / f"{name}-{stage}.log").is_file())


def _verdict_without_summary(spans: Sequence[Span]) -> tuple[str, str, str]:
    """(result, reached, cause) of a package whose run ended without a summary."""
    if not spans:
        return "cancelled", "", "not started: the run stopped first"
    by_stage = {s.stage: s for s in spans}
    if by_stage.get("publish") is not None and by_stage["publish"].state == "done":
        return "published", "publish", ""
    bad = next((s for s in spans if s.state == "failed"), None)
    if bad is not None:
        return "failed", bad.stage, ""
    last = max(spans, key=lambda s: (s.start, ORDER.index(s.stage) if s.stage in ORDER else 0))
    doing = "running" if last.state == "unfinished" else "done with"
    return "interrupted", last.stage, f"the run stopped while {doing} {last.stage} (no summary was written)"


def package_reports(files: RunFiles, spans: Sequence[Span], plan: Mapping[str, Any]) -> list[PackageReport]:
    planned = {str(p["name"]): p for p in plan.get("packages", [])}
    summary = {str(p["name"]): p for p in (files.summary or {}).get("packages", [])}
    by_package: dict[str, list[Span]] = {}
    for span in spans:
        if span.package:
            by_package.setdefault(span.package, []).append(span)
    failures = {(str(e.get("package")), str(e.get("stage"))): e for e in files.events if e.get("event") == "fail"}
    retries: dict[str, list[Retry]] = {}
    versions: dict[str, str] = {}
    for e in files.events:
        name = str(e.get("package", ""))
        if e.get("event") == "retry":
            retries.setdefault(name, []).append(
                Retry(
                    str(e.get("stage", "")),
                    int(e.get("attempt") or 0),
                    float(e.get("delay") or 0.0),
                    str(e.get("cause", "")),
                )
            )
        elif e.get("event") == "start" and e.get("version"):
            versions.setdefault(name, str(e["version"]))
    names = list(planned) + [n for n in (*summary, *by_package) if n not in planned]
    reports = []
    for name in dict.fromkeys(names):
        own = by_package.get(name, [])
        entry = summary.get(name)
        if entry is not None:
            result, reached = str(entry.get("status", "")), str(entry.get("stage", ""))
            cause, hint, code = split_message(str(entry.get("message", "")))
            if result in RELEASED:
                reached, cause = "publish", ""
        else:
            result, reached, cause = _verdict_without_summary(own)
            hint = code = ""
        if result == "failed" and (name, reached) in failures:
            cause, hint, code = failure_cause(failures[(name, reached)])
        plan_entry = planned.get(name, {})
        reports.append(
            PackageReport(
                name=name,
                version=str((entry or {}).get("version") or plan_entry.get("next_version") or versions.get(name, "")),
                level=int(plan_entry.get("level", 0)),
                result=result,
                reached=reached or (own[-1].stage if own else ""),
                cause=cause,
                hint=hint,
                code=code,
                retries=tuple(retries.get(name, ())),
                start=min((s.start for s in own), default=None),
                end=max((s.end for s in own), default=None),
                logs=_log_files(files.run_dir, name),
                uploaded=tuple(str(f) for f in (entry or {}).get("uploaded", [])),
            )
        )
    return reports


def stage_stats(spans: Sequence[Span]) -> list[StageStats]:
    out = []
    for stage in ORDER:
        mine = [s for s in spans if s.stage == stage]
        if not mine:
            continue
        seconds = sorted(s.seconds for s in mine)
        middle = len(seconds) // 2
        median = seconds[middle] if len(seconds) % 2 else (seconds[middle - 1] + seconds[middle]) / 2
        out.append(
            StageStats(
                stage,
                len(mine),
                min(s.start for s in mine),
                max(s.end for s in mine),
                median,
                sum(seconds),
                sum(1 for s in mine if s.state == "failed"),
            )
        )
    return out
