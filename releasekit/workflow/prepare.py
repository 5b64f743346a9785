"""``prepare``: versions from commits -> the release branch -> the release PR.

The versions (with dependents' specifiers, ``uv.lock`` and changelogs) are written in a
throwaway git worktree, committed on the release branch and pushed; the release PR, whose body
embeds the release manifest, is opened or updated. The user's checkout is never modified
(the work happens in ``<state_dir>/worktrees/prepare``), and a rerun changes nothing that is
already there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from packaging.version import Version

from releasekit.backends.git import git_backend
from releasekit.backends.github import PENDING
from releasekit.backends.protocols import ForgeBackend, GitBackend
from releasekit.backends.uv import uv_backend
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.selection import Selection
from releasekit.model.workspace import Workspace, load_workspace
from releasekit.support.fsutil import atomic_write
from releasekit.support.state import StateLock, ensure_state_dir
from releasekit.workflow import changelog, notes
from releasekit.workflow.bumping import apply_edits, version_edits
from releasekit.workflow.commits import Analysis, analyze
from releasekit.workflow.config import check_config
from releasekit.workflow.forge import labelled, merged_pulls, open_or_update_pull, require_github
from releasekit.workflow.history import repo_relative, require_history
from releasekit.workflow.release_manifest import Manifest, ManifestEntry
from releasekit.workflow.release_pr import commit_message, pr_body, release_title
from releasekit.workflow.step_result import StepResult
from releasekit.workflow.tags import format_tag, umbrella_tag


@dataclass(frozen=True)
class PrepareOptions:
    """How ``prepare`` picks versions and what it may do (the ``prepare`` command's flags)."""

    bump_type: str = "auto"
    prerelease: str | None = None
    promote: bool = False
    force: bool = False  # open or update the PR even without version bumps
    dry_run: bool = False
    lock: bool = True  # refresh uv.lock on the release branch
    max_retries: int | None = None  # per GitHub request; None: the config's


@dataclass
class PrepareResult(StepResult):
    command: ClassVar[str] = "prepare"
    private: ClassVar[tuple[str, ...]] = ("analysis", "repo_url")

    status: str  # nothing | blocked | dry-run | opened | updated | unchanged
    versions: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)
    branch: str = ""
    pr: int | None = None
    pr_url: str | None = None
    actions: list[str] = field(default_factory=list)
    analysis: Analysis | None = None
    repo_url: str = ""  # the repository's web address, for summaries ("" without GitHub)


@dataclass(frozen=True)
class _Release:
    """What one prepare writes: the versions, their notes, and the PR's text."""

    versions: Mapping[str, str]
    sections: Mapping[str, str]
    head: str
    title: str
    body: str
    message: str


def prepare(
    ws: Workspace,
    selection: Selection | None = None,
    options: PrepareOptions | None = None,
    *,
    github: ForgeBackend | None,
    notice: Notice = stderr_notice,
) -> PrepareResult:
    """Open or update the release PR for the changes since each package's last tag."""
    opts = options or PrepareOptions()
    cfg = ws.config.workflow
    check_config(ws)
    git = git_backend(ws.root)
    require_history(git)
    result = PrepareResult(status="nothing", branch=cfg.release_branch, repo_url=github.html_url if github else "")
    if not opts.dry_run:
        require_github(
            github,
            "the release PR cannot be opened",
            hint="set workflow.github_repository or GITHUB_REPOSITORY, or use --dry-run",
        ).require_token("open the release PR")
    elif github is not None and not github.token:
        notice("no GitHub token: the dry run does not look at existing pull requests")
        github = None
    if github is not None:
        waiting = labelled(merged_pulls(github, cfg), PENDING)
        if waiting:
            numbers = ", ".join(f"#{p['number']}" for p in waiting)
            notice(f"merged release PR {numbers} is not tagged yet; run `releasekit release` first")
            result.status = "blocked"
            result.pr = int(waiting[-1]["number"])
            return result
    branch_now = git.current_branch()
    if branch_now is not None and branch_now != cfg.base_branch:
        notice(f"preparing from branch {branch_now!r}, not the base branch {cfg.base_branch!r}")
    analysis = analyze(
        ws, git, selection or Selection(), bump_type=opts.bump_type, prerelease=opts.prerelease, promote=opts.promote
    )
    result.analysis = analysis
    result.versions = dict(analysis.versions)
    result.previous = {n: analysis.decisions[n].current for n in result.versions}
    if not result.versions and not opts.force:
        notice("nothing to release: no package has releasable commits since its last tag")
        return result
    dirty = git.status()
    if dirty:
        notice(f"{len(dirty)} uncommitted change(s) are not part of the release (it is made from HEAD)")
    release = _compose(ws, git, analysis, github)
    if opts.dry_run:
        _dry_run(ws, github, release, opts, result)
        return result
    assert github is not None
    pushed = _push_release_branch(ws, git, release, opts, result)
    if not pushed:
        result.actions.append(f"{cfg.release_branch} on {cfg.remote} already has this release commit")
    outcome = open_or_update_pull(github, cfg, release.title, release.body)
    result.status, result.pr, result.pr_url = outcome.status, outcome.number, outcome.url
    result.actions += outcome.actions
    if pushed and result.status == "unchanged":
        result.status = "updated"  # the branch moved even though the PR text did not
    return result


