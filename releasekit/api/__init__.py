"""The typed library API: what the commands call, and what a program driving releasekit calls.

Each function takes a loaded workspace, a selection and one options value, and returns a
result value; rendering and exit codes stay with the caller.

One module per command group; a name is imported from its module the first time it is used.
Measured: the engine's run, the checks and the index client (requests) cost 0.3-0.4 s of
imports, which ``plan``, ``discover`` and ``graph`` never use (0.8 s -> 0.4 s for a plan).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.api.health import CheckOptions, PreflightOptions, check, preflight, run_gates
    from releasekit.api.planning import plan
    from releasekit.api.publishing import Gates, OnReleased, PublishOptions, publish, publish_preview
    from releasekit.api.releasing import label_release_pr, notify, prepare, release
    from releasekit.checks import CheckReport
    from releasekit.engine.results import RunResult
    from releasekit.preflight.gates import PreflightReport
    from releasekit.workflow.notify import NotifyOptions, NotifyResult
    from releasekit.workflow.prepare import PrepareOptions, PrepareResult
    from releasekit.workflow.release import ReleaseOptions, ReleaseResult

#: Each public name and the module it comes from.
_HOME = {
    "CheckOptions": "releasekit.api.health",
    "PreflightOptions": "releasekit.api.health",
    "check": "releasekit.api.health",
    "preflight": "releasekit.api.health",
    "run_gates": "releasekit.api.health",
    "plan": "releasekit.api.planning",
    "Gates": "releasekit.api.publishing",
    "OnReleased": "releasekit.api.publishing",
    "PublishOptions": "releasekit.api.publishing",
    "publish": "releasekit.api.publishing",
    "publish_preview": "releasekit.api.publishing",
    "label_release_pr": "releasekit.api.releasing",
    "notify": "releasekit.api.releasing",
    "prepare": "releasekit.api.releasing",
    "release": "releasekit.api.releasing",
    "CheckReport": "releasekit.checks",
    "RunResult": "releasekit.engine.results",
    "PreflightReport": "releasekit.preflight.gates",
    "NotifyOptions": "releasekit.workflow.notify",
    "NotifyResult": "releasekit.workflow.notify",
    "PrepareOptions": "releasekit.workflow.prepare",
    "PrepareResult": "releasekit.workflow.prepare",
    "ReleaseOptions": "releasekit.workflow.release",
    "ReleaseResult": "releasekit.workflow.release",
}

__all__ = [
    "CheckOptions",
    "CheckReport",
    "Gates",
    "NotifyOptions",
    "NotifyResult",
    "OnReleased",
    "PreflightOptions",
    "PreflightReport",
    "PrepareOptions",
    "PrepareResult",
    "PublishOptions",
    "ReleaseOptions",
    "ReleaseResult",
    "RunResult",
    "check",
    "label_release_pr",
    "notify",
    "plan",
    "preflight",
    "prepare",
    "publish",
    "publish_preview",
    "release",
    "run_gates",
]


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: the next lookup (or a test's monkeypatch) sees a plain attribute
    return value
