"""Checks that hold for any workspace, whatever language its packages are written in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from releasekit.checks import graph_checks, leftovers, package_files
from releasekit.checks.base import CheckContext, CheckInfo
from releasekit.checks.report import Change, Finding

CHECKS = (
    CheckInfo("cycles", "circular dependency chains between workspace packages, with the path"),
    CheckInfo("self_deps", "a package that depends on itself (extras of itself are fine)"),
    CheckInfo(
        "orphan_deps",
        "an internal dependency that is excluded from, absent in, or never published by the workspace",
    ),
    CheckInfo(
        "internal_pins",
        "an internal requirement the workspace's own version of that package does not satisfy, "
        "or whose version is dynamic, so the build cannot pin it",
    ),
    CheckInfo(
        "missing_license",
        "a publishable package without a license (file, `license` or `license-files`)",
    ),
    CheckInfo("missing_readme", "a publishable package without a README"),
    CheckInfo(
        "stale_artifacts",
        "leftovers of a killed run (temp files, backups, journal entries) and non-empty dist/ folders",
        fixable=True,
    ),
)

_RUNS: dict[str, Callable[[CheckContext], list[Finding]]] = {
    "cycles": graph_checks.cycles,
    "self_deps": graph_checks.self_deps,
    "orphan_deps": graph_checks.orphan_deps,
    "internal_pins": graph_checks.internal_pins,
    "missing_license": package_files.missing_license,
    "missing_readme": package_files.missing_readme,
    "stale_artifacts": leftovers.stale_artifacts,
}


class UniversalCheckBackend:
    """cycles, self_deps, orphan_deps, internal_pins, missing_license, missing_readme, stale_artifacts."""

    name = "universal"

    def checks(self) -> Sequence[CheckInfo]:
        return CHECKS

    def run(self, check_id: str, ctx: CheckContext) -> Iterable[Finding]:
        return _RUNS[check_id](ctx)

    def fix(self, finding: Finding, ctx: CheckContext) -> Sequence[Change]:
        return leftovers.remove_leftover(finding, ctx)
