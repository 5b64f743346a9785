"""History per package: which commits since its last release tag touched it.

A commit belongs to the packages whose directories hold the files it touches; a file belongs
to the deepest package directory containing it (so the root package only gets files no other
member owns). Merge commits touch nothing themselves. The range of a package starts at the tag
of its current version if that tag is reachable from HEAD, else at its highest reachable tag,
else at the beginning of history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from releasekit.backends.git import Commit
from releasekit.backends.protocols import GitBackend
from releasekit.errors import UsageError
from releasekit.model.workspace import Workspace
from releasekit.workflow.conventional import Change, effective_changes
from releasekit.workflow.tags import format_tag, latest, package_tags


def repo_relative(top: Path, path: Path) -> str:
    """``path`` relative to the repository top, as git writes it ("" for the top itself)."""
    rel = path.resolve().relative_to(top.resolve()).as_posix()
    return "" if rel == "." else rel


@dataclass(frozen=True)
class PackageHistory:
    """What happened to one package since its last release tag."""

    name: str
    since_tag: str | None
    commits: tuple[Commit, ...]
    changes: tuple[Change, ...]
    cancelled: tuple[str, ...]


def owners(ws: Workspace, top: Path) -> list[tuple[str, str]]:
    """(directory relative to the repository top, package), deepest directory first."""
    out = [(repo_relative(top, pkg.path), pkg.name) for pkg in ws.packages]
    return sorted(out, key=lambda item: (-len(PurePosixPath(item[0]).parts) if item[0] else 0, item[0]))


def owner_of(path: str, table: list[tuple[str, str]]) -> str | None:
    for directory, name in table:
        if not directory or path == directory or path.startswith(directory + "/"):
            return name
    return None


def require_history(git: GitBackend) -> None:
    """Versions from commits need a full, non-shallow git history."""
    if not git.is_repo():
        raise UsageError(
            f"{git.cwd} is not inside a git repository",
            code="RK701",
            hint="versions from commits need git history; use --major/--minor/--patch without it",
        )
    if git.is_shallow():
        raise UsageError(
            "the git history is shallow, so the commits since each tag are incomplete",
            code="RK701",
            hint="run `git fetch --unshallow --tags` (in GitHub Actions: actions/checkout with fetch-depth: 0)",
        )


def last_tag(ws: Workspace, name: str, version: str, merged_tags: list[str]) -> str | None:
    """The release tag a package's range starts at (see the module docstring)."""
    mine = package_tags(ws.config, name, merged_tags)
    current = format_tag(ws.config, name, version)
    if current in mine.values():
        return current
    best = latest(mine)
    return mine[best] if best is not None else None


def histories(ws: Workspace, git: GitBackend, names: Iterable[str]) -> dict[str, PackageHistory]:
    """Each named package's history since its last release tag."""
    top = git.toplevel()
    table = owners(ws, top)
    merged = git.tags_merged("HEAD")
    out: dict[str, PackageHistory] = {}
    for name in names:
        pkg = ws.by_name[name]
        assert pkg.version is not None
        out[name] = history_since(ws, git, name, last_tag(ws, name, pkg.version, merged), table)
    return out


def history_since(
    ws: Workspace, git: GitBackend, name: str, tag: str | None, table: list[tuple[str, str]] | None = None
) -> PackageHistory:
    """``name``'s commits and effective changes from ``tag`` (None: all history) to HEAD."""
    top = git.toplevel()
    table = owners(ws, top) if table is None else table
    rel = repo_relative(top, ws.by_name[name].path)
    log = git.log(f"{tag}..HEAD" if tag else "HEAD", paths=[f":(top){rel}"])
    mine = [c for c in log if any(owner_of(f, table) == name for f in c.files)]
    changes, cancelled = effective_changes(mine)
    return PackageHistory(name, tag, tuple(mine), tuple(changes), tuple(sorted(cancelled)))
