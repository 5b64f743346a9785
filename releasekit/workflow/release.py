"""``release``: the merged release PR -> one tag per package on its merge commit, GitHub releases.

The PR's manifest says what to tag; each version is checked against the merged files first
(where the package's build backend reads it), so a release branch edited by hand is refused
rather than tagged. Tags never move: one found on another commit stops the release, except
the umbrella tag, which is left alone. A rerun completes what a failed run left undone (a tag
without a release, a release without a label) and otherwise changes nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from packaging.version import Version

from releasekit.backends.git import git_backend
from releasekit.backends.github import PENDING, PUBLISHED, TAGGED
from releasekit.backends.protocols import ForgeBackend, GitBackend
from releasekit.errors import WorkflowError
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.versionsource import version_in_text, version_source
from releasekit.model.workspace import Workspace
from releasekit.workflow.config import check_config
from releasekit.workflow.forge import Pull, create_releases, labelled, mark_tagged, merged_pulls, require_github
from releasekit.workflow.release_manifest import Manifest, ManifestEntry, tag_message
from releasekit.workflow.step_result import StepResult


@dataclass(frozen=True)
class ReleaseOptions:
    """Which merged release PR ``release`` tags, and whether it may (the command's flags)."""

    dry_run: bool = False
    pr: int | None = None  # this merged release PR; None: found by its label
    max_retries: int | None = None  # per GitHub request; None: the config's


@dataclass
class ReleaseResult(StepResult):
    command: ClassVar[str] = "release"
    private: ClassVar[tuple[str, ...]] = ("repo_url",)

    status: str  # nothing | dry-run | released | complete
    pr: int | None = None
    sha: str | None = None
    released: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    repo_url: str = ""  # the repository's web address, for summaries


def release(
    ws: Workspace,
    options: ReleaseOptions | None = None,
    *,
    github: ForgeBackend | None,
    notice: Notice = stderr_notice,
) -> ReleaseResult:
    """Tag the merged release PR's merge commit per package and create the GitHub releases."""
    opts = options or ReleaseOptions()
    gh = require_github(github, "the merged release PR cannot be found")
    if not opts.dry_run:
        gh.require_token("tag and create GitHub releases")
    check_config(ws)
    git = git_backend(ws.root)
    pulls = _release_pulls(gh, ws, opts.pr)
    if not pulls:
        notice("no merged release PR: nothing to release")
        return ReleaseResult(status="nothing", repo_url=gh.html_url)
    result = ReleaseResult(status="dry-run" if opts.dry_run else "complete", repo_url=gh.html_url)
    for pull in pulls:
        _release_one(ws, git, gh, pull, opts.dry_run, result, notice)
    return result


def _release_pulls(github: ForgeBackend, ws: Workspace, pr_number: int | None) -> list[dict[str, Any]]:
    """The PR asked for; else every merged one still pending; else the latest released one."""
    if pr_number is not None:
        pull = github.get_pull(pr_number)
        if not pull.get("merged_at"):
            raise WorkflowError(f"PR #{pr_number} is not merged", code="RK706", hint="merge the release PR first")
        return [pull]
    merged = merged_pulls(github, ws.config.workflow)
    return labelled(merged, PENDING) or labelled(merged, TAGGED, PUBLISHED)[-1:]


def _release_one(
    ws: Workspace,
    git: GitBackend,
    github: ForgeBackend,
    pull: Pull,
    dry_run: bool,
    result: ReleaseResult,
    notice: Notice,
) -> None:
    number = int(pull["number"])
    where = f"release PR #{number}"
    manifest = Manifest.parse(pull.get("body"), where)
    sha = _merge_commit(ws, git, pull, where)
    result.pr, result.sha = number, sha
    for entry in manifest.packages:
        found = _version_at(git, sha, entry, ws)
        if found is None or Version(found) != Version(entry.version):
            raise WorkflowError(
                f"{where} says {entry.name} {entry.version}, but {entry.path or '.'}/pyproject.toml at "
                f"{sha[:12]} has {found or 'no static version'}",
                code="RK708",
                hint="the release branch was edited by hand; rerun `releasekit prepare` and merge again",
            )
        result.released[entry.name] = entry.version
    _tag(ws, git, manifest, number, sha, dry_run, result, notice)
    result.actions += create_releases(github, git, ws, manifest, sha, dry_run=dry_run)
    result.actions += mark_tagged(github, pull, dry_run=dry_run)
    if result.actions and not dry_run:
        result.status = "released"


def _merge_commit(ws: Workspace, git: GitBackend, pull: Pull, where: str) -> str:
    """The PR's merge commit, fetched from the remote when the checkout lacks it."""
    cfg = ws.config.workflow
    sha = str(pull.get("merge_commit_sha") or "")
    if not sha:
        raise WorkflowError(f"{where} has no merge commit", code="RK706", hint="merge the PR first")
    if git.rev_parse(sha) is None:
        git.fetch(cfg.remote, cfg.base_branch)
        if git.rev_parse(sha) is None:
            raise WorkflowError(
                f"the merge commit {sha[:12]} of {where} is not in the local history",
                code="RK707",
                hint=f"fetch it: git fetch {cfg.remote} {cfg.base_branch} (actions/checkout with fetch-depth: 0)",
            )
    return sha


def _version_at(git: GitBackend, sha: str, entry: ManifestEntry, ws: Workspace) -> str | None:
    """The version ``entry``'s package has at ``sha``, read where its build backend reads it."""
    manifest = f"{entry.path}/pyproject.toml" if entry.path else "pyproject.toml"
    text = git.show(sha, manifest)
    if text is None:
        return None
    try:
        project = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError:
        return None
    if project.get("version") is not None:
        return str(project["version"])
    pkg = ws.by_name.get(entry.name)
    if pkg is None or "version" not in project.get("dynamic", []):
        return None
    source = version_source(pkg)
    if source.kind == "vcs":
        return entry.version  # the tag `release` creates at this commit is the version
    if source.path is None or not source.writable:
        return None
    file_text = git.show(sha, ws.relative(source.path))
    return version_in_text(source, file_text) if file_text is not None else None


def _tag(
    ws: Workspace,
    git: GitBackend,
    manifest: Manifest,
    number: int,
    sha: str,
    dry_run: bool,
    result: ReleaseResult,
    notice: Notice,
) -> None:
    """Create the manifest's tags at ``sha`` where missing and push those the remote lacks."""
    remote_name = ws.config.workflow.remote
    wanted = [(e.tag, tag_message(e, number)) for e in manifest.packages]
    if manifest.umbrella_tag:
        wanted.append((manifest.umbrella_tag, f"release {manifest.umbrella_tag}"))
    remote = _remote_tags(git, remote_name)
    to_push: list[str] = []
    for tag, text in wanted:
        local = git.rev_parse(f"refs/tags/{tag}")
        there = remote.get(tag)
        elsewhere = _elsewhere(tag, sha, {"locally": local, f"on {remote_name}": there})
        if elsewhere is not None:
            place, target = elsewhere
            if tag != manifest.umbrella_tag:
                raise WorkflowError(
                    f"tag {tag} already exists {place} on {target[:12]}, not on the merge commit {sha[:12]}",
                    code="RK709",
                    hint="a tag never moves; delete it if it is wrong, or release a new version",
                )
            notice(f"umbrella tag {tag} already exists {place} on {target[:12]}; leaving it")
            continue
        result.tags.append(tag)
        if local is None and there is None:
            if dry_run:
                result.actions.append(f"would tag {sha[:12]} as {tag}")
            else:
                git.tag(tag, sha, message=text)
                result.actions.append(f"tagged {sha[:12]} as {tag}")
        if there is None:
            to_push.append(tag)
    if not to_push:
        return
    if dry_run:
        result.actions.append(f"would push {len(to_push)} tag(s) to {remote_name}: {', '.join(to_push)}")
    else:
        git.push(remote_name, [f"refs/tags/{t}" for t in to_push], atomic=True)
        result.actions.append(f"pushed {len(to_push)} tag(s) to {remote_name}")


def _remote_tags(git: GitBackend, remote: str) -> dict[str, str]:
    prefix = "refs/tags/"
    refs = git.ls_remote(remote, f"{prefix}*")
    return {ref[len(prefix) :]: target for ref, target in refs.items() if ref.startswith(prefix)}


def _elsewhere(tag: str, sha: str, places: Mapping[str, str | None]) -> tuple[str, str] | None:
    """The first place where ``tag`` points at another commit than ``sha``, with that commit."""
    for place, target in places.items():
        if target is not None and target != sha:
            return place, target
    return None
