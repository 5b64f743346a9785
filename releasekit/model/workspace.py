"""uv workspace discovery: the root, its members (:mod:`releasekit.model.members`), and one
:class:`~releasekit.model.package.Package` record each (:mod:`releasekit.model.manifest`).

Everything downstream reads these records and never the files again, so the data flows one
way: pyproject files -> Workspace -> Graph -> Plan.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from releasekit.errors import UsageError, WorkspaceError
from releasekit.model import tomlio
from releasekit.model.config import Config
from releasekit.model.config_parse import parse_config
from releasekit.model.manifest import link_internal, parse_package, workspace_sources
from releasekit.model.members import expand_members
from releasekit.model.package import Package, normalize
from releasekit.support.suggest import did_you_mean

_ROOT_HEADER = re.compile(
    r"^\s*(\[\s*tool\s*\.\s*uv\s*\.\s*workspace\b|(tool\s*\.\s*)?uv\s*\.\s*workspace\s*=|workspace\s*=\s*\{)", re.M
)


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
            hint = did_you_mean(key, self.by_name, "run `releasekit discover` to list packages")
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
        raise WorkspaceError("directory does not exist", path=start, code="RK100", hint="pass an existing --workspace")
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

    root_sources = frozenset(workspace_sources(uv_table, manifest, text))
    member_dirs = expand_members(root, members, excludes, manifest, text)

    parsed: list[tuple[Path, dict[str, Any], str, bool]] = []
    if isinstance(data.get("project"), dict):
        parsed.append((root, data, text, True))
    elif "project" in data:
        raise WorkspaceError("[project] must be a table", path=manifest, code="RK119", hint="write it as [project]")
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
        parse_package(root, directory, pdata, ptext, is_root, root_sources=root_sources, root_sorted=root_sorted)
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
    packages = tuple(link_internal(pkg, names) for pkg in sorted(seen.values(), key=lambda p: p.name))
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
