"""The release workflow's GitHub side: the client from the environment, the release PR, its
labels, the GitHub releases, and the ``published`` mark the publish step leaves.

The ``autorelease:`` label is the release PR's state: ``pending`` until ``release`` tags it,
``tagged`` once tags and GitHub releases exist, ``published`` once every package is on the
index. Every step reads it to find its PR and sets it last, so a rerun finds what is left.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from releasekit.backends.git import git_backend
from releasekit.backends.github import (
    PENDING,
    PUBLISHED,
    TAGGED,
    Label,
    forge_backend,
    repo_from_remote,
    token_from_env,
)
from releasekit.backends.github_http import DEFAULT_API_URL, valid_repo
from releasekit.backends.protocols import ForgeBackend, GitBackend
from releasekit.errors import ReleasekitError, UsageError, WorkflowError
from releasekit.model.config import WorkflowConfig
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.workspace import Workspace
from releasekit.workflow import notes
from releasekit.workflow.release_manifest import Manifest

Pull = Mapping[str, Any]


def github_from_env(
    ws: Workspace,
    git: GitBackend | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    notice: Notice = stderr_notice,
    max_retries: int | None = None,
) -> ForgeBackend | None:
    """The GitHub client for this workspace, or None when no repository is known.

    Repository: ``workflow.github_repository``, else ``$GITHUB_REPOSITORY``, else the
    remote's URL. API base: ``$GITHUB_API_URL`` (default https://api.github.com). Token:
    ``$RELEASEKIT_GITHUB_TOKEN``, ``$GITHUB_TOKEN`` or ``$GH_TOKEN``. Retries: ``max_retries``
    (``--max-retries``), else the config's.
    """
    env = os.environ if environ is None else environ
    cfg = ws.config.workflow
    repo = cfg.github_repository or env.get("GITHUB_REPOSITORY", "")
    if not repo:
        git = git or git_backend(ws.root)
        repo = repo_from_remote(git.remote_url(cfg.remote) if git.is_repo() else None) or ""
    if not repo:
        return None
    if not valid_repo(repo):
        raise UsageError(
            f"GitHub repository {repo!r} is not owner/name",
            code="RK721",
            hint="fix [tool.releasekit.workflow] github_repository or GITHUB_REPOSITORY",
        )

    def on_retry(attempt: int, delay: float, exc: BaseException) -> None:
        what = exc.message if isinstance(exc, ReleasekitError) else str(exc)
        notice(f"{what}; retry {attempt} in {delay:.1f} s")

    return forge_backend(
        repo,
        token=token_from_env(env),
        api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
        max_retries=ws.config.max_retries if max_retries is None else max_retries,
        base_delay=ws.config.retry_base_delay,
        on_retry=on_retry,
    )


def require_github(
    github: ForgeBackend | None,
    why: str,
    *,
    hint: str = "set [tool.releasekit.workflow] github_repository or GITHUB_REPOSITORY",
) -> ForgeBackend:
    """``github``, or the usage error for a workflow step that needs a repository."""
    if github is None:
        raise UsageError(f"no GitHub repository is known, so {why}", code="RK703", hint=hint)
    return github


# --- the release PR ----------------------------------------------------------------------


def has_label(pull: Pull, label: Label) -> bool:
    return any(isinstance(lb, dict) and lb.get("name") == label.name for lb in pull.get("labels", []))


def merged_pulls(github: ForgeBackend, cfg: WorkflowConfig) -> list[dict[str, Any]]:
    """Merged release PRs, oldest merge first."""
    return github.merged_pulls(cfg.release_branch, cfg.base_branch)


def labelled(pulls: list[dict[str, Any]], *labels: Label) -> list[dict[str, Any]]:
    """The pulls carrying any of ``labels``, in their order."""
    return [p for p in pulls if any(has_label(p, label) for label in labels)]


@dataclass
class PullOutcome:
    """What opening or updating the release PR did."""

    status: str  # opened | updated | unchanged
    number: int
    url: str
    actions: list[str] = field(default_factory=list)


def open_or_update_pull(github: ForgeBackend, cfg: WorkflowConfig, title: str, body: str) -> PullOutcome:
    """The one open release PR with this title and body, labelled ``pending``."""
    pull = github.open_pull(cfg.release_branch, cfg.base_branch)
    if pull is None:
        pull = github.create_pull(title=title, body=body, head=cfg.release_branch, base=cfg.base_branch)
        status, action = "opened", f"opened PR #{pull['number']}: {title}"
    elif pull.get("title") != title or (pull.get("body") or "") != body:
        pull = github.update_pull(int(pull["number"]), title=title, body=body)
        status, action = "updated", f"updated PR #{pull['number']}: {title}"
    else:
        status, action = "unchanged", f"PR #{pull['number']} is up to date"
    outcome = PullOutcome(status, int(pull["number"]), str(pull["html_url"]), [action])
    if not has_label(pull, PENDING):
        github.ensure_label(PENDING)
        github.add_labels(outcome.number, [PENDING.name])
        outcome.actions.append(f"labelled PR #{outcome.number} {PENDING.name!r}")
    return outcome


# --- releases and labels -----------------------------------------------------------------


def create_releases(
    github: ForgeBackend, git: GitBackend, ws: Workspace, manifest: Manifest, sha: str, *, dry_run: bool
) -> list[str]:
    """A GitHub release per manifest entry that has none yet; the actions taken (or planned)."""
    actions: list[str] = []
    for entry in manifest.packages:
        if github.release_by_tag(entry.tag) is not None:
            continue
        if dry_run:
            kind = "prerelease" if entry.prerelease else "release"
            actions.append(f"would create the GitHub {kind} {entry.tag}")
            continue
        created = github.create_release(
            tag=entry.tag,
            name=f"{entry.name} {entry.version}",
            body=notes.github_release_body(git, ws, sha, entry),
            prerelease=entry.prerelease,
            target=sha,
        )
        actions.append(f"created the GitHub release {entry.tag}: {created.get('html_url', '')}")
    return actions


def mark_tagged(github: ForgeBackend, pull: Pull, *, dry_run: bool) -> list[str]:
    """Relabel a pending release PR ``tagged``; the action taken (or planned), if any."""
    number = int(pull["number"])
    if not has_label(pull, PENDING):
        return []
    if dry_run:
        return [f"would relabel PR #{number} {PENDING.name!r} -> {TAGGED.name!r}"]
    github.relabel(number, PENDING, TAGGED)
    return [f"relabelled PR #{number} {TAGGED.name!r}"]


def mark_published(
    ws: Workspace,
    versions: Mapping[str, str],
    *,
    github: ForgeBackend | None = None,
    notice: Notice = stderr_notice,
) -> int | None:
    """Label the release PR of ``versions`` ``autorelease: published``; returns its number.

    ``publish`` calls this after a successful run with every package that is live on the
    index at its planned version (uploaded now or found there). The PR whose manifest is
    entirely contained in ``versions`` is relabelled ``tagged`` -> ``published``. Without a
    GitHub repository or token it does nothing but say so; GitHub errors raise
    :class:`releasekit.errors.GitHubError` (rerunning publish retries the label).
    """
    gh = github if github is not None else github_from_env(ws, notice=notice)
    if gh is None or not gh.token:
        notice("no GitHub repository or token configured: not labelling the release PR published")
        return None
    for pull in reversed(labelled(merged_pulls(gh, ws.config.workflow), TAGGED, PUBLISHED)):
        try:
            manifest = Manifest.parse(pull.get("body"), f"PR #{pull['number']}")
        except WorkflowError:
            continue
        if not manifest.packages or any(versions.get(e.name) != e.version for e in manifest.packages):
            continue
        if not has_label(pull, PUBLISHED):
            gh.relabel(int(pull["number"]), TAGGED, PUBLISHED)
            notice(f"labelled release PR #{pull['number']} {PUBLISHED.name!r}")
        return int(pull["number"])
    notice("no tagged release PR matches the published versions: no label changed")
    return None
