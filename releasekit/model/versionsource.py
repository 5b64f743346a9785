"""Where a member's version lives: pyproject.toml, a file the backend reads, git tags, or code.

Read from the :class:`~releasekit.model.workspace.Package` tables alone (no subprocess), so
``bump`` knows what it may write and ``plan`` can say why it may not. The backend stays
the authority on the value itself (:mod:`releasekit.model.backendmeta`); this module only says
where a version is written and how to read and replace it as text, layout kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit.errors import VersionError
from releasekit.model.package import Package

VersionKind = Literal["static", "file", "vcs", "backend"]

#: A default ``backend`` when [build-system] is absent: what pip and uv fall back to.
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
#: hatch's default: a ``__version__`` or ``VERSION`` assignment, a leading ``v`` dropped.
HATCH_DEFAULT_PATTERN = r"(?i)^(?:__version__|VERSION)\s*(?::\s*str\s*)?=\s*(['\"])v?(?P<version>[^'\"\n]+)\1"
#: setuptools ``file:``: the file's whole (stripped) content.
WHOLE_FILE_PATTERN = r"\A\s*(?P<version>\S+)\s*\Z"
_VERSION_GROUPS = ("version", "value")  # hatch / pdm / setuptools say version, scikit-build-core value
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$", re.MULTILINE)
_TOML_VERSION = re.compile(r"^[ \t]*version[ \t]*=[ \t]*(['\"])(?P<version>[^'\"\n]*)\1", re.MULTILINE)
_HOPS = 3  # re-exports followed from a module to the file that assigns the attribute


@dataclass(frozen=True)
class VersionSource:
    kind: VersionKind  # backend = computed some other way we cannot write
    tool: str
    path: Path | None = None  # the file holding it (kinds "file" and "static")
    #: A regex whose ``version`` (or ``value``) group is the version (text files).
    pattern: str | None = None
    #: The TOML table whose ``version`` key holds it ("project", "package", "tool.poetry").
    table: str | None = None
    #: The member's directory: paths are described relative to it.
    member_dir: Path | None = None

    def describe(self) -> str:
        if self.kind == "vcs":
            return f"version from git tags ({self.tool})"
        if self.kind == "backend":
            return f"version computed by the build backend ({self.tool})"
        where = self.relpath or "?"
        return f"version in {where} ({self.tool})"

    @property
    def relpath(self) -> str | None:
        if self.path is None:
            return None
        if self.member_dir is not None and self.path.is_relative_to(self.member_dir):
            return self.path.relative_to(self.member_dir).as_posix()
        return str(self.path)

    @property
    def writable(self) -> bool:
        return self.kind in ("static", "file")


def version_source(pkg: Package) -> VersionSource:
    """Where ``pkg``'s version is written, judged by its build backend's configuration."""
    if "version" not in pkg.dynamic:  # (a dynamic member's version may be filled in from its backend)
        return VersionSource("static", "pyproject", pkg.manifest, table="project", member_dir=pkg.path)
    backend = pkg.build_backend or (LEGACY_BACKEND if not pkg.build_system else "setuptools.build_meta")
    top = backend.split(":", 1)[0].split(".", 1)[0]
    finder = _FINDERS.get(top)
    if finder is not None:
        return finder(pkg)
    return VersionSource("backend", backend, member_dir=pkg.path)


def read_file_version(source: VersionSource) -> str | None:
    """The version as written in ``source``'s file, or None (no file, not found, not writable)."""
    if not source.writable or source.path is None:
        return None
    try:
        text = source.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return version_in_text(source, text)


def version_in_text(source: VersionSource, text: str) -> str | None:
    """The version ``text`` (the content of ``source``'s file, e.g. at another commit) holds."""
    span = _version_span(source, text) if source.writable else None
    return text[span[0] : span[1]] if span else None


def replace_file_version(source: VersionSource, text: str, new: str) -> str:
    """``text`` (the content of ``source.path``) with its version replaced by ``new``, bytes around it kept."""
    manifest = source.member_dir / "pyproject.toml" if source.member_dir else None
    if not source.writable:
        raise VersionError(
            f"the {source.describe()} cannot be written by releasekit",
            path=manifest,
            code="RK144",
            hint="the release tag is the version: tag the release instead of bumping, "
            "or write a static version into [project]",
        )
    span = _version_span(source, text)
    if span is None:
        looked_for = f"a `version` in [{source.table}]" if source.table else f"a match of {source.pattern!r}"
        raise VersionError(
            f"no version found in {source.relpath} ({source.tool}): looked for {looked_for}",
            path=source.path or manifest,
            code="RK144",
            hint='write the version as a plain string assignment, e.g. __version__ = "1.2.3"',
        )
    return text[: span[0]] + new + text[span[1] :]


def _version_span(source: VersionSource, text: str) -> tuple[int, int] | None:
    if source.table is not None:
        return _toml_version_span(text, source.table)
    match = re.search(source.pattern or HATCH_DEFAULT_PATTERN, text, re.MULTILINE)
    if match is None:
        return None
    for group in _VERSION_GROUPS:
        if group in match.groupdict() and match.group(group) is not None:
            return match.span(group)
    return None


