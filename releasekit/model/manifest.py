"""One member's pyproject.toml -> a :class:`~releasekit.model.package.Package` record.

Every field a later stage needs is read here, once, and validated: a malformed name, version
or requirement is one located error (RKnnn) naming the file and line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from releasekit.errors import WorkspaceError
from releasekit.model import tomlio
from releasekit.model.config import MemberConfig
from releasekit.model.config_parse import parse_member_config
from releasekit.model.package import PRIVATE_CLASSIFIER, Dependency, Package, normalize

_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def workspace_sources(uv_table: Any, path: Path, text: str) -> set[str]:
    sources = uv_table.get("sources", {}) if isinstance(uv_table, dict) else {}
    if not isinstance(sources, dict):
        raise WorkspaceError(
            "[tool.uv.sources] must be a table",
            path=path,
            line=tomlio.line_of_text(text, "sources"),
            code="RK118",
            hint="write it as [tool.uv.sources] with name = { workspace = true }",
        )
    found: set[str] = set()
    for name, entry in sources.items():
        entries = entry if isinstance(entry, list) else [entry]
        if any(isinstance(e, dict) and e.get("workspace") is True for e in entries):
            found.add(normalize(name))
    return found


def parse_package(
    root: Path,
    directory: Path,
    data: dict[str, Any],
    text: str,
    is_root: bool,
    *,
    root_sources: frozenset[str],
    root_sorted: tuple[str, ...],
) -> Package:
    manifest = directory / "pyproject.toml"

    def fail(message: str, code: str, hint: str, key: str | None = None, needle: str | None = None) -> WorkspaceError:
        line = None
        if needle is not None:
            line = tomlio.line_of_text(text, needle)
        if line is None and key is not None:
            line = tomlio.line_of_key(text, key)
        return WorkspaceError(message, path=manifest, line=line, code=code, hint=hint)

    project = data.get("project")
    if not isinstance(project, dict):
        raise fail(
            "missing [project] table" if project is None else "[project] must be a table",
            "RK110",
            "every workspace member needs [project] with name and version",
        )
    declared = project.get("name")
    if declared is None:
        raise fail("[project] has no `name`", "RK110", 'add name = "my-package"', key="project")
    if not isinstance(declared, str) or not _NAME_RE.match(declared):
        raise fail(
            f"invalid project name {declared!r}",
            "RK111",
            "names may contain only letters, digits, '.', '-' and '_', starting and ending with a letter or digit",
            key="name",
        )
    dynamic_raw = project.get("dynamic", [])
    if not isinstance(dynamic_raw, list) or not all(isinstance(d, str) for d in dynamic_raw):
        raise fail("`dynamic` must be an array of strings", "RK119", 'e.g. dynamic = ["version"]', key="dynamic")
    dynamic = tuple(dynamic_raw)
    raw_version = project.get("version")
    version: str | None
    if raw_version is None:
        if "version" not in dynamic:
            raise fail(
                f"package {declared!r} has no `version` and does not declare it dynamic",
                "RK112",
                'add version = "0.1.0" to [project]',
                key="name",
            )
        version = None
    else:
        if "version" in dynamic:
            raise fail(
                "`version` is both set and listed in `dynamic`",
                "RK112",
                "remove one of them (PEP 621)",
                key="version",
            )
        if not isinstance(raw_version, str):
            raise fail(
                f"`version` must be a string, not {raw_version!r}", "RK113", 'e.g. version = "1.2.0"', key="version"
            )
        try:
            Version(raw_version)
        except InvalidVersion:
            raise fail(
                f"version {raw_version!r} is not a valid PEP 440 version",
                "RK113",
                "use a version like 1.2.0, 1.2.0rc1 or 1.2.0.dev3",
                key="version",
            ) from None
        version = raw_version

    dependencies: list[Dependency] = []
    raw_deps = project.get("dependencies", [])
    if not isinstance(raw_deps, list) or not all(isinstance(d, str) for d in raw_deps):
        raise fail(
            "`dependencies` must be an array of strings",
            "RK119",
            'e.g. dependencies = ["requests>=2"]',
            key="dependencies",
        )
    for raw in raw_deps:
        dependencies.append(_parse_requirement(raw, "dependencies", fail))
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise fail(
            "`optional-dependencies` must be a table",
            "RK119",
            "write it as [project.optional-dependencies]",
            key="optional-dependencies",
        )
    for extra, reqs in optional.items():
        if not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
            raise fail(
                f"optional-dependencies.{extra} must be an array of strings",
                "RK119",
                f'e.g. {extra} = ["package>=1"]',
                key=extra,
            )
        for raw in reqs:
            dependencies.append(_parse_requirement(raw, f"optional-dependencies.{extra}", fail))

    classifiers_raw = project.get("classifiers", [])
    classifiers = tuple(c for c in classifiers_raw if isinstance(c, str)) if isinstance(classifiers_raw, list) else ()
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    uv_table = tool.get("uv", {}) if isinstance(tool.get("uv"), dict) else {}
    # The root's sources apply to every member: share one sorted tuple instead of copying and
    # sorting it per package (that was quadratic in the number of packages).
    own_sources = workspace_sources(uv_table, manifest, text) - root_sources
    sources = tuple(sorted(root_sources | own_sources)) if own_sources else root_sorted
    build_system = data.get("build-system")
    backend = build_system.get("build-backend") if isinstance(build_system, dict) else None
    uv_package = uv_table.get("package")

    # The workspace root's [tool.releasekit] is the workspace configuration, parsed elsewhere.
    member = (
        parse_member_config(tool["releasekit"], manifest, text)
        if "releasekit" in tool and directory != root
        else MemberConfig()
    )

    reason = ""
    if PRIVATE_CLASSIFIER in classifiers:
        reason = f"classifier {PRIVATE_CLASSIFIER!r}"
    elif not member.publish:
        reason = "[tool.releasekit] publish = false"
    elif uv_package is False:
        reason = "[tool.uv] package = false"
    elif build_system is None and uv_package is not True:
        reason = "no [build-system] (uv treats it as virtual)"

    license_value = project.get("license")
    license_text: str | None = None
    if isinstance(license_value, str):
        license_text = license_value
    elif isinstance(license_value, dict):
        license_text = str(license_value.get("text") or license_value.get("file") or "") or None
    license_files_raw = project.get("license-files", [])
    license_files = (
        tuple(x for x in license_files_raw if isinstance(x, str)) if isinstance(license_files_raw, list) else ()
    )
    if isinstance(license_value, dict) and isinstance(license_value.get("file"), str):
        license_files = (*license_files, license_value["file"])

    readme_value = project.get("readme")
    readme: str | None = None
    readme_type: str | None = None
    if isinstance(readme_value, str):
        readme = readme_value
    elif isinstance(readme_value, dict):
        file_value = readme_value.get("file")
        readme = file_value if isinstance(file_value, str) else ("<inline>" if readme_value.get("text") else None)
        ctype = readme_value.get("content-type")
        readme_type = ctype if isinstance(ctype, str) else None
    authors_raw = project.get("authors", [])
    description = project.get("description")

    return Package(
        name=normalize(declared),
        declared_name=declared,
        version=version,
        dynamic=dynamic,
        path=directory,
        manifest=manifest,
        relpath=directory.relative_to(root).as_posix() if directory.is_relative_to(root) else str(directory),
        dependencies=tuple(dependencies),
        internal_deps=(),
        self_references=(),
        workspace_sources=sources,
        publishable=not reason,
        unpublishable_reason=reason,
        is_root=is_root,
        description=description if isinstance(description, str) else None,
        requires_python=project.get("requires-python") if isinstance(project.get("requires-python"), str) else None,
        classifiers=classifiers,
        license=license_text,
        license_files=license_files,
        readme=readme,
        readme_content_type=readme_type,
        authors=len(authors_raw) if isinstance(authors_raw, list) else 0,
        build_backend=backend if isinstance(backend, str) else None,
        project=project,
        tool=tool,
        build_system=build_system if isinstance(build_system, dict) else {},
        group_requirements=_group_requirements(data, uv_table),
        smoke=member.smoke,
    )


def _group_requirements(data: Mapping[str, Any], uv_table: Mapping[str, Any]) -> tuple[str, ...]:
    """Names in dependency groups and uv's dev-dependencies; uv validates them, so anything
    unparsable (an include-group table, a typo) is skipped here rather than reported twice."""
    raw: list[Any] = []
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for items in groups.values():
            if isinstance(items, list):
                raw.extend(items)
    dev = uv_table.get("dev-dependencies")
    if isinstance(dev, list):
        raw.extend(dev)
    names: set[str] = set()
    for item in raw:
        if isinstance(item, str):
            with contextlib.suppress(InvalidRequirement):
                names.add(_requirement_fields(item)[0])
    return tuple(sorted(names))


@functools.lru_cache(maxsize=8192)
def _requirement_fields(raw: str) -> tuple[str, str, tuple[str, ...], str | None, str | None]:
    """(name, specifier, extras, marker, url) of a PEP 508 string; cached, because packaging's
    parser is the largest cost of loading a big workspace and the same third-party
    requirement strings recur in many members."""
    req = Requirement(raw)
    marker = str(req.marker) if req.marker else None
    return normalize(req.name), str(req.specifier), tuple(sorted(req.extras)), marker, req.url


def requirement(raw: str, section: str) -> Dependency:
    """One PEP 508 string as a :class:`Dependency` (raises packaging's InvalidRequirement)."""
    name, specifier, extras, marker, url = _requirement_fields(raw)
    return Dependency(raw=raw, name=name, specifier=specifier, extras=extras, marker=marker, url=url, section=section)


def _parse_requirement(raw: str, section: str, fail: Any) -> Dependency:
    try:
        return requirement(raw, section)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unparsable"
        raise fail(
            f"invalid dependency {raw!r} in {section}: {first}",
            "RK114",
            "write a PEP 508 requirement like 'name[extra]>=1.0; python_version >= \"3.11\"'",
            needle=raw,
        ) from None


def link_internal(pkg: Package, names: set[str]) -> Package:
    deps: list[Dependency] = []
    hard: set[str] = set()
    extra: set[str] = set()
    self_refs: list[Dependency] = []
    for dep in pkg.dependencies:
        if dep.name not in names:  # parsed as external (internal=False): kept as it is
            deps.append(dep)
            continue
        marked = dep if dep.internal else dataclasses.replace(dep, internal=True)
        deps.append(marked)
        if dep.name == pkg.name:
            self_refs.append(marked)
        elif dep.extra_group is None:
            hard.add(dep.name)
        else:
            extra.add(dep.name)
    return dataclasses.replace(
        pkg,
        dependencies=tuple(deps),
        internal_deps=tuple(sorted(hard)),
        extra_deps=tuple(sorted(extra - hard)),
        self_references=tuple(self_refs),
    )
