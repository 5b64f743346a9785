"""Writing new versions: the version itself, dependents' specifiers, and uv.lock.

All file edits form one transaction through the journal: if anything fails (including
`uv lock`), every file is put back byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from releasekit.engine.plan import Plan
from releasekit.errors import VersionError
from releasekit.model.edit import rewrite_requirements, set_version
from releasekit.model.package import normalize
from releasekit.model.versions import widen_requirement
from releasekit.model.versionsource import replace_file_version, version_source
from releasekit.model.workspace import Workspace
from releasekit.support.journal import Entry, Journal
from releasekit.support.state import StateLock, ensure_state_dir
from releasekit.workflow.tags import format_tag


@dataclass
class FileEdit:
    path: Path
    original: bytes
    new: bytes
    notes: list[str] = field(default_factory=list)


def version_edits(ws: Workspace, new_versions: Mapping[str, str], *, tagging: bool = False) -> list[FileEdit]:
    """Edits setting each package's new version and widening dependents' specifiers.

    A version git tags define is never written: `bump` refuses it (RK144); with ``tagging``
    (`prepare`, whose `release` creates the tag) it is left to the tag.
    """
    edits: dict[Path, FileEdit] = {}

    def edit_for(path: Path) -> FileEdit:
        if path not in edits:
            data = path.read_bytes()
            edits[path] = FileEdit(path, data, data)
        return edits[path]

    for pkg in ws.packages:
        if pkg.name in new_versions and new_versions[pkg.name] != pkg.version:
            new = new_versions[pkg.name]
            source = version_source(pkg)
            if source.kind == "static":
                edit = edit_for(pkg.manifest)
                edit.new = set_version(edit.new.decode("utf-8"), new).encode("utf-8")
                edit.notes.append(f"{pkg.name}: version {pkg.version} -> {new}")
            elif source.path is not None and source.writable:
                # Where the build backend reads it: `[tool.hatch.version] path`, setuptools attr:/file:, ...
                edit = edit_for(source.path)
                edit.new = replace_file_version(source, edit.new.decode("utf-8"), new).encode("utf-8")
                edit.notes.append(f"{pkg.name}: version {pkg.version} -> {new} ({source.describe()})")
            elif not (tagging and source.kind == "vcs"):
                raise VersionError(
                    f"{pkg.name}'s {source.describe()}: releasekit does not write it",
                    path=pkg.manifest,
                    code="RK144",
                    hint=f"the release tag is the version: tag the commit ({format_tag(ws.config, pkg.name, new)}) "
                    "and publish it, or write a static version into [project]",
                )

    for pkg in ws.packages:
        targets = {d: new_versions[d] for d in pkg.pin_targets if d in new_versions}
        if not targets:
            continue

        def widen(raw: str, targets: Mapping[str, str] = targets) -> str | None:
            try:
                name = normalize(Requirement(raw).name)
            except InvalidRequirement:
                return None
            return widen_requirement(raw, targets[name]) if name in targets else None

        current = edits[pkg.manifest].new if pkg.manifest in edits else pkg.manifest.read_bytes()
        text, changes = rewrite_requirements(current.decode("utf-8"), widen)
        if changes:
            edit = edit_for(pkg.manifest)
            edit.new = text.encode("utf-8")
            edit.notes.extend(f"{pkg.name}: dependency {old!r} -> {new!r}" for old, new in changes)
    return [e for e in edits.values() if e.new != e.original]


def apply_edits(
    ws: Workspace,
    edits: list[FileEdit],
    *,
    command: str,
    after: Callable[[], None] | None = None,
) -> None:
    """Write ``edits`` as one transaction; ``after`` (e.g. `uv lock`) runs inside it."""
    state = ensure_state_dir(ws.state_dir)
    journal = Journal(state)
    with StateLock(state, command):
        journal.repair()
        lock_file = ws.root / "uv.lock"
        entries: list[Entry] = []
        try:
            for edit in edits:
                entries.append(journal.rewrite(edit.path, edit.new, f"{command}: {'; '.join(edit.notes)}"))
            if lock_file.exists():
                entries.append(journal.record(lock_file, lock_file.read_bytes(), None, f"{command}: uv.lock"))
            if after is not None:
                after()
        except BaseException:
            for entry in reversed(entries):
                journal.restore(entry)
            raise
        journal.commit_all(entries)


def plan_versions(plan: Plan) -> dict[str, str]:
    return {p.name: p.next_version for p in plan.changes}