def _toml_version_span(text: str, table: str) -> tuple[int, int] | None:
    """The span of ``version = "..."`` directly in ``[table]`` (up to the next table header)."""
    headers = list(_HEADER.finditer(text))
    for index, header in enumerate(headers):
        if header.group(1).replace('"', "").replace(" ", "") != table:
            continue
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        match = _TOML_VERSION.search(text, header.end(), end)
        return match.span("version") if match else None
    return None


# --- per backend -------------------------------------------------------------------------


def _table(mapping: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    current: Any = mapping
    for key in keys:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def _requires_names(pkg: Package) -> set[str]:
    names: set[str] = set()
    for raw in pkg.build_system.get("requires", []) if isinstance(pkg.build_system.get("requires"), list) else []:
        try:
            names.add(str(canonicalize_name(Requirement(str(raw)).name)))
        except InvalidRequirement:
            continue
    return names


def _file(pkg: Package, tool: str, relpath: str, pattern: str) -> VersionSource:
    return VersionSource("file", tool, pkg.path / relpath, pattern=pattern, member_dir=pkg.path)


def _hatch(pkg: Package) -> VersionSource:
    config = _table(pkg.tool, "hatch", "version")
    source = config.get("source", "regex")
    if source == "regex" and isinstance(config.get("path"), str):
        pattern = config.get("pattern")
        return _file(
            pkg,
            "hatch path",
            config["path"],
            pattern if isinstance(pattern, str) and pattern else HATCH_DEFAULT_PATTERN,
        )
    if source == "vcs":
        return VersionSource("vcs", "hatch-vcs", member_dir=pkg.path)
    if source in ("uv-dynamic-versioning", "versioningit"):
        return VersionSource("vcs", str(source), member_dir=pkg.path)
    return VersionSource("backend", f"hatch {source}", member_dir=pkg.path)


def _assignment(name: str) -> str:
    return rf"^{re.escape(name)}\s*(?::[^=\n]*)?=\s*(['\"])v?(?P<version>[^'\"\n]+)\1"


def _setuptools(pkg: Package) -> VersionSource:
    if "setuptools_scm" in pkg.tool or "setuptools-scm" in pkg.tool:
        return VersionSource("vcs", "setuptools-scm", member_dir=pkg.path)
    dynamic = _table(pkg.tool, "setuptools", "dynamic").get("version")
    if isinstance(dynamic, Mapping) and isinstance(dynamic.get("attr"), str):
        module, _, attribute = str(dynamic["attr"]).rpartition(".")
        package_dir = _table(pkg.tool, "setuptools", "package-dir")
        found = _python_attribute(pkg.path, module, attribute, package_dir)
        if found is None:
            return VersionSource("backend", "setuptools attr", member_dir=pkg.path)
        path, name = found
        return VersionSource("file", "setuptools attr", path, pattern=_assignment(name), member_dir=pkg.path)
    if isinstance(dynamic, Mapping) and "file" in dynamic:
        files = dynamic["file"]
        files = [files] if isinstance(files, str) else files
        if isinstance(files, list) and len(files) == 1 and isinstance(files[0], str):
            return _file(pkg, "setuptools file", files[0], WHOLE_FILE_PATTERN)
        return VersionSource("backend", "setuptools file", member_dir=pkg.path)
    if _requires_names(pkg) & {"setuptools-scm", "vcs-versioning"}:
        return VersionSource("vcs", "setuptools-scm", member_dir=pkg.path)
    return VersionSource("backend", "setuptools setup.py", member_dir=pkg.path)


def _pdm(pkg: Package) -> VersionSource:
    config = _table(pkg.tool, "pdm", "version")
    source = config.get("source")
    if source == "file" and isinstance(config.get("path"), str):
        return _file(pkg, "pdm file", config["path"], _assignment("__version__"))
    if source == "scm":
        return VersionSource("vcs", "pdm scm", member_dir=pkg.path)
    return VersionSource("backend", f"pdm {source or 'version'}", member_dir=pkg.path)


def _flit(pkg: Package) -> VersionSource:
    configured = _table(pkg.tool, "flit", "module").get("name")
    module = configured if isinstance(configured, str) else pkg.declared_name.replace("-", "_")
    found = _python_attribute(pkg.path, module, "__version__", {})
    if found is None:
        return VersionSource("backend", "flit module", member_dir=pkg.path)
    path, name = found
    return VersionSource("file", "flit module", path, pattern=_assignment(name), member_dir=pkg.path)


def _maturin(pkg: Package) -> VersionSource:
    manifest = _table(pkg.tool, "maturin").get("manifest-path")
    relpath = manifest if isinstance(manifest, str) else "Cargo.toml"
    return VersionSource("file", "maturin Cargo.toml", pkg.path / relpath, table="package", member_dir=pkg.path)


def _poetry(pkg: Package) -> VersionSource:
    if "poetry-dynamic-versioning" in _requires_names(pkg) or "poetry-dynamic-versioning" in pkg.tool:
        return VersionSource("vcs", "poetry-dynamic-versioning", member_dir=pkg.path)
    if isinstance(_table(pkg.tool, "poetry").get("version"), str):
        return VersionSource("file", "poetry", pkg.manifest, table="tool.poetry", member_dir=pkg.path)
    return VersionSource("backend", "poetry", member_dir=pkg.path)


def _scikit_build(pkg: Package) -> VersionSource:
    config = _table(pkg.tool, "scikit-build", "metadata", "version")
    provider = str(config.get("provider", ""))
    if provider.endswith(".regex") and isinstance(config.get("input"), str):
        regex = config.get("regex")
        return _file(
            pkg, "scikit-build regex", config["input"], regex if isinstance(regex, str) else HATCH_DEFAULT_PATTERN
        )
    if provider.endswith(".setuptools_scm"):
        return VersionSource("vcs", "setuptools-scm", member_dir=pkg.path)
    return VersionSource("backend", f"scikit-build {provider or 'version'}", member_dir=pkg.path)


def _uv_build(pkg: Package) -> VersionSource:
    return VersionSource("backend", "uv_build", member_dir=pkg.path)


_FINDERS = {
    "hatchling": _hatch,
    "setuptools": _setuptools,
    "pdm": _pdm,
    "flit_core": _flit,
    "flit": _flit,
    "maturin": _maturin,
    "poetry": _poetry,
    "scikit_build_core": _scikit_build,
    "uv_build": _uv_build,
}


# --- a Python attribute's file ------------------------------------------------------------


def _python_attribute(
    member: Path, module: str, attribute: str, package_dir: Mapping[str, Any]
) -> tuple[Path, str] | None:
    """The file that assigns ``module.attribute`` as a string, following ``from .x import attribute``."""
    for _ in range(_HOPS):
        path = _module_file(member, module, package_dir)
        if path is None:
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if re.search(_assignment(attribute), text, re.MULTILINE):
            return path, attribute
        follow = _reexport(text, attribute, module, is_package=path.name == "__init__.py")
        if follow is None:
            return None
        module, attribute = follow
    return None


def _reexport(text: str, attribute: str, module: str, *, is_package: bool) -> tuple[str, str] | None:
    """``(module, name)`` for ``from <module> import <name> as <attribute>`` (or without ``as``)."""
    for match in re.finditer(r"^from\s+(\.*[\w.]*)\s+import\s+\(?([^)\n]+)\)?", text, re.MULTILINE):
        source, names = match.group(1), match.group(2)
        for item in names.split(","):
            parts = item.split()
            original = parts[0] if parts else ""
            alias = parts[2] if len(parts) == 3 and parts[1] == "as" else original
            if alias != attribute:
                continue
            if not source.startswith("."):
                return source, original
            dots = len(source) - len(source.lstrip("."))
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (dots - 1)] if dots > 1 else base
            rest = source.lstrip(".")
            return ".".join([*base, rest] if rest else base), original
    return None


