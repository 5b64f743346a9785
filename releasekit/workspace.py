"""uv workspace discovery: the root, its members, and one :class:`Package` record each.

Member and exclude globs follow uv's semantics (``*`` stays in one directory, ``**``
recurses, hidden directories match, a matched directory without a pyproject.toml is an
error unless it holds no files). Everything downstream reads these records and never the
files again, so the data flows one way: pyproject files -> Workspace -> Graph -> Plan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import fnmatch
import functools
import gc
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from releasekit import tomlio
from releasekit.config import Config, MemberConfig, parse_config, parse_member_config
from releasekit.errors import UsageError, WorkspaceError

PRIVATE_CLASSIFIER = "Private :: Do Not Upload"
_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_MAGIC = re.compile(r"[*?[]")
#: What a workspace root's manifest says, as text: ``[tool.uv.workspace]`` or a dotted key.
_ROOT_HEADER = re.compile(
    r"^\s*(\[\s*tool\s*\.\s*uv\s*\.\s*workspace\b|(tool\s*\.\s*)?uv\s*\.\s*workspace\s*=|workspace\s*=\s*\{)", re.M
)


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return str(canonicalize_name(name))


@dataclass(frozen=True)
class Dependency:
    """One requirement string of a package, parsed, with its position in the manifest."""

    raw: str
    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    url: str | None
    section: str  # "dependencies" or "optional-dependencies.<extra>"
    internal: bool = False

    @property
    def extra_group(self) -> str | None:
        prefix = "optional-dependencies."
        return self.section[len(prefix) :] if self.section.startswith(prefix) else None

    @property
    def kind(self) -> str:
        """``dependency`` (gates uploads, can make a cycle) or ``extra:<name>`` (pinned, never gates)."""
        extra = self.extra_group
        return "dependency" if extra is None else f"extra:{extra}"

    @property
    def table(self) -> str:
        """Where the requirement is written, as a user finds it in the file."""
        extra = self.extra_group
        return "[project.dependencies]" if extra is None else f"[project.optional-dependencies] {extra}"


@dataclass(frozen=True)
class Package:
    """A workspace member as written on disk."""

    name: str
    declared_name: str
    version: str | None
    dynamic: tuple[str, ...]
    path: Path
    manifest: Path
    relpath: str
    dependencies: tuple[Dependency, ...]
    #: Internal requirements in ``dependencies``: they gate uploads and can form a cycle.
    internal_deps: tuple[str, ...]
    self_references: tuple[Dependency, ...]
    workspace_sources: tuple[str, ...]
    publishable: bool
    unpublishable_reason: str
    is_root: bool
    description: str | None
    requires_python: str | None
    classifiers: tuple[str, ...]
    license: str | None
    license_files: tuple[str, ...]
    readme: str | None
    readme_content_type: str | None
    authors: int
    build_backend: str | None
    project: Mapping[str, Any] = field(compare=False, hash=False, repr=False)
    #: The member's raw ``[tool]`` and ``[build-system]`` tables: what build backends read
    #: (import layout, dynamic versions), kept so nothing downstream re-reads the file.
    tool: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    build_system: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    #: Internal requirements reached only through extras: pinned at build, never gating.
    extra_deps: tuple[str, ...] = ()
    #: Names required by development-only tables (``[dependency-groups]``,
    #: ``[tool.uv] dev-dependencies``): never published, so never edges (notes §8).
    group_requirements: tuple[str, ...] = ()

    @property
    def dynamic_version(self) -> bool:
        return self.version is None and "version" in self.dynamic

    @property
    def pin_targets(self) -> tuple[str, ...]:
        """Every internal requirement the build pins exactly, extras included."""
        return tuple(sorted({*self.internal_deps, *self.extra_deps}))

@dataclass(frozen=True)
class Workspace:
    """The uv workspace: root, validated configuration and members sorted by name."""

    root: Path
    manifest: Path
    config: Config
    packages: tuple[Package, ...]
    member_patterns: tuple[str, ...]
    exclude_patterns: tuple[str, ...]
    #: ``{ workspace = true }`` sources of the root manifest (members inherit them).
    root_sources: tuple[str, ...] = ()

    @cached_property
    def by_name(self) -> dict[str, Package]:
        return {p.name: p for p in self.packages}

    def get(self, name: str) -> Package:
        key = normalize(name)
        try:
            return self.by_name[key]
        except KeyError:
            close = difflib.get_close_matches(key, list(self.by_name), n=1)
            hint = f"did you mean `{close[0]}`?" if close else "run `releasekit discover` to list packages"
            raise UsageError(f"no package named {name!r} in the workspace", hint=hint, code="RK130") from None

    @property
    def state_dir(self) -> Path:
        return self.config.state_path(self.root)

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix() or "."
        except ValueError:
            return str(path)


@dataclass(frozen=True)
class RootManifest:
    """The workspace root found by :func:`locate`, with its pyproject.toml read and parsed once."""

    root: Path
    manifest: Path
    text: str
    data: dict[str, Any] = field(repr=False)


def find_root(start: Path) -> Path:
    """The nearest ancestor of ``start`` (inclusive) whose pyproject.toml has [tool.uv.workspace]."""
    return locate(start).root


def locate(start: Path) -> RootManifest:
    """:func:`find_root`, keeping the root manifest's text and data for the caller."""
    try:
        start = start.resolve()
    except RuntimeError:  # a symlink loop
        raise WorkspaceError(
            "directory is a symlink loop", path=start, code="RK100", hint="pass an existing --workspace"
        ) from None
    if not start.exists():
        raise WorkspaceError(
            "directory does not exist", path=start, code="RK100", hint="pass an existing --workspace"
        )
    for directory in [start, *start.parents]:
        manifest = directory / "pyproject.toml"
        if not manifest.is_file():
            continue
        text = tomlio.decode(tomlio.read_bytes(manifest), manifest)
        try:
            data = tomlio.parse(text, manifest)
        except WorkspaceError:
            if _ROOT_HEADER.search(text):
                raise  # a broken workspace root: say so, with its line and column
            # Not a root: a template (`templates/{{cookiecutter.x}}/` holds Jinja), a fixture or
            # anything else no member glob matches. The root is above it; keep looking.
            continue
        tool = data.get("tool")
        if isinstance(tool, dict) and isinstance(tool.get("uv"), dict) and "workspace" in tool["uv"]:
            return RootManifest(directory, manifest, text, data)
    raise WorkspaceError(
        "no uv workspace here or in any parent directory",
        path=start,
        code="RK100",
        hint="run inside a uv workspace (a pyproject.toml with [tool.uv.workspace]) or pass --workspace DIR",
    )


