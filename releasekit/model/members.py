"""Workspace member globs with uv's semantics.

``*`` stays in one directory, ``**`` recurses, hidden directories match, a matched directory
without a pyproject.toml is an error unless it holds no files; excluded directories are never
members.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from releasekit.errors import WorkspaceError
from releasekit.model import tomlio

_MAGIC = re.compile(r"[*?[]")


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


def expand_members(root: Path, members: list[str], excludes: list[str], manifest: Path, text: str) -> list[Path]:
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
