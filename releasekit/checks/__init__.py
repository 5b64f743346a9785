"""Workspace health checks: the runner, the CheckBackend protocol and the built-in backends.

``releasekit check`` and the doit ``check`` task (:func:`run_for_doit`) both end here.
"""

from releasekit.checks.base import CheckBackend, CheckContext, CheckInfo
from releasekit.checks.report import Change, CheckReport, Finding
from releasekit.checks.run import check_ids, default_backends, run_checks, run_for_doit

__all__ = [
    "Change",
    "CheckBackend",
    "CheckContext",
    "CheckInfo",
    "CheckReport",
    "Finding",
    "check_ids",
    "default_backends",
    "run_checks",
    "run_for_doit",
]
