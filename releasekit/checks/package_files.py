"""The checks on what a publishable package must ship besides code: a license and a README."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

from releasekit.checks.base import CheckContext
from releasekit.checks.report import Finding

LICENSE_PREFIXES = ("license", "licence", "copying")
README_PREFIX = "readme"


def _has_file(directory: Path, prefixes: Sequence[str]) -> bool:
    try:
        return any(
            entry.is_file() and entry.name.lower().startswith(tuple(prefixes))
            for entry in os.scandir(directory)
        )
    except OSError:
        return False


def missing_license(ctx: CheckContext) -> list[Finding]:
    found = []
    for pkg in ctx.publishable:
        file = ctx.rel(pkg.manifest)
        table = pkg.project.get("license")
        declared_file = table.get("file") if isinstance(table, dict) else None
        if isinstance(declared_file, str) and not (pkg.path / declared_file).is_file():
            found.append(
                Finding(
                    "missing_license",
                    "error",
                    pkg.name,
                    file,
                    f"license file {declared_file!r} does not exist",
                    "fix the path in [project] license = { file = ... }",
                )
            )
            continue
        missing = [
            pattern
            for pattern in pkg.license_files
            if pattern != declared_file
            and not glob.glob(pattern, root_dir=pkg.path, recursive=True)
        ]
        for pattern in missing:
            found.append(
                Finding(
                    "missing_license",
                    "error",
                    pkg.name,
                    file,
                    f"license-files pattern {pattern!r} matches no file in {pkg.relpath}",
                    "add the license file to the package directory or fix the pattern",
                )
            )
        if missing:
            continue
        if pkg.license or pkg.license_files or _has_file(pkg.path, LICENSE_PREFIXES):
            continue
        found.append(
            Finding(
                "missing_license",
                "error",
                pkg.name,
                file,
                f"{pkg.name} declares no license and has no LICENSE file",
                'add a LICENSE file and license = "<SPDX id>" to [project]',
            )
        )
    return found


def missing_readme(ctx: CheckContext) -> list[Finding]:
    found = []
    for pkg in ctx.publishable:
        file = ctx.rel(pkg.manifest)
        if pkg.readme == "<inline>":
            continue
        if pkg.readme is not None:
            if not (pkg.path / pkg.readme).is_file():
                found.append(
                    Finding(
                        "missing_readme",
                        "error",
                        pkg.name,
                        file,
                        f"readme {pkg.readme!r} does not exist, so the build will fail",
                        "create the file or fix [project] readme",
                    )
                )
            continue
        if "readme" in pkg.dynamic:
            continue
        if _has_file(pkg.path, (README_PREFIX,)):
            found.append(
                Finding(
                    "missing_readme",
                    "warning",
                    pkg.name,
                    file,
                    f"{pkg.name} has a README but does not declare it, so its PyPI page will "
                    "be empty",
                    'add readme = "README.md" to [project]',
                )
            )
            continue
        found.append(
            Finding(
                "missing_readme",
                "error",
                pkg.name,
                file,
                f"{pkg.name} has no README",
                'write a README.md and add readme = "README.md" to [project]',
            )
        )
    return found

# --- stale_artifacts ----------------------------------------------------------------
