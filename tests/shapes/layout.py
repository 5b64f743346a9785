"""A shape workspace while builders add to it, and what each member must become.

Builders compose: each adds members (or adds extras, groups and tables to members another
builder added, such as the shared ``core``) to one :class:`Shape`; :meth:`Shape.finish` then
writes every file with tests/harness/workspace.py, commits, locks with real uv and tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.harness.gitrepo import git_out
from tests.harness.workspace import commit_all, uv_lock, write_package, write_root
from tests.shapes.texts import GITIGNORE, LICENSE, module_source

CORE = "core"
CORE_VERSION = "0.7.0"
#: The ``packaging`` the local index serves needs 3.10, like most real workspaces today.
REQUIRES_PYTHON = ">=3.10"


@dataclass(frozen=True)
class Expected:
    """What a member is, as releasekit should come to see it and as its build backend builds it."""

    name: str
    path: str
    version: str
    #: False for a member that must never be published; ``why_not`` says what opts it out.
    publish: bool = True
    why_not: str = ""
    #: Modules a clean install of the wheel must import.
    modules: tuple[str, ...] = ()
    #: A module in the wheel whose import fails with ModuleNotFoundError ("" when none).
    broken: str = ""
    #: An internal requirement the workspace's own versions do not meet, so the wheel cannot be
    #: installed next to its siblings ("" when none).
    conflicts: str = ""
    dynamic: tuple[str, ...] = ()

    @property
    def wheel_prefix(self) -> str:
        """``name-version`` as it starts the wheel's and the sdist's file names."""
        return f"{canonicalize_name(self.name).replace('-', '_')}-{self.version}"


@dataclass
class Pending:
    """A member not yet written: the write_package arguments and the TOML tables to append."""

    relpath: str
    options: dict[str, Any]
    expected: Expected
    tables: list[str] = field(default_factory=list)

    def add_extra(self, extra: str, requirements: Sequence[str]) -> None:
        optional = dict(self.options.get("optional") or {})
        optional[extra] = list(requirements)
        self.options["optional"] = optional

    def requirements(self) -> list[tuple[str, str]]:
        """(kind, normalized name) of every [project] requirement: kind ``dependency`` or
        ``extra:<name>``, the way releasekit's graph labels its edges."""
        out = [("dependency", r) for r in self.options.get("deps", ())]
        for extra, reqs in (self.options.get("optional") or {}).items():
            out.extend((f"extra:{extra}", r) for r in reqs)
        return [(kind, canonicalize_name(Requirement(r).name)) for kind, r in out]


class Shape:
    """One workspace being written under ``root``; ``expected`` says what each member becomes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.member_globs: list[str] = []
        #: Root [tool.uv.sources] entries that [project] requirements do not name but something
        #: else needs (dependency groups); ``spare_sources`` are entries nothing may need.
        self.sources: list[str] = []
        self.spare_sources: list[str] = []
        #: Internal edges no static [project] field shows: (from, to, kind), e.g. a build hook's.
        self.hidden_edges: list[tuple[str, str, str]] = []
        #: Lines of the root's [tool.releasekit] table.
        self.config: list[str] = []
        #: Files outside any member (templates, ...), relative to the root.
        self.files: dict[str, str] = {}
        self.tags: list[str] = []
        self.pending: dict[str, Pending] = {}

    # -- building -----------------------------------------------------------------------------
    def add(
        self,
        relpath: str,
        name: str,
        *,
        version: str = CORE_VERSION,
        imports: Sequence[str] = (),
        import_name: str | None = None,
        builds: str | None = None,
        publish: bool = True,
        why_not: str = "",
        broken: str = "",
        tables: Sequence[str] = (),
        **options: Any,
    ) -> Pending:
        """A member at ``relpath`` whose package imports ``imports``; ``builds`` is the version
        its backend produces when that differs from ``version`` (dynamic versions)."""
        if name in self.pending:
            raise AssertionError(f"{name} is already in the shape")
        glob = relpath.rsplit("/", 1)[0] + "/*"
        if glob not in self.member_globs:
            self.member_globs.append(glob)
        module = import_name or name.replace("-", "_")
        options.setdefault("requires_python", REQUIRES_PYTHON)
        options.setdefault("module_text", module_source(f"{name}: a member of a shape workspace.", imports))
        if options.get("license", "Apache-2.0") is not None:
            options["files"] = {"LICENSE": LICENSE, **options.get("files", {})}
        options.update(version=version, import_name=module)
        expected = Expected(
            name, relpath, builds or version, publish, why_not,
            modules=(module.replace("/", "."),), broken=broken,
            dynamic=tuple(options.get("dynamic", ())),
        )
        pending = Pending(relpath, options, expected, list(tables))
        self.pending[name] = pending
        return pending

    def core(self) -> Pending:
        """The package most members depend on; added once, shared by every builder."""
        if CORE not in self.pending:
            self.add("packages/core", CORE)
        return self.pending[CORE]

    def expect(self, name: str, **changes: Any) -> None:
        self.pending[name].expected = replace(self.pending[name].expected, **changes)

    # -- reading ------------------------------------------------------------------------------
    @property
    def expected(self) -> dict[str, Expected]:
        return {name: p.expected for name, p in self.pending.items()}

    @property
    def publishable(self) -> list[str]:
        return sorted(name for name, e in self.expected.items() if e.publish)

    def edges(self) -> set[tuple[str, str, str]]:
        """Every internal edge (dependent, dependency, kind); dependency groups are never edges."""
        return self._static_edges() | set(self.hidden_edges)

    def _static_edges(self) -> set[tuple[str, str, str]]:
        members: dict[str, str] = {canonicalize_name(n): n for n in self.pending}
        return {(name, members[target], kind) for name, p in self.pending.items()
                for kind, target in p.requirements() if target in members}

    @property
    def unused_sources(self) -> list[str]:
        """Root sources that no member's requirement names (`check` warns about each)."""
        named = {canonicalize_name(to) for _, to, _ in self.edges()}
        return [s for s in self.spare_sources if canonicalize_name(s) not in named]

    def pyproject(self, name: str) -> Path:
        return self.root / self.pending[name].relpath / "pyproject.toml"

    # -- writing ------------------------------------------------------------------------------
    def finish(self, env: Mapping[str, str] | None = None, *, message: str = "feat: the workspace") -> Shape:
        """Write everything, commit, `uv lock` (through ``env``'s index), commit the lock, tag."""
        for name, pending in self.pending.items():
            options = dict(pending.options)
            options["extra_toml"] = "\n".join(t.strip("\n") + "\n" for t in pending.tables)
            write_package(self.root, pending.relpath, name, **options)
        write_root(self.root, self.member_globs, sources=self.root_sources(),
                   releasekit="\n".join(self.config))
        for rel, text in {".gitignore": GITIGNORE, **self.files}.items():
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.root / rel).write_text(text, encoding="utf-8")
        commit_all(self.root, message)
        uv_lock(self.root, env)
        commit_all(self.root, "chore: lock the workspace")
        for tag in self.tags:
            git_out(self.root, "tag", tag)
        return self

    def root_sources(self) -> list[str]:
        """Like real workspaces: every member another one requires, and the extra entries."""
        names = sorted({to for _, to, _ in self._static_edges()})
        return names + [s for s in self.sources + self.spare_sources if s not in names]
