"""Release notes: the changelog section ``prepare`` writes per version, and the GitHub release
body ``release`` reads back from it.

A prerelease's notes list the changes since the previous release of any kind. A final lists
everything since the previous *final* release, so promoting ``1.3.0rc2`` to ``1.3.0`` folds
the rc sections in: users who install only finals never saw them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from packaging.version import Version

from releasekit.backends.protocols import GitBackend
from releasekit.model.workspace import Workspace
from releasekit.workflow import changelog
from releasekit.workflow.commits import Analysis, Decision
from releasekit.workflow.history import PackageHistory, history_since, owners
from releasekit.workflow.release_manifest import ManifestEntry
from releasekit.workflow.tags import format_tag, package_tags


def previous_final_tag(ws: Workspace, name: str, version: str, tags: list[str]) -> str | None:
    """The tag of ``name``'s highest final release below ``version`` among ``tags``."""
    below = [
        v for v in package_tags(ws.config, name, tags) if not Version(v).is_prerelease and Version(v) < Version(version)
    ]
    if not below:
        return None
    return format_tag(ws.config, name, max(below, key=Version))


def notes_history(
    ws: Workspace, git: GitBackend, decision: Decision, version: str, merged: list[str]
) -> PackageHistory | None:
    """The history a version's notes cover (see the module docstring)."""
    history = decision.history
    if Version(version).is_prerelease:
        return history
    since = previous_final_tag(ws, decision.name, version, merged)
    if history is not None and history.since_tag == since:
        return history
    return history_since(ws, git, decision.name, since, owners(ws, git.toplevel()))


def sections(ws: Workspace, analysis: Analysis, git: GitBackend, links: changelog.Links) -> dict[str, str]:
    """The changelog section of every version ``analysis`` releases."""
    date = git.commit_date("HEAD")
    merged = git.tags_merged("HEAD")
    out: dict[str, str] = {}
    for name, version in analysis.versions.items():
        decision = analysis.decisions[name]
        history = notes_history(ws, git, decision, version, merged)
        out[name] = changelog.render_section(
            version,
            tag=format_tag(ws.config, name, version),
            previous_tag=history.since_tag if history else None,
            date=date,
            changes=history.changes if history else (),
            dependencies=decision.dependency_updates,
            links=links,
        )
    return out


def changelog_edits(ws: Workspace, texts: Mapping[str, str], versions: Mapping[str, str]) -> dict[Path, str]:
    """New changelog texts by path; a file that already has the version is left alone."""
    out: dict[Path, str] = {}
    if not ws.config.workflow.changelog:
        return out
    for name, section in texts.items():
        path = ws.by_name[name].path / ws.config.workflow.changelog_file
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        if existing is not None and changelog.has_version(existing, versions[name]):
            continue
        out[path] = changelog.insert_section(existing, section)
    return out


def github_release_body(git: GitBackend, ws: Workspace, sha: str, entry: ManifestEntry) -> str:
    """The version's changelog section at ``sha`` without its heading, or a plain line."""
    name = ws.config.workflow.changelog_file
    text = git.show(sha, f"{entry.path}/{name}" if entry.path else name)
    section = changelog.extract_section(text, entry.version) if text else None
    if section:
        return changelog.release_notes(section)
    return f"Release of {entry.name} {entry.version}.\n"
