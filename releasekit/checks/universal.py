"""Checks that hold for any workspace, whatever language its packages are written in."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from releasekit.checks.base import Change, CheckContext, CheckInfo, Finding
from releasekit.errors import StateError
from releasekit.fsutil import TMP_MARK
from releasekit.journal import Journal
from releasekit.package import normalize
from releasekit.selection import unreleased_reason
from releasekit.state import StateLock
from releasekit.versions import admits

LICENSE_PREFIXES = ("license", "licence", "copying")
README_PREFIX = "readme"
KEPT_ORIGINAL = ".releasekit-original"
BACKUP_SUFFIXES = (".bak", ".orig")
ARTIFACT_SUFFIXES = (".whl", ".tar.gz", ".zip")

CHECKS = (
    CheckInfo("cycles", "circular dependency chains between workspace packages, with the path"),
    CheckInfo("self_deps", "a package that depends on itself (extras of itself are fine)"),
    CheckInfo(
        "orphan_deps",
        "an internal dependency that is excluded from, absent in, or never published by the "
        "workspace",
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
        "leftovers of a killed run (temp files, backups, journal entries) and non-empty dist/ "
        "folders",
        fixable=True,
    ),
)


def _has_file(directory: Path, prefixes: Sequence[str]) -> bool:
    try:
        return any(
            entry.is_file() and entry.name.lower().startswith(tuple(prefixes))
            for entry in os.scandir(directory)
        )
    except OSError:
        return False


def _artifacts(directory: Path) -> list[str]:
    """Files in a dist/ folder that count as content (uv writes a lone .gitignore there)."""
    try:
        return sorted(e.name for e in os.scandir(directory) if e.name != ".gitignore")
    except OSError:
        return []


def _live_holder(state_dir: Path) -> dict[str, Any] | None:
    """The lock holder's record when another live process holds the workspace, else None."""
    info = StateLock(state_dir, "check").holder()
    if not info:
        return None
    try:
        pid = int(info.get("pid", 0))
    except (TypeError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # killed without releasing: its rewrites are stale
    except OSError:
        pass  # alive, owned by someone else
    return info


class UniversalCheckBackend:
    """cycles, self_deps, orphan_deps, internal_pins, missing_license, missing_readme, stale_artifacts."""

    name = "universal"

    def checks(self) -> Sequence[CheckInfo]:
        return CHECKS

    def run(self, check_id: str, ctx: CheckContext) -> Iterable[Finding]:
        return {
            "cycles": self._cycles,
            "self_deps": self._self_deps,
            "orphan_deps": self._orphan_deps,
            "internal_pins": self._internal_pins,
            "missing_license": self._missing_license,
            "missing_readme": self._missing_readme,
            "stale_artifacts": self._stale_artifacts,
        }[check_id](ctx)

    # --- cycles -------------------------------------------------------------------------

    def _cycles(self, ctx: CheckContext) -> list[Finding]:
        """Cycles of dependency edges (errors when a released member is in one) and extras that
        point back at their dependents (warnings: an extra never gates, so nothing is stuck)."""
        found = []
        hard = ctx.graph.hard
        releasing = {p.name for p in ctx.publishable}
        for component in hard.entangled():
            cycle = hard.subgraph(component).find_cycle() or component
            error = ctx.graph.cycle_error(cycle)
            entangled = (
                "" if len(component) == len(set(cycle)) else f"; all of {', '.join(component)} are entangled"
            )
            first = ctx.ws.by_name[cycle[0]]
            found.append(
                Finding(
                    "cycles",
                    "error" if releasing & set(component) else "warning",
                    first.name,
                    ctx.rel(first.manifest),
                    error.message + entangled,
                    error.hint,
                )
            )
        closing: dict[str, list[tuple[str, list[str]]]] = {}
        for edge, cycle in ctx.graph.extra_cycles():
            closing.setdefault(edge.source, []).append((edge.extra or "", cycle))
        for source, extras in sorted(closing.items()):
            pkg = ctx.ws.by_name[source]
            shown = "; ".join(f"[{extra}] {' -> '.join(cycle)}" for extra, cycle in extras[:3])
            more = f" (and {len(extras) - 3} more)" if len(extras) > 3 else ""
            found.append(
                Finding(
                    "cycles",
                    "warning",
                    source,
                    ctx.rel(pkg.manifest),
                    f"{len(extras)} extra(s) of {source} in [project.optional-dependencies] point back at "
                    f"packages that depend on it: {shown}{more}; not a publish cycle: {source} is "
                    "published first and the extras are pinned exactly at build",
                    "nothing to do if these are batteries extras; otherwise move the shared code into "
                    "a new package",
                )
            )
        return found

    # --- self_deps ----------------------------------------------------------------------

    def _self_deps(self, ctx: CheckContext) -> list[Finding]:
        found = []
        for pkg in ctx.ws.packages:
            extras = {normalize(e) for e in pkg.project.get("optional-dependencies", {}) or {}}
            for dep in pkg.self_references:
                where = dep.section
                if dep.extra_group is None:
                    found.append(
                        Finding(
                            "self_deps",
                            "error",
                            pkg.name,
                            ctx.rel(pkg.manifest),
                            f"{pkg.name} lists itself ({dep.raw!r}) in [project] dependencies",
                            "remove it; to pull in extras by default, list their requirements "
                            "directly",
                        )
                    )
                    continue
                wanted = {normalize(e) for e in dep.extras}
                if not wanted:
                    found.append(
                        Finding(
                            "self_deps",
                            "warning",
                            pkg.name,
                            ctx.rel(pkg.manifest),
                            f"{where} lists {dep.raw!r}, {pkg.name} itself without extras, which "
                            "adds nothing",
                            f"remove it, or name the extras to include: {pkg.name}[extra]",
                        )
                    )
                    continue
                unknown = sorted(wanted - extras)
                if unknown:
                    found.append(
                        Finding(
                            "self_deps",
                            "error",
                            pkg.name,
                            ctx.rel(pkg.manifest),
                            f"{where} refers to {pkg.name}[{', '.join(unknown)}], an extra "
                            f"{pkg.name} does not define",
                            "fix the extra's name; defined extras: "
                            + (", ".join(sorted(extras)) or "none"),
                        )
                    )
        return found

    # --- orphan_deps --------------------------------------------------------------------

    def _excluded_members(self, ctx: CheckContext) -> dict[str, str]:
        """Distribution name -> directory, for member directories the workspace excludes."""
        found: dict[str, str] = {}
        for pattern in ctx.ws.exclude_patterns:
            for match in sorted(glob.glob(pattern, root_dir=ctx.ws.root, recursive=True)):
                manifest = ctx.ws.root / match / "pyproject.toml"
                with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
                    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
                    name = data.get("project", {}).get("name")
                    if isinstance(name, str):
                        found[normalize(name)] = match
        return found

    def _orphan_deps(self, ctx: CheckContext) -> list[Finding]:
        found = []
        excluded: dict[str, str] | None = None
        for pkg in ctx.ws.packages:
            sources = set(pkg.workspace_sources)
            for dep in pkg.dependencies:
                if dep.internal:
                    if dep.name == pkg.name or unreleased_reason(ctx.ws, pkg):
                        continue
                    why_not = unreleased_reason(ctx.ws, ctx.ws.by_name[dep.name])
                    if not why_not:
                        continue
                    optional = dep.extra_group is not None
                    found.append(
                        Finding(
                            "orphan_deps",
                            "warning" if optional else "error",
                            pkg.name,
                            ctx.rel(pkg.manifest),
                            f"{pkg.name} depends on {dep.name} ({dep.table}), which is never "
                            f"published ({why_not}), so {pkg.name} cannot be installed "
                            "from the index"
                            + (f" with [{dep.extra_group}]" if optional else ""),
                            f"release {dep.name} too, or drop the dependency",
                        )
                    )
                elif dep.name in sources:
                    if excluded is None:
                        excluded = self._excluded_members(ctx)
                    why = (
                        f"its directory {excluded[dep.name]} is excluded by [tool.uv.workspace] "
                        "exclude"
                        if dep.name in excluded
                        else "no workspace member has that name"
                    )
                    found.append(
                        Finding(
                            "orphan_deps",
                            "error",
                            pkg.name,
                            ctx.rel(pkg.manifest),
                            f"{pkg.name} depends on {dep.name} as a workspace package "
                            f"([tool.uv.sources] {dep.name} = {{ workspace = true }}), but {why}",
                            "add the package to [tool.uv.workspace] members, or drop the "
                            "workspace source",
                        )
                    )
        found.extend(self._unused_sources(ctx))
        return found

    def _unused_sources(self, ctx: CheckContext) -> list[Finding]:
        """A `{ workspace = true }` source that no requirement names: with dynamic dependencies
        it may be the only static trace of an edge, so a stale one misleads. A member's own
        sources must be required by that member; the root's (which every member inherits) by
        some member."""
        everywhere: set[str] = set()
        for pkg in ctx.ws.packages:
            everywhere.update(d.name for d in pkg.dependencies)
            everywhere.update(pkg.group_requirements)
        root_sources = set(ctx.ws.root_sources)
        dynamic = any("dependencies" in p.dynamic for p in ctx.ws.packages)
        vague = " (as far as releasekit can read them)" if dynamic else ""
        places: list[tuple[str | None, Path, set[str], set[str]]] = [
            (None, ctx.ws.manifest, root_sources, everywhere)
        ]
        for pkg in ctx.ws.packages:
            if not pkg.is_root:
                own = {d.name for d in pkg.dependencies} | set(pkg.group_requirements)
                places.append((pkg.name, pkg.manifest, set(pkg.workspace_sources) - root_sources, own))
        found = []
        for owner, manifest, declared, wanted in places:
            for name in sorted(declared - wanted):
                if name not in ctx.ws.by_name:
                    continue  # no such member: the loop above reports it where it is required
                found.append(
                    Finding(
                        "orphan_deps",
                        "warning",
                        owner,
                        ctx.rel(manifest),
                        f"[tool.uv.sources] {name} = {{ workspace = true }}, but no requirement of "
                        f"{owner or 'any member'} (dependencies, extras, dependency groups) names {name}{vague}",
                        f"drop the source, or add the requirement on {name} where it is used",
                    )
                )
        return found

    # --- internal_pins ------------------------------------------------------------------

    def _internal_pins(self, ctx: CheckContext) -> list[Finding]:
        """What publish refuses with RK143 / RK140, found before anyone tries to publish."""
        found = []
        for pkg in ctx.publishable:
            for dep in pkg.dependencies:
                if not dep.internal or dep.name == pkg.name:
                    continue
                target = ctx.ws.by_name[dep.name]
                if target.version is None:
                    problem = (
                        f"{pkg.name} depends on {dep.name} ({dep.table}), whose version is "
                        "dynamic, so the build cannot pin it (publish: RK140)",
                        f"give {dep.name} a static [project].version",
                    )
                elif dep.specifier and not admits(dep.specifier, target.version):
                    problem = (
                        f"{pkg.name} requires {dep.raw!r} ({dep.table}), which the "
                        f"workspace's {dep.name} {target.version} does not satisfy "
                        "(publish: RK143)",
                        f"widen the requirement, or bump {dep.name} to a version it admits",
                    )
                else:
                    continue
                found.append(
                    Finding("internal_pins", "error", pkg.name, ctx.rel(pkg.manifest), *problem)
                )
        return found

    # --- missing_license / missing_readme -----------------------------------------------

    def _missing_license(self, ctx: CheckContext) -> list[Finding]:
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

    def _missing_readme(self, ctx: CheckContext) -> list[Finding]:
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

    def _stale_artifacts(self, ctx: CheckContext) -> list[Finding]:
        found: list[Finding] = []
        directories = dict.fromkeys([ctx.ws.root, *(p.path for p in ctx.ws.packages)])
        owner = {p.path: p.name for p in ctx.ws.packages}
        for directory in directories:
            package = owner.get(directory)
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                path = Path(entry.path)
                rel = ctx.rel(path)
                if TMP_MARK in entry.name and entry.is_file():
                    found.append(
                        Finding(
                            "stale_artifacts",
                            "warning",
                            package,
                            rel,
                            "temporary file left by a killed releasekit write",
                            "delete it (releasekit check --fix does)",
                            fixable=True,
                        )
                    )
                elif entry.name.endswith(KEPT_ORIGINAL):
                    found.append(
                        Finding(
                            "stale_artifacts",
                            "error",
                            package,
                            rel,
                            "original saved by `releasekit restore` because the file was edited "
                            "while "
                            "releasekit had rewritten it",
                            f"compare it with {entry.name[: -len(KEPT_ORIGINAL)]}, keep the right "
                            "content, "
                            "then delete it",
                        )
                    )
                elif entry.name.endswith(BACKUP_SUFFIXES) and entry.is_file():
                    found.append(
                        Finding(
                            "stale_artifacts",
                            "warning",
                            package,
                            rel,
                            "backup file left by an earlier run or editor",
                            "compare it with the file it backs up, then delete it",
                        )
                    )
                elif entry.name == "dist" and entry.is_dir():
                    content = _artifacts(path)
                    if content:
                        shown = ", ".join(content[:3]) + (
                            f" and {len(content) - 3} more" if len(content) > 3 else ""
                        )
                        found.append(
                            Finding(
                                "stale_artifacts",
                                "warning",
                                package,
                                rel,
                                f"dist/ holds {len(content)} file(s) from an earlier build "
                                f"({shown})",
                                "delete dist/ so an old file cannot be uploaded by mistake "
                                "(releasekit check --fix does)",
                                fixable=True,
                            )
                        )
        try:
            pending = Journal(ctx.ws.state_dir).entries()
        except StateError as exc:
            found.append(
                Finding(
                    "stale_artifacts",
                    "error",
                    None,
                    ctx.rel(exc.path or ctx.ws.state_dir),
                    exc.message,
                    exc.hint,
                )
            )
            pending = []
        holder = _live_holder(ctx.ws.state_dir) if pending else None
        if holder is not None:
            # A release in progress owns these rewrites and restores them when it ends.
            found.append(
                Finding(
                    "stale_artifacts",
                    "warning",
                    None,
                    ctx.rel(ctx.ws.state_dir),
                    f"`releasekit {holder.get('command', '?')}` (pid {holder.get('pid')}) "
                    f"is running and has {len(pending)} file(s) rewritten",
                    "check again when it has finished",
                )
            )
            pending = []
        for pending_entry in pending:
            found.append(
                Finding(
                    "stale_artifacts",
                    "error",
                    None,
                    ctx.rel(pending_entry.path),
                    f"rewritten by an interrupted run ({pending_entry.reason or 'releasekit'}) "
                    "and not restored yet",
                    "run `releasekit restore` (every releasekit command also does it when no run "
                    "is active)",
                )
            )
        return found

    def fix(self, finding: Finding, ctx: CheckContext) -> Sequence[Change]:
        if finding.check != "stale_artifacts" or not finding.fixable or finding.file is None:
            return []
        root = ctx.ws.root.resolve()
        target = ctx.ws.root / finding.file
        path = target.resolve()
        if target.is_symlink() or not path.is_relative_to(root) or path == root:
            return []  # never follow a link out of the workspace when deleting
        if path.name == "dist" and path.is_dir():
            shutil.rmtree(path)
        elif TMP_MARK in path.name and path.is_file():
            path.unlink()
        else:
            return []
        return [Change(finding.check, finding.package, finding.file, "removed")]