def _module_file(member: Path, module: str, package_dir: Mapping[str, Any]) -> Path | None:
    for base, parts in _module_bases(member, module.split("."), package_dir):
        candidates = [base.joinpath(*parts, "__init__.py")]
        if parts:
            candidates.append(base.joinpath(*parts[:-1], parts[-1] + ".py"))
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    return None


def _module_bases(member: Path, parts: list[str], package_dir: Mapping[str, Any]) -> Iterator[tuple[Path, list[str]]]:
    """Where setuptools (package-dir, longest prefix first) or a src/ or flat layout puts ``parts``."""
    for cut in range(len(parts), 0, -1):
        mapped = package_dir.get(".".join(parts[:cut]))
        if isinstance(mapped, str):
            yield member / mapped, parts[cut:]
            return
    if isinstance(package_dir.get(""), str):
        yield member / package_dir[""], parts
        return
    yield member / "src", parts
    yield member, parts


def pinned_build_env(pkg_name: str, version: str, source: VersionSource) -> dict[str, str]:
    """Variables that make a VCS-versioning backend build exactly ``version``.

    Pinning rewrites pyproject.toml for the build, so the tree is dirty and hatch-vcs or
    setuptools-scm would answer ``0.3.1.dev0+g<hash>.d<date>`` instead of the tag's version;
    each of these tools reads its own "pretend" variable first (only this build's process
    sees them).
    """
    if source.kind != "vcs":
        return {}
    suffix = re.sub(r"[-_.]+", "_", pkg_name).upper()
    return {
        f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{suffix}": version,  # setuptools-scm, when it knows the name
        "SETUPTOOLS_SCM_PRETEND_VERSION": version,  # hatch-vcs does not pass the name: the build is this one's
        "UV_DYNAMIC_VERSIONING_BYPASS": version,
        "POETRY_DYNAMIC_VERSIONING_BYPASS": version,
        "PDM_BUILD_SCM_VERSION": version,
    }