def _compose(ws: Workspace, git: GitBackend, analysis: Analysis, github: ForgeBackend | None) -> _Release:
    """The notes, manifest and PR text of the versions ``analysis`` decided."""
    versions = analysis.versions
    sections = notes.sections(ws, analysis, git, changelog.Links(github.html_url if github else ""))
    head = git.head()
    top = git.toplevel()
    entries = tuple(
        ManifestEntry(
            name=n,
            version=v,
            previous=analysis.decisions[n].current,
            tag=format_tag(ws.config, n, v),
            path=repo_relative(top, ws.by_name[n].path),
        )
        for n, v in sorted(versions.items())
    )
    highest = max(versions.values(), key=Version) if versions else None
    manifest = Manifest(entries, head, umbrella_tag(ws.config, highest) if highest else None)
    title = release_title(versions)
    return _Release(
        versions=versions,
        sections=sections,
        head=head,
        title=title,
        body=pr_body(analysis, sections, manifest),
        message=commit_message(title, manifest),
    )


def _dry_run(
    ws: Workspace, github: ForgeBackend | None, release: _Release, opts: PrepareOptions, result: PrepareResult
) -> None:
    """What prepare would write, push and open, without doing any of it."""
    cfg = ws.config.workflow
    result.status = "dry-run"
    for edit in version_edits(ws, release.versions, tagging=True):
        result.actions.append(f"would change {ws.relative(edit.path)}:")
        result.actions.extend(f"  {note}" for note in edit.notes)
    for path in notes.changelog_edits(ws, release.sections, release.versions):
        result.actions.append(f"would add a section to {ws.relative(path)}")
    if opts.lock and (ws.root / "uv.lock").exists():
        result.actions.append("would refresh uv.lock")
    result.actions.append(
        f"would commit {release.title!r} on {cfg.release_branch} (from {release.head[:7]}) and push it to {cfg.remote}"
    )
    existing = github.open_pull(cfg.release_branch, cfg.base_branch) if github is not None else None
    if github is None:
        result.actions.append("would open the release PR (no GitHub repository is configured)")
    elif existing:
        result.pr, result.pr_url = int(existing["number"]), str(existing["html_url"])
        result.actions.append(f"would update PR #{existing['number']} ({len(release.body)} characters)")
    else:
        result.actions.append(f"would open a PR {cfg.release_branch} -> {cfg.base_branch} labelled {PENDING.name!r}")


def _push_release_branch(
    ws: Workspace, git: GitBackend, release: _Release, opts: PrepareOptions, result: PrepareResult
) -> bool:
    """Build the release commit in the prepare worktree and push it; False if the remote had it."""
    state = ensure_state_dir(ws.state_dir)
    with StateLock(state, "prepare"):
        tree = state / "worktrees" / "prepare"
        if tree.exists():
            git.worktree_remove(tree)
        tree.parent.mkdir(parents=True, exist_ok=True)
        git.worktree_add(tree, release.head)
        try:
            return _commit_and_push(ws, git, tree, release, opts, result)
        finally:
            git.worktree_remove(tree)


def _commit_and_push(
    ws: Workspace, git: GitBackend, tree: Path, release: _Release, opts: PrepareOptions, result: PrepareResult
) -> bool:
    cfg = ws.config.workflow
    ws_rel = repo_relative(git.toplevel(), ws.root)
    tree_ws = load_workspace(tree / ws_rel if ws_rel else tree)
    edits = version_edits(tree_ws, release.versions, tagging=True)
    after = None
    if opts.lock and (tree_ws.root / "uv.lock").exists():
        uv = uv_backend()

        def after() -> None:
            uv.lock(tree_ws.root)

    apply_edits(tree_ws, edits, command="prepare", after=after)
    # Reported only when pushed: a rerun that finds the same commit on the remote changed nothing.
    written = [f"changed {tree_ws.relative(e.path)}: " + "; ".join(e.notes) for e in edits]
    for path, text in notes.changelog_edits(tree_ws, release.sections, release.versions).items():
        atomic_write(path, text.encode("utf-8"))
        written.append(f"added a section to {tree_ws.relative(path)}")
    tree_git = git_backend(tree)
    tree_git.add_all()
    tree_git.run("commit", "-q", "--allow-empty", "-m", release.message, env=tree_git.identity_env())
    branch_ref = f"refs/heads/{cfg.release_branch}"
    if git.ls_remote(cfg.remote, branch_ref).get(branch_ref):
        tree_git.fetch(cfg.remote, branch_ref)
        same_tree = tree_git.tree_of("FETCH_HEAD") == tree_git.tree_of("HEAD")
        same_parent = tree_git.rev_parse("FETCH_HEAD^") == tree_git.rev_parse("HEAD^")
        if same_tree and same_parent:
            return False
    tree_git.push(cfg.remote, [f"HEAD:{branch_ref}"], overwrite=True)
    result.actions += [*written, f"pushed {cfg.release_branch} to {cfg.remote}"]
    return True
