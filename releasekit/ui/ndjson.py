"""``publish --format json``: the run as a stream of JSON objects, one per line, on stdout.

Every line has ``type`` (start | task | event | state | summary) and ``t`` (Unix time).
The last line is always the summary (the same object as ``summary.json`` in the run's
state directory, plus ``type``), so ``tail -n1`` gives the verdict. Nothing else is
written to stdout; logs and errors go to stderr.
"""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from releasekit.engine.observer import SchedulerState, TaskEvent
from releasekit.engine.plan import Plan
from releasekit.engine.results import RunResult
from releasekit.engine.settings import PublishSettings
from releasekit.support.redact import redact
from releasekit.ui.sink import LineSink

SCHEMA = "releasekit.events/1"


def dumps(obj: dict[str, Any]) -> str:
    return redact(json.dumps(obj, default=str, separators=(",", ":"), ensure_ascii=False))


class NdjsonStream:
    """PublishObserver emitting NDJSON. ``quiet``: only the final summary line."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.sink = LineSink(stream)
        self.quiet = quiet

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.quiet and kind != "summary":
            return
        self.sink.write(dumps({"type": kind, "t": round(time.time(), 3), **data}))

    def on_start(self, plan: Plan, settings: PublishSettings) -> None:
        self._emit(
            "start",
            {
                "schema": SCHEMA,
                "run_id": settings.run_id,
                "publish_url": settings.publish_url,
                "check_url": settings.check_url,
                "concurrency": settings.concurrency,
                "plan": plan.to_json(),
            },
        )

    def on_task(self, event: TaskEvent) -> None:
        self._emit(
            "task",
            {
                "task": event.task,
                "stage": event.stage,
                "package": event.package,
                "status": event.status.value,
                "message": event.message,
                "values": event.values,
                "at": round(event.at, 3),
            },
        )

    def on_event(self, event: dict[str, Any]) -> None:
        data = dict(event)
        data["kind"] = data.pop("event", "")
        self._emit("event", data)

    def on_state(self, state: SchedulerState, detail: str) -> None:
        self._emit("state", {"state": state.value, "detail": detail})

    def on_finish(self, result: RunResult) -> None:
        self._emit("summary", result.to_json())
        self.sink.flush()
