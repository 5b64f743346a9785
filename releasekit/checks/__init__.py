"""Workspace health checks: the runner, the CheckBackend protocol and the built-in backends.

``releasekit check`` and the doit ``check`` task (:func:`run_for_doit`) both end here.
"""

from releasekit.checks.base import (
    Change,
    CheckBackend,
    CheckContext,
    CheckInfo,
    CheckReport,
    Finding,
    check_ids,
    default_backends,
    render_report,
    run_checks,
    run_for_doit,
)

__all__ = [
    "Change",
    "CheckBackend",
    "CheckContext",
    "CheckInfo",
    "CheckReport",
    "Finding",
    "check_ids",
    "default_backends",
    "render_report",
    "run_checks",
    "run_for_doit",
]
