"""Python-specific checks: PEP 561 markers, shared versions, naming, PyPI metadata.

Every convention comes from ``[tool.releasekit]`` (``groups``, ``lockstep_groups``,
``checks.*``): nothing here knows any particular project's names.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from packaging.version import Version

from releasekit.checks.base import CheckContext, CheckInfo
from releasekit.checks.findings import Severity
from releasekit.checks.report import Change, Finding
from releasekit.model.layout import HOW_TO_DECLARE, ImportLayout, import_layout
from releasekit.model.package import Package, normalize
from releasekit.model.selection import group_members

TYPED_CLASSIFIER = "Typing :: Typed"
MARKER = "py.typed"

CHECKS = (
    CheckInfo(
        "type_markers",
        "py.typed (PEP 561) in packages that ship stubs or declare `Typing :: Typed`",
        fixable=True,
    ),
    CheckInfo(
        "version_consistency",
        "members of `lockstep_groups` and `checks.version_groups` share one version",
    ),
    CheckInfo(
        "naming_convention",
        "distribution, directory and import names follow the configured patterns",
    ),
    CheckInfo(
        "metadata_completeness",
        "description, license, authors, readme, requires-python and classifiers are set",
    ),
)


def _underscored(text: str) -> str:
    return text.replace("-", "_").replace(".", "_")


def expected_import_name(pkg: Package, pattern: str) -> str:
    """The import package ``checks.import_name_pattern`` asks for (dotted for namespaces)."""
    return pattern.format(
        name_underscored=_underscored(pkg.name),
        dir=pkg.path.name,
        dir_underscored=_underscored(pkg.path.name),
    )


def _unread(check: str, pkg: Package, file: str, what: str, layout: ImportLayout) -> Finding:
    """The one warning for a layout releasekit could not read: what was skipped and how to fix it."""
    return Finding(
        check,
        "warning",
        pkg.name,
        file,
        f"{what}, but its import packages could not be read ({layout.problem})",
        f"{HOW_TO_DECLARE}; or ignore {check} for {pkg.name} in [tool.releasekit.checks.ignore]",
    )


class PythonCheckBackend:
    """type_markers, version_consistency, naming_convention, metadata_completeness."""

    name = "python"

    def checks(self) -> Sequence[CheckInfo]:
        return CHECKS

    def run(self, check_id: str, ctx: CheckContext) -> Iterable[Finding]:
        return {
            "type_markers": self._type_markers,
            "version_consistency": self._version_consistency,
            "naming_convention": self._naming_convention,
            "metadata_completeness": self._metadata_completeness,
        }[check_id](ctx)

    # --- type_markers -------------------------------------------------------------------

    def _type_markers(self, ctx: CheckContext) -> list[Finding]:
        found: list[Finding] = []
        for pkg in ctx.publishable:
            layout = import_layout(pkg)
            code = [layout.paths[name] for name in layout.packages if name in layout.paths]
            declared = TYPED_CLASSIFIER in pkg.classifiers
            stubs = any(p.is_dir() and next(p.rglob("*.pyi"), None) is not None for p in code)
            if not (declared or stubs):
                continue
            why = f"declares {TYPED_CLASSIFIER!r}" if declared else "ships .pyi stubs"
            if layout.problem:
                found.append(_unread("type_markers", pkg, ctx.rel(pkg.manifest), f"{pkg.name} {why}", layout))
                continue
            for name in layout.packages:
                location = layout.paths.get(name)
                if location is None:  # compiled by the backend (maturin): nothing on disk to mark
                    continue
                if location.is_file():
                    found.append(
                        Finding(
                            "type_markers",
                            "error",
                            pkg.name,
                            ctx.rel(location),
                            f"{pkg.name} {why}, but {name} is a single module, which cannot carry py.typed (PEP 561)",
                            f"turn {location.name} into a package directory with a py.typed file",
                        )
                    )
                elif not (location / MARKER).is_file():
                    found.append(
                        Finding(
                            "type_markers",
                            "error",
                            pkg.name,
                            ctx.rel(location / MARKER),
                            f"{pkg.name} {why}, but its import package {name} ({ctx.rel(location)}, "
                            f"from {layout.source}) has no py.typed, so type checkers ignore its "
                            "annotations",
                            "add an empty py.typed file (releasekit check --fix does)",
                            fixable=True,
                        )
                    )
        return found

    def fix(self, finding: Finding, ctx: CheckContext) -> Sequence[Change]:
        if finding.check != "type_markers" or not finding.fixable or finding.file is None:
            return []
        marker = ctx.ws.root / finding.file
        if marker.name != MARKER or not marker.parent.is_dir() or marker.exists():
            return []
        marker.write_bytes(b"")
        return [Change(finding.check, finding.package, finding.file, "created")]

    # --- version_consistency ------------------------------------------------------------

    def _version_consistency(self, ctx: CheckContext) -> list[Finding]:
        found: list[Finding] = []
        config = ctx.ws.config
        groups = list(dict.fromkeys([*config.lockstep_groups, *config.checks.version_groups]))
        for group in groups:
            members = sorted(group_members(ctx.ws, group))
            versions: dict[str, str] = {}
            for name in members:
                version = ctx.ws.by_name[name].version
                if version is not None:
                    versions[name] = version
            counts = Counter(versions.values())
            if len(counts) <= 1:
                continue
            reference = max(counts, key=lambda v: (counts[v], Version(v)))
            holders = [n for n, v in versions.items() if v == reference]
            for name, version in versions.items():
                if version == reference:
                    continue
                pkg = ctx.ws.by_name[name]
                found.append(
                    Finding(
                        "version_consistency",
                        "error",
                        name,
                        ctx.rel(pkg.manifest),
                        f"{name} is at {version}, but group {group!r} is at {reference} ({', '.join(holders)})",
                        f'set version = "{reference}" (`releasekit bump {name} --version '
                        f"{reference}`), then bump the members of {group!r} together",
                    )
                )
        return found

    # --- naming_convention --------------------------------------------------------------

    def _naming_convention(self, ctx: CheckContext) -> list[Finding]:
        found = []
        config = ctx.config
        name_re = re.compile(config.naming_pattern) if config.naming_pattern else None
        for pkg in ctx.ws.packages:
            file = ctx.rel(pkg.manifest)
            if name_re is not None and not name_re.search(pkg.name):
                found.append(
                    _naming(
                        pkg,
                        file,
                        f"distribution name {pkg.name!r} does not match naming_pattern {config.naming_pattern!r}",
                        "rename the package, or ignore this check for it in [tool.releasekit.checks.ignore]",
                    )
                )
            if not pkg.is_root:
                for pattern, template in config.directory_naming.items():
                    if fnmatch.fnmatchcase(pkg.relpath, pattern):
                        want = normalize(template.format(dir=pkg.path.name, parent=pkg.path.parent.name))
                        if want != pkg.name:
                            found.append(
                                _naming(
                                    pkg,
                                    file,
                                    f"{pkg.relpath} should hold {want!r} (directory_naming "
                                    f"{pattern!r} = {template!r}), but holds {pkg.name!r}",
                                    "rename the directory or the package so the two agree",
                                )
                            )
                        break
            if pkg.publishable and config.import_name_pattern:
                found.extend(self._import_name(pkg, file, config.import_name_pattern))
        return found

    def _import_name(self, pkg: Package, file: str, pattern: str) -> list[Finding]:
        expected = expected_import_name(pkg, pattern)
        layout = import_layout(pkg)
        if layout.problem:
            return [_unread("naming_convention", pkg, file, f"import_name_pattern asks for {expected!r}", layout)]
        if expected in layout.packages or expected in layout.namespaces:
            return []
        ships = ", ".join(layout.packages) or "no import package"
        return [
            _naming(
                pkg,
                file,
                f"import package {expected!r} (import_name_pattern {pattern!r}) is not what "
                f"{pkg.name} ships: {ships} (read from {layout.source})",
                "rename the import package, or change [tool.releasekit.checks] import_name_pattern",
                "warning",
            )
        ]

    # --- metadata_completeness ----------------------------------------------------------

    def _metadata_completeness(self, ctx: CheckContext) -> list[Finding]:
        found = []
        for pkg in ctx.publishable:
            project = pkg.project
            present = {
                "description": bool(pkg.description),
                "license": bool(pkg.license or pkg.license_files),
                "authors": bool(pkg.authors or project.get("maintainers")),
                "readme": pkg.readme is not None,
                "requires-python": bool(pkg.requires_python),
                "classifiers": bool(pkg.classifiers),
            }
            missing = [key for key, ok in present.items() if not ok and key not in pkg.dynamic]
            if missing:
                found.append(
                    Finding(
                        "metadata_completeness",
                        "warning",
                        pkg.name,
                        ctx.rel(pkg.manifest),
                        f"[project] has no {', '.join(missing)}",
                        "add them: PyPI shows them on the project page and resolvers use requires-python",
                    )
                )
        return found


def _naming(pkg: Package, file: str, message: str, hint: str, severity: Severity = "error") -> Finding:
    return Finding("naming_convention", severity, pkg.name, file, message, hint)