def load_workspace(start: Path | None = None, *, located: RootManifest | None = None) -> Workspace:
    """Discover and parse the workspace containing ``start`` (default: the current directory).

    ``located`` (from :func:`locate`) saves reading and parsing the root manifest again.
    """
    # Parsing allocates many long-lived objects and no garbage cycles: the cyclic collector
    # would only rescan them, again and again as the heap grows (measurably superlinear).
    with _gc_paused():
        return _load(located or locate(start or Path.cwd()))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(located: RootManifest) -> Workspace:
    root, manifest, text, data = located.root, located.manifest, located.text, located.data
    tool = data.get("tool", {})
    uv_table = tool.get("uv", {})
    ws_table = uv_table.get("workspace")
    if not isinstance(ws_table, dict):
        raise WorkspaceError(
            "[tool.uv.workspace] must be a table",
            path=manifest,
            line=tomlio.line_of_text(text, "workspace"),
            code="RK118",
            hint="write it as [tool.uv.workspace] with members = [...]",
        )
    members = _string_list(ws_table.get("members", []), "tool.uv.workspace.members", manifest, text)
    excludes = _string_list(ws_table.get("exclude", []), "tool.uv.workspace.exclude", manifest, text)
    raw_config = tool.get("releasekit")
    config = parse_config(raw_config, manifest, text)

    root_sources = frozenset(_workspace_sources(uv_table, manifest, text))
    member_dirs = _expand_members(root, members, excludes, manifest, text)

    parsed: list[tuple[Path, dict[str, Any], str, bool]] = []
    if isinstance(data.get("project"), dict):
        parsed.append((root, data, text, True))
    elif "project" in data:
        raise WorkspaceError(
            "[project] must be a table", path=manifest, code="RK119", hint="write it as [project]"
        )
    for directory in member_dirs:
        if directory == root:
            continue
        member_manifest = directory / "pyproject.toml"
        member_text = tomlio.decode(tomlio.read_bytes(member_manifest), member_manifest)
        member_data = tomlio.parse(member_text, member_manifest)
        member_tool = member_data.get("tool")
        member_uv = member_tool.get("uv") if isinstance(member_tool, dict) else None
        if isinstance(member_uv, dict) and "workspace" in member_uv:
            raise WorkspaceError(
                "a workspace member has its own [tool.uv.workspace]: nested workspaces are not supported",
                path=member_manifest,
                line=tomlio.line_of_text(member_text, "workspace"),
                code="RK118",
                hint="remove [tool.uv.workspace] from the member, or exclude it from the root's members",
            )
        parsed.append((directory, member_data, member_text, False))

    root_sorted = tuple(sorted(root_sources))
    drafts = [
        _parse_package(
            root, directory, pdata, ptext, is_root, root_sources=root_sources, root_sorted=root_sorted
        )
        for directory, pdata, ptext, is_root in parsed
    ]
    seen: dict[str, Package] = {}
    for pkg in drafts:
        if pkg.name in seen:
            other = seen[pkg.name]
            raise WorkspaceError(
                f"package name {pkg.declared_name!r} collides with {other.declared_name!r} "
                f"in {other.relpath}/pyproject.toml (both normalize to {pkg.name!r})",
                path=pkg.manifest,
                line=tomlio.line_of_key(_text_of(parsed, pkg.path), "name"),
                code="RK115",
                hint="give each workspace member a distinct name",
            )
        seen[pkg.name] = pkg
    names = set(seen)
    packages = tuple(_link_internal(pkg, names) for pkg in sorted(seen.values(), key=lambda p: p.name))
    return Workspace(
        root=root,
        manifest=manifest,
        config=config,
        packages=packages,
        member_patterns=tuple(members),
        exclude_patterns=tuple(excludes),
        root_sources=root_sorted,
    )


