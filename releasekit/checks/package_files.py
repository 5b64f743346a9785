"""The checks on what a publishable package must ship besides code: a license and a README."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

from releasekit.checks.base import CheckContext
from releasekit.checks.findings import Severity
from releasekit.checks.report import Finding
from releasekit.model.package import Package

LICENSE_PREFIXES = ("license", "licence", "copying")
README_PREFIX = "readme"


def _has_file(directory: Path, prefixes: Sequence[str]) -> bool:
    try:
        return any(
            entry.is_file() and entry.name.lower().startswith(tuple(prefixes)) for entry in os.scandir(directory)
        )
    except OSError:
        return False


def _finding(check: str, severity: Severity, pkg: Package, ctx: CheckContext, message: str, hint: str) -> Finding:
    return Finding(check, severity, pkg.name, ctx.rel(pkg.manifest), message, hint)


def _license_problem(pkg: Package, ctx: CheckContext) -> list[Finding]:
    table = pkg.project.get("license")
    declared_file = table.get("file") if isinstance(table, dict) else None
    if isinstance(declared_file, str) and not (pkg.path / declared_file).is_file():
        return [
            _finding(
                "missing_license",
                "error",
                pkg,
                ctx,
                f"license file {declared_file!r} does not exist",
                "fix the path in [project] license = { file = ... }",
            )
        ]
    missing = [
        pattern
        for pattern in pkg.license_files
        if pattern != declared_file and not glob.glob(pattern, root_dir=pkg.path, recursive=True)
    ]
    if missing:
        return [
            _finding(
                "missing_license",
                "error",
                pkg,
                ctx,
                f"license-files pattern {pattern!r} matches no file in {pkg.relpath}",
                "add the license file to the package directory or fix the pattern",
            )
            for pattern in missing
        ]
    if pkg.license or pkg.license_files or _has_file(pkg.path, LICENSE_PREFIXES):
        return []
    return [
        _finding(
            "missing_license",
            "error",
            pkg,
            ctx,
            f"{pkg.name} declares no license and has no LICENSE file",
            'add a LICENSE file and license = "<SPDX id>" to [project]',
        )
    ]


def missing_license(ctx: CheckContext) -> list[Finding]:
    return [finding for pkg in ctx.publishable for finding in _license_problem(pkg, ctx)]


def _readme_problem(pkg: Package, ctx: CheckContext) -> Finding | None:
    if pkg.readme == "<inline>":
        return None
    if pkg.readme is not None:
        if (pkg.path / pkg.readme).is_file():
            return None
        return _finding(
            "missing_readme",
            "error",
            pkg,
            ctx,
            f"readme {pkg.readme!r} does not exist, so the build will fail",
            "create the file or fix [project] readme",
        )
    if "readme" in pkg.dynamic:
        return None
    if _has_file(pkg.path, (README_PREFIX,)):
        return _finding(
            "missing_readme",
            "warning",
            pkg,
            ctx,
            f"{pkg.name} has a README but does not declare it, so its PyPI page will be empty",
            'add readme = "README.md" to [project]',
        )
    return _finding(
        "missing_readme",
        "error",
        pkg,
        ctx,
        f"{pkg.name} has no README",
        'write a README.md and add readme = "README.md" to [project]',
    )


def missing_readme(ctx: CheckContext) -> list[Finding]:
    return [finding for pkg in ctx.publishable if (finding := _readme_problem(pkg, ctx)) is not None]
