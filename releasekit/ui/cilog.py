"""The front end for logs (no terminal): one aligned line per stage change, on stderr.

Every line has the same fields in the same columns, so a CI log reads as a timeline and
greps well: ``[  12.3s] acme-http  0.3.0  upload   done       0.4s  uploaded``.
In GitHub Actions (``GITHUB_ACTIONS=true``) the plan and, at the end, each package's own
lines go into collapsible ``::group::`` sections, and every failure becomes an
``::error file=...,title=...::`` annotation on the package's pyproject.toml.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from releasekit.engine.observer import SchedulerState, TaskEvent, TaskStatus, destination
from releasekit.engine.plan import Plan
from releasekit.engine.results import RunResult
from releasekit.engine.settings import PublishSettings
from releasekit.support.redact import redact
from releasekit.ui.sink import LineSink


def escape_data(text: str) -> str:
    """GitHub workflow-command message escaping."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub workflow-command property escaping (file=, title=)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, message: str, *, title: str = "", file: str = "") -> str:
    props = ",".join(f"{k}={escape_property(v)}" for k, v in (("file", file), ("title", title)) if v)
    return f"::{kind}{' ' + props if props else ''}::{escape_data(message)}"


class CiLog:
    """PublishObserver writing plain lines (thread- and signal-safe through LineSink)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        verbose: bool = False,
        github: bool = False,
        clock: Callable[[], float] = time.monotonic,
        cwd: str | None = None,
    ) -> None:
        self.sink = LineSink(stream)
        self.verbose = verbose
        self.github = github
        self.clock = clock
        self.cwd = cwd
        self.started = clock()
        self.versions: dict[str, str] = {}
        self.manifests: dict[str, str] = {}
        self.history: dict[str, list[str]] = {}
        self.running_since: dict[str, float] = {}
        self.width = 12

    def _line(self, text: str, package: str = "") -> None:
        line = redact(f"[{self.clock() - self.started:7.1f}s] {text}")
        if package:
            self.history.setdefault(package, []).append(line)
        self.sink.write(line)

    def _cols(self, package: str, stage: str) -> str:
        return f"{package:<{self.width}} {self.versions.get(package, ''):<9} {stage:<7}"

    # --- PublishObserver -----------------------------------------------------------

    def on_start(self, plan: Plan, settings: PublishSettings) -> None:
        self.started = self.clock()
        self.width = max([12, *(len(p.name) for p in plan.packages)])
        for pkg in plan.packages:
            self.versions[pkg.name] = pkg.next_version
            self.manifests[pkg.name] = self._manifest(Path(plan.root) / pkg.path / "pyproject.toml")
        self._line(
            f"publish {len(plan.packages)} package(s) in {len(plan.levels)} level(s) "
            f"{destination(settings)}; run {settings.run_id})"
        )
        if self.github:
            self.sink.write("::group::plan")
            for i, level in enumerate(plan.levels):
                self.sink.write(f"level {i}: " + ", ".join(f"{n} {self.versions.get(n, '')}" for n in level))
            self.sink.write("::endgroup::")

    def on_task(self, event: TaskEvent) -> None:
        if event.status is TaskStatus.RUNNING:
            self.running_since[event.task] = event.at
            if event.stage == "probe" and not self.verbose:
                return
        took = ""
        if event.status is not TaskStatus.RUNNING and event.task in self.running_since:
            took = f"{event.at - self.running_since.pop(event.task):.1f}s"
        detail = str(event.values.get("status", "")) if event.status is TaskStatus.DONE else ""
        message = event.message.strip().splitlines()[0] if event.message.strip() else ""
        detail = "  ".join(x for x in (detail, message) if x)
        status = event.status.value
        line = f"{self._cols(event.package, event.stage)} {status:<10} {took:>6}  {detail}"
        self._line(line.rstrip(), event.package)

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        package = str(event.get("package", ""))
        stage = str(event.get("stage", ""))
        if kind == "retry":
            self._line(
                f"{self._cols(package, stage)} {'retry':<10} {'':>6}  #{event.get('attempt')} in "
                f"{event.get('delay')}s: {event.get('cause', '')}",
                package,
            )
        elif kind == "step" and self.verbose:
            detail = event.get("detail")
            self._line(
                f"{self._cols(package, stage)} {'step':<10} {'':>6}  {event.get('step', '')}"
                + (f": {detail}" if detail else ""),
                package,
            )
        elif kind == "restore":
            self._line(f"restored: {event.get('detail', '')}")

    def on_state(self, state: SchedulerState, detail: str) -> None:
        self._line(f"scheduler {state.value}: {detail}")

    def on_finish(self, result: RunResult) -> None:
        if self.github:
            for pkg in result.packages:
                self.sink.write(f"::group::{pkg.name} {pkg.version}: {pkg.status}")
                for line in self.history.get(pkg.name, []):
                    self.sink.write(line)
                self.sink.write("::endgroup::")
            for pkg in result.packages:
                if pkg.status == "failed":
                    self.sink.write(
                        annotation(
                            "error",
                            redact(pkg.message or "failed"),
                            title=f"releasekit: {pkg.name} {pkg.version} failed at {pkg.stage}",
                            file=self.manifests.get(pkg.name, ""),
                        )
                    )
                elif pkg.status in ("blocked", "cancelled"):
                    self.sink.write(
                        annotation(
                            "warning",
                            redact(pkg.message or pkg.status),
                            title=f"releasekit: {pkg.name} {pkg.version} {pkg.status}",
                            file=self.manifests.get(pkg.name, ""),
                        )
                    )
            for message in result.runtime_errors:
                self.sink.write(annotation("error", redact(message), title="releasekit: run error"))
        self.sink.flush()

    def _manifest(self, path: Path) -> str:
        """The path GitHub wants: relative to the job's working directory when inside it."""
        base = self.cwd or os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
        try:
            return (
                Path(os.path.relpath(path, base)).as_posix()
                if Path(path).resolve().is_relative_to(Path(base).resolve())
                else path.as_posix()
            )
        except (ValueError, OSError):
            return path.as_posix()