def _text_of(parsed: list[tuple[Path, dict[str, Any], str, bool]], directory: Path) -> str:
    for d, _, text, _ in parsed:
        if d == directory:
            return text
    return ""


def _string_list(value: Any, key: str, path: Path, text: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WorkspaceError(
            f"`{key}` must be an array of strings",
            path=path,
            line=tomlio.line_of_key(text, key.rsplit(".", 1)[-1]),
            code="RK118",
            hint=f'write it as {key.rsplit(".", 1)[-1]} = ["packages/*"]',
        )
    return list(value)


def _workspace_sources(uv_table: Any, path: Path, text: str) -> set[str]:
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


def _walk_dirs(base: Path) -> Iterator[Path]:
    """``base`` and every directory below it, following symlinks but never looping."""
    seen: set[tuple[int, int]] = set()
    stack = [base]
    while stack:
        current = stack.pop()
        try:
            st = current.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            # Reached again through a symlink: listed, as uv lists it, but never entered.
            yield current
            continue
        seen.add(key)
        yield current
        try:
            children = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in children:
            try:
                if entry.is_dir():
                    stack.append(Path(entry.path))
            except OSError:
                continue


def _glob(root: Path, pattern: str) -> list[Path]:
    parts = PurePosixPath(pattern.replace("\\", "/")).parts
    if parts and parts[0] == "/":
        current, parts = [Path("/")], parts[1:]
    else:
        current = [root]
    last = len(parts) - 1
    for index, part in enumerate(parts):
        following: list[Path] = []
        for base in current:
            if part == "**":
                # uv (the glob crate): a trailing `**` matches the directories below its
                # base, never the base itself; elsewhere it matches zero or more levels.
                found = _walk_dirs(base)
                if index == last:
                    next(found, None)
                following.extend(found)
            elif _MAGIC.search(part):
                try:
                    entries = sorted(os.scandir(base), key=lambda e: e.name)
                except OSError:
                    continue
                following.extend(Path(e.path) for e in entries if fnmatch.fnmatchcase(e.name, part))
            elif part == "..":
                following.append(base.parent)
            elif part != ".":
                candidate = base / part
                if candidate.exists():
                    following.append(candidate)
            else:
                following.append(base)
        current = list(dict.fromkeys(following))
    return current


def _has_files(directory: Path) -> bool:
    """True if anything but directories lies below ``directory`` (hidden files count, as in uv)."""
    for sub in _walk_dirs(directory):
        try:
            with os.scandir(sub) as entries:
                for entry in entries:
                    try:
                        if not entry.is_dir():
                            return True
                    except OSError:
                        return True
        except OSError:
            continue
    return False


def _resolve(path: Path) -> Path:
    """``path.resolve()`` that never raises (a symlink loop stays as it is, made absolute)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _expand_members(
    root: Path, members: list[str], excludes: list[str], manifest: Path, text: str
) -> list[Path]:
    excluded: set[Path] = set()
    for pattern in excludes:
        excluded.update(_resolve(p) for p in _glob(root, pattern))
    found: dict[Path, None] = {}
    for pattern in members:
        matched = _glob(root, pattern)
        for path in matched:
            if path.is_symlink() and not path.exists() and _resolve(path) not in excluded:
                # uv: "failed to query metadata of file": a dangling or looping symlink.
                tomlio.read_bytes(path)
        matches = [p for p in matched if p.is_dir()]
        if not matches:
            raise WorkspaceError(
                f"member glob {pattern!r} matches no directory",
                path=manifest,
                line=tomlio.line_of_text(text, pattern),
                code="RK116",
                hint="fix the glob in [tool.uv.workspace] members or create the package",
            )
        for match in matches:
            resolved = match.resolve()
            if resolved in excluded:
                continue
            if not os.path.lexists(resolved / "pyproject.toml"):
                if match.name.startswith("."):
                    continue  # uv ignores a hidden directory without pyproject.toml
                if _has_files(resolved):
                    raise WorkspaceError(
                        f"workspace member "
                        f"{match.relative_to(root).as_posix() if match.is_relative_to(root) else match} "
                        f"has no pyproject.toml (matched by {pattern!r})",
                        path=manifest,
                        line=tomlio.line_of_text(text, pattern),
                        code="RK117",
                        hint="add a pyproject.toml there or add the directory to `exclude`",
                    )
                continue
            found[resolved] = None
    return sorted(found)


def _parse_package(
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
    own_sources = _workspace_sources(uv_table, manifest, text) - root_sources
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


def _parse_requirement(raw: str, section: str, fail: Any) -> Dependency:
    try:
        name, specifier, extras, marker, url = _requirement_fields(raw)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unparsable"
        raise fail(
            f"invalid dependency {raw!r} in {section}: {first}",
            "RK114",
            "write a PEP 508 requirement like 'name[extra]>=1.0; python_version >= \"3.11\"'",
            needle=raw,
        ) from None
    return Dependency(
        raw=raw, name=name, specifier=specifier, extras=extras, marker=marker, url=url, section=section
    )


def _link_internal(pkg: Package, names: set[str]) -> Package:
    deps: list[Dependency] = []
    hard: set[str] = set()
    extra: set[str] = set()
    self_refs: list[Dependency] = []
    for dep in pkg.dependencies:
        is_internal = dep.name in names
        marked = dataclasses.replace(dep, internal=is_internal)
        deps.append(marked)
        if not is_internal:
            continue
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
