"""The release workflow around publish: prepare -> (merge) -> release -> publish -> notify.

* :func:`prepare` computes versions from commits, writes them (with dependents' specifiers,
  ``uv.lock`` and changelogs) in a throwaway git worktree, commits that on the release branch,
  pushes it and opens or updates the release PR, whose body embeds the release manifest.
* :func:`release` finds the merged release PR, tags its merge commit once per package and
  creates the GitHub releases, then labels the PR ``autorelease: tagged``.
* :func:`mark_published` is called by ``publish`` at the end of a successful run and labels
  the PR ``autorelease: published``.
* :func:`releasekit.notify.notify` sends ``repository_dispatch`` to the downstream
  repositories, announcing what is on the index.

Each step is idempotent: a rerun completes what a failed run left undone (a tag without a
release, a release without a label) and otherwise changes nothing. The user's checkout is
never modified; ``prepare`` works in ``<state_dir>/worktrees/prepare``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from releasekit import changelog, notes
from releasekit.backends.git import Git
from releasekit.backends.github import (
    DEFAULT_API_URL,
    MAX_BODY,
    PENDING,
    PUBLISHED,
    TAGGED,
    GitHub,
    repo_from_remote,
    token_from_env,
    valid_repo,
)
from releasekit.bumping import apply_edits, version_edits
from releasekit.commits import Analysis, analyze, require_history
from releasekit.context import stderr_notice
from releasekit.errors import ConfigError, ReleasekitError, UsageError, WorkflowError
from releasekit.fsutil import atomic_write
from releasekit.release_manifest import Manifest, ManifestEntry, tag_message
from releasekit.selection import Selection
from releasekit.state import StateLock, ensure_state_dir
from releasekit.tags import format_tag, umbrella_tag
from releasekit.versionsource import version_in_text, version_source
from releasekit.workspace import Workspace, load_workspace

Notice = Callable[[str], None]
TITLE_PREFIX = "chore(release):"


# --- settings and clients ----------------------------------------------------------------


def _environ() -> Mapping[str, str]:
    import os

    return os.environ


def github_from_env(
    ws: Workspace,
    git: Git | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    notice: Notice = stderr_notice,
    max_retries: int | None = None,
) -> GitHub | None:
    """The GitHub client for this workspace, or None when no repository is known.

    Repository: ``workflow.github_repository``, else ``$GITHUB_REPOSITORY``, else the
    remote's URL. API base: ``$GITHUB_API_URL`` (default https://api.github.com). Token:
    ``$RELEASEKIT_GITHUB_TOKEN``, ``$GITHUB_TOKEN`` or ``$GH_TOKEN``. Retries: ``max_retries``
    (``--max-retries``), else the config's.
    """
    env = _environ() if environ is None else environ
    cfg = ws.config.workflow
    repo = cfg.github_repository or env.get("GITHUB_REPOSITORY", "")
    if not repo:
        git = git or Git(ws.root)
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

    return GitHub(
        repo,
        token=token_from_env(env),
        api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
        max_retries=ws.config.max_retries if max_retries is None else max_retries,
        base_delay=ws.config.retry_base_delay,
        on_retry=on_retry,
    )


def check_config(ws: Workspace) -> None:
    """``[tool.releasekit.workflow]`` values that parse but cannot work, with the line to fix."""
    from releasekit.tomlio import line_of_key

    cfg = ws.config.workflow
    text = ws.manifest.read_text(encoding="utf-8")

    def fail(key: str, message: str, hint: str) -> ConfigError:
        return ConfigError(
            f"[tool.releasekit.workflow] {message}",
            path=ws.manifest,
            line=line_of_key(text, key),
            code="RK702",
            hint=hint,
        )

    if not cfg.release_branch or cfg.release_branch == cfg.base_branch:
        raise fail(
            "release_branch",
            f"`release_branch` {cfg.release_branch!r} must differ from "
            f"`base_branch` {cfg.base_branch!r}",
            "releasekit rewrites the release branch on every prepare; give it its own name",
        )
    if not cfg.base_branch or not cfg.remote:
        raise fail(
            "base_branch",
            "`base_branch` and `remote` must not be empty",
            'e.g. base_branch = "main"',
        )
    log = Path(cfg.changelog_file)
    if not cfg.changelog_file or log.is_absolute() or ".." in log.parts:
        raise fail(
            "changelog_file",
            f"`changelog_file` {cfg.changelog_file!r} must be a relative path inside each package",
            'e.g. changelog_file = "CHANGELOG.md"',
        )
    for repo in (cfg.github_repository, *cfg.downstream_repositories):
        if repo and not valid_repo(repo):
            key = (
                "github_repository" if repo == cfg.github_repository else "downstream_repositories"
            )
            raise fail(key, f"{repo!r} is not a GitHub repository name", "write it as owner/name")
    if not 0 < len(cfg.dispatch_event_type) <= 100:
        raise fail(
            "dispatch_event_type",
            "`dispatch_event_type` must be 1 to 100 characters (GitHub's limit)",
            'e.g. dispatch_event_type = "releasekit-release"',
        )


def _top_relative(git: Git, path: Path) -> str:
    rel = path.resolve().relative_to(git.toplevel().resolve()).as_posix()
    return "" if rel == "." else rel


# --- the PR body -------------------------------------------------------------------------


def release_title(versions: Mapping[str, str]) -> str:
    """``chore(release): a 1.2.0, b 0.3.1``, or a count when that would be too long."""
    if not versions:
        return f"{TITLE_PREFIX} release"
    listed = f"{TITLE_PREFIX} " + ", ".join(f"{n} {v}" for n, v in sorted(versions.items()))
    if len(listed) <= 120:
        return listed
    return f"{TITLE_PREFIX} {len(versions)} packages"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def pr_body(
    analysis: Analysis | None,
    sections: Mapping[str, str],
    manifest: Manifest,
    *,
    limit: int = MAX_BODY,
) -> str:
    """The human part (table, notes) then the manifest; only the human part is cut to fit."""
    lines = [
        ":robot: This release PR is maintained by releasekit. Merging it tags the merge commit "
        "once per package and creates the GitHub releases; `releasekit publish` then uploads "
        "the packages.",
        "",
    ]
    if manifest.packages:
        lines += ["| package | current | next | why |", "|---|---|---|---|"]
        for entry in manifest.packages:
            why = (
                analysis.decisions[entry.name].reason
                if analysis and entry.name in analysis.decisions
                else ""
            )
            lines.append(
                f"| {entry.name} | {entry.previous} | **{entry.version}** | {_cell(why)} |"
            )
        lines.append("")
    else:
        lines += ["No package changes a version in this release PR (opened with `--force`).", ""]
    for entry in manifest.packages:
        if entry.name in sections:
            lines += [
                f"<details><summary>{entry.name} {entry.version}</summary>",
                "",
                sections[entry.name].rstrip(),
                "",
                "</details>",
                "",
            ]
    human = "\n".join(lines)
    tail = manifest.block()
    if len(human) + 1 + len(tail) > limit:
        tail = manifest.block(compact=True)
    room = limit - len(tail) - 1
    if room < 200:
        raise WorkflowError(
            f"the release manifest alone is {len(tail)} characters, "
            f"over GitHub's {limit}-character PR body limit",
            code="RK705",
            hint="release fewer packages at once (--group or --package)",
        )
    if len(human) > room:
        human = _truncate(human, room)
    return human + "\n" + tail


def _truncate(text: str, room: int) -> str:
    note = (
        "\n\n*(truncated to fit GitHub's limit: "
        "the full notes are in the CHANGELOG.md files of this PR)*\n"
    )
    closers = "\n```\n\n</details>\n" * 1
    cut = text[: max(0, room - len(note) - len(closers) * 4)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    if sum(1 for line in cut.splitlines() if line.startswith("```")) % 2:
        cut += "\n```"
    opened = cut.count("<details>") - cut.count("</details>")
    cut += "\n\n</details>" * max(0, opened)
    return cut + note


# --- prepare -----------------------------------------------------------------------------


@dataclass
class PrepareResult:
    status: str  # nothing | blocked | dry-run | opened | updated | unchanged
    versions: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)
    branch: str = ""
    pr: int | None = None
    pr_url: str | None = None
    actions: list[str] = field(default_factory=list)
    analysis: Analysis | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "prepare",
            "status": self.status,
            "versions": self.versions,
            "previous": self.previous,
            "branch": self.branch,
            "pr": self.pr,
            "pr_url": self.pr_url,
            "actions": self.actions,
        }


def prepare(
    ws: Workspace,
    *,
    github: GitHub | None,
    selection: Selection | None = None,
    bump_type: str = "auto",
    prerelease: str | None = None,
    promote: bool = False,
    force: bool = False,
    dry_run: bool = False,
    lock: bool = True,
    notice: Notice = stderr_notice,
) -> PrepareResult:
    """Open or update the release PR for the changes since each package's last tag."""
    from releasekit.backends.uv import Uv

    cfg = ws.config.workflow
    check_config(ws)
    git = Git(ws.root)
    require_history(git)
    result = PrepareResult(status="nothing", branch=cfg.release_branch)
    if github is None and not dry_run:
        raise UsageError(
            "no GitHub repository is known, so the release PR cannot be opened",
            code="RK703",
            hint="set workflow.github_repository or GITHUB_REPOSITORY, or use --dry-run",
        )
    if github is not None and not dry_run:
        github.require_token("open the release PR")
    if github is not None and dry_run and not github.token:
        notice("no GitHub token: the dry run does not look at existing pull requests")
        github = None
    if github is not None:
        waiting = [
            p
            for p in github.merged_pulls(cfg.release_branch, cfg.base_branch)
            if has_label(p, PENDING.name)
        ]
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
        ws,
        git,
        selection or Selection(),
        bump_type=bump_type,
        prerelease=prerelease,
        promote=promote,
    )
    result.analysis = analysis
    versions = analysis.versions
    result.versions = dict(versions)
    result.previous = {n: analysis.decisions[n].current for n in versions}
    if not versions and not force:
        notice("nothing to release: no package has releasable commits since its last tag")
        return result
    dirty = git.status()
    if dirty:
        notice(
            f"{len(dirty)} uncommitted change(s) are not part of the release (it is made from HEAD)"
        )

    links = changelog.Links(github.html_url if github else "")
    sections = notes.sections(ws, analysis, git, links)
    head = git.head()
    ws_rel = _top_relative(git, ws.root)
    entries = tuple(
        ManifestEntry(
            name=n,
            version=v,
            previous=analysis.decisions[n].current,
            tag=format_tag(ws.config, n, v),
            path=_top_relative(git, ws.by_name[n].path),
        )
        for n, v in sorted(versions.items())
    )
    highest = max(versions.values(), key=Version) if versions else None
    manifest = Manifest(entries, head, umbrella_tag(ws.config, highest) if highest else None)
    title = release_title(versions)
    body = pr_body(analysis, sections, manifest)
    message = (
        title
        + "\n\n"
        + "\n".join(f"{e.name}: {e.previous} -> {e.version}" for e in entries)
        + ("\n" if entries else "")
    )

    if dry_run:
        result.status = "dry-run"
        for edit in version_edits(ws, versions, tagging=True):
            result.actions.append(f"would change {ws.relative(edit.path)}:")
            result.actions.extend(f"  {note}" for note in edit.notes)
        for path in notes.changelog_edits(ws, sections, versions):
            result.actions.append(f"would add a section to {ws.relative(path)}")
        if lock and (ws.root / "uv.lock").exists():
            result.actions.append("would refresh uv.lock")
        result.actions.append(
            f"would commit {title!r} on {cfg.release_branch} (from {head[:7]}) "
            f"and push it to {cfg.remote}"
        )
        if github is None:
            result.actions.append("would open the release PR (no GitHub repository is configured)")
        else:
            existing = github.open_pull(cfg.release_branch, cfg.base_branch)
            if existing:
                result.pr, result.pr_url = int(existing["number"]), str(existing["html_url"])
                result.actions.append(
                    f"would update PR #{existing['number']} ({len(body)} characters)"
                )
            else:
                result.actions.append(
                    f"would open a PR {cfg.release_branch} -> {cfg.base_branch} "
                    f"labelled {PENDING.name!r}"
                )
        return result

    assert github is not None
    state = ensure_state_dir(ws.state_dir)
    with StateLock(state, "prepare"):
        tree = state / "worktrees" / "prepare"
        if tree.exists():
            git.worktree_remove(tree)
        tree.parent.mkdir(parents=True, exist_ok=True)
        git.worktree_add(tree, head)
        try:
            pushed = _build_release_branch(
                ws,
                git,
                tree,
                ws_rel=ws_rel,
                versions=versions,
                sections=sections,
                message=message,
                lock=lock,
                uv_class=Uv,
                result=result,
            )
        finally:
            git.worktree_remove(tree)
    if not pushed:
        result.actions.append(
            f"{cfg.release_branch} on {cfg.remote} already has this release commit"
        )
    _open_or_update_pr(github, ws, title, body, result)
    if pushed and result.status == "unchanged":
        result.status = "updated"  # the branch moved even though the PR text did not
    return result


def _build_release_branch(
    ws: Workspace,
    git: Git,
    tree: Path,
    *,
    ws_rel: str,
    versions: Mapping[str, str],
    sections: Mapping[str, str],
    message: str,
    lock: bool,
    uv_class: Any,
    result: PrepareResult,
) -> bool:
    """Write, commit and push the release in the worktree; False if the remote already had it."""
    cfg = ws.config.workflow
    tree_ws = load_workspace(tree / ws_rel if ws_rel else tree)
    edits = version_edits(tree_ws, versions, tagging=True)
    lock_file = tree_ws.root / "uv.lock"
    after = None
    if lock and lock_file.exists():
        uv = uv_class()

        def after() -> None:
            uv.lock(tree_ws.root)

    apply_edits(tree_ws, edits, command="prepare", after=after)
    # Reported only when pushed: a rerun that finds the same commit on the remote changed nothing.
    written = [f"changed {tree_ws.relative(e.path)}: " + "; ".join(e.notes) for e in edits]
    for path, text in notes.changelog_edits(tree_ws, sections, versions).items():
        atomic_write(path, text.encode("utf-8"))
        written.append(f"added a section to {tree_ws.relative(path)}")
    tree_git = Git(tree)
    tree_git.add_all()
    tree_git.run("commit", "-q", "--allow-empty", "-m", message, env=tree_git.identity_env())
    branch_ref = f"refs/heads/{cfg.release_branch}"
    remote_sha = git.ls_remote(cfg.remote, branch_ref).get(branch_ref)
    if remote_sha:
        tree_git.fetch(cfg.remote, branch_ref)
        same_tree = tree_git.tree_of("FETCH_HEAD") == tree_git.tree_of("HEAD")
        same_parent = tree_git.rev_parse("FETCH_HEAD^") == tree_git.rev_parse("HEAD^")
        if same_tree and same_parent:
            return False
    tree_git.push(cfg.remote, [f"HEAD:{branch_ref}"], overwrite=True)
    result.actions += [*written, f"pushed {cfg.release_branch} to {cfg.remote}"]
    return True


def has_label(pull: Mapping[str, Any], name: str) -> bool:
    return any(isinstance(lb, dict) and lb.get("name") == name for lb in pull.get("labels", []))


def _open_or_update_pr(
    github: GitHub, ws: Workspace, title: str, body: str, result: PrepareResult
) -> None:
    cfg = ws.config.workflow
    pull = github.open_pull(cfg.release_branch, cfg.base_branch)
    if pull is None:
        pull = github.create_pull(
            title=title, body=body, head=cfg.release_branch, base=cfg.base_branch
        )
        result.status = "opened"
        result.actions.append(f"opened PR #{pull['number']}: {title}")
    elif pull.get("title") != title or (pull.get("body") or "") != body:
        pull = github.update_pull(int(pull["number"]), title=title, body=body)
        result.status = "updated"
        result.actions.append(f"updated PR #{pull['number']}: {title}")
    else:
        result.status = "unchanged"
        result.actions.append(f"PR #{pull['number']} is up to date")
    result.pr, result.pr_url = int(pull["number"]), str(pull["html_url"])
    if not has_label(pull, PENDING.name):
        github.ensure_label(PENDING)
        github.add_labels(int(pull["number"]), [PENDING.name])
        result.actions.append(f"labelled PR #{pull['number']} {PENDING.name!r}")


# --- release -----------------------------------------------------------------------------


@dataclass
class ReleaseResult:
    status: str  # nothing | dry-run | released | complete
    pr: int | None = None
    sha: str | None = None
    released: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "release",
            "status": self.status,
            "pr": self.pr,
            "sha": self.sha,
            "released": self.released,
            "tags": self.tags,
            "actions": self.actions,
        }


def _release_pulls(github: GitHub, ws: Workspace, pr_number: int | None) -> list[dict[str, Any]]:
    cfg = ws.config.workflow
    if pr_number is not None:
        pull = github.get_pull(pr_number)
        if not pull.get("merged_at"):
            raise WorkflowError(
                f"PR #{pr_number} is not merged", code="RK706", hint="merge the release PR first"
            )
        return [pull]
    merged = github.merged_pulls(cfg.release_branch, cfg.base_branch)
    pending = [p for p in merged if has_label(p, PENDING.name)]
    if pending:
        return pending
    done = [p for p in merged if has_label(p, TAGGED.name) or has_label(p, PUBLISHED.name)]
    return done[-1:]


def _version_at(git: Git, sha: str, entry: ManifestEntry, ws: Workspace) -> str | None:
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


def release(
    ws: Workspace,
    *,
    github: GitHub | None,
    dry_run: bool = False,
    pr_number: int | None = None,
    notice: Notice = stderr_notice,
) -> ReleaseResult:
    """Tag the merged release PR's merge commit per package and create the GitHub releases."""
    if github is None:
        raise UsageError(
            "no GitHub repository is known, so the merged release PR cannot be found",
            code="RK703",
            hint="set [tool.releasekit.workflow] github_repository or GITHUB_REPOSITORY",
        )
    if not dry_run:
        github.require_token("tag and create GitHub releases")
    check_config(ws)
    git = Git(ws.root)
    pulls = _release_pulls(github, ws, pr_number)
    if not pulls:
        notice("no merged release PR: nothing to release")
        return ReleaseResult(status="nothing")
    result = ReleaseResult(status="dry-run" if dry_run else "complete")
    for pull in pulls:
        _release_one(ws, git, github, pull=pull, dry_run=dry_run, result=result, notice=notice)
    return result


def _release_one(
    ws: Workspace,
    git: Git,
    github: GitHub,
    *,
    pull: Mapping[str, Any],
    dry_run: bool,
    result: ReleaseResult,
    notice: Notice,
) -> None:
    cfg = ws.config.workflow
    number = int(pull["number"])
    where = f"release PR #{number}"
    manifest = Manifest.parse(pull.get("body"), where)
    sha = str(pull.get("merge_commit_sha") or "")
    if not sha:
        raise WorkflowError(f"{where} has no merge commit", code="RK706", hint="merge the PR first")
    if git.rev_parse(sha) is None:
        git.fetch(cfg.remote, cfg.base_branch)
        if git.rev_parse(sha) is None:
            raise WorkflowError(
                f"the merge commit {sha[:12]} of {where} is not in the local history",
                code="RK707",
                hint=f"fetch it: git fetch {cfg.remote} {cfg.base_branch} "
                "(actions/checkout with fetch-depth: 0)",
            )
    result.pr, result.sha = number, sha
    for entry in manifest.packages:
        found = _version_at(git, sha, entry, ws)
        if found is None or Version(found) != Version(entry.version):
            raise WorkflowError(
                f"{where} says {entry.name} {entry.version}, "
                f"but {entry.path or '.'}/pyproject.toml at "
                f"{sha[:12]} has {found or 'no static version'}",
                code="RK708",
                hint="the release branch was edited by hand; "
                "rerun `releasekit prepare` and merge again",
            )
        result.released[entry.name] = entry.version
    wanted = [(e.tag, tag_message(e, number)) for e in manifest.packages]
    if manifest.umbrella_tag:
        wanted.append((manifest.umbrella_tag, f"release {manifest.umbrella_tag}"))
    remote = {
        ref[len("refs/tags/") :]: target
        for ref, target in git.ls_remote(cfg.remote, "refs/tags/*").items()
        if ref.startswith("refs/tags/")
    }
    to_push: list[str] = []
    for tag, text in wanted:
        local = git.rev_parse(f"refs/tags/{tag}")
        there = remote.get(tag)
        for place, target in (("locally", local), (f"on {cfg.remote}", there)):
            if target is not None and target != sha:
                if tag == manifest.umbrella_tag:
                    notice(
                        f"umbrella tag {tag} already exists {place} on {target[:12]}; leaving it"
                    )
                    break
                raise WorkflowError(
                    f"tag {tag} already exists {place} on {target[:12]}, "
                    f"not on the merge commit {sha[:12]}",
                    code="RK709",
                    hint="a tag never moves; delete it if it is wrong, or release a new version",
                )
        else:
            result.tags.append(tag)
            if local is None and there is None:
                if dry_run:
                    result.actions.append(f"would tag {sha[:12]} as {tag}")
                else:
                    git.tag(tag, sha, message=text)
                    result.actions.append(f"tagged {sha[:12]} as {tag}")
            if there is None:
                to_push.append(tag)
    if to_push:
        if dry_run:
            result.actions.append(
                f"would push {len(to_push)} tag(s) to {cfg.remote}: {', '.join(to_push)}"
            )
        else:
            git.push(cfg.remote, [f"refs/tags/{t}" for t in to_push], atomic=True)
            result.actions.append(f"pushed {len(to_push)} tag(s) to {cfg.remote}")
    for entry in manifest.packages:
        if github.release_by_tag(entry.tag) is not None:
            continue
        if dry_run:
            kind = "prerelease" if entry.prerelease else "release"
            result.actions.append(f"would create the GitHub {kind} {entry.tag}")
            continue
        created = github.create_release(
            tag=entry.tag,
            name=f"{entry.name} {entry.version}",
            body=notes.github_release_body(git, ws, sha, entry),
            prerelease=entry.prerelease,
            target=sha,
        )
        result.actions.append(
            f"created the GitHub release {entry.tag}: {created.get('html_url', '')}"
        )
    if has_label(pull, PENDING.name):
        if dry_run:
            result.actions.append(f"would relabel PR #{number} {PENDING.name!r} -> {TAGGED.name!r}")
        else:
            github.relabel(number, PENDING, TAGGED)
            result.actions.append(f"relabelled PR #{number} {TAGGED.name!r}")
    if result.actions and not dry_run:
        result.status = "released"


# --- publish hook ------------------------------------------------------------------------


def mark_published(
    ws: Workspace,
    versions: Mapping[str, str],
    *,
    github: GitHub | None = None,
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
    cfg = ws.config.workflow
    merged = gh.merged_pulls(cfg.release_branch, cfg.base_branch)
    for pull in reversed(merged):
        if not (has_label(pull, TAGGED.name) or has_label(pull, PUBLISHED.name)):
            continue
        try:
            manifest = Manifest.parse(pull.get("body"), f"PR #{pull['number']}")
        except WorkflowError:
            continue
        if not manifest.packages or any(
            versions.get(e.name) != e.version for e in manifest.packages
        ):
            continue
        if not has_label(pull, PUBLISHED.name):
            gh.relabel(int(pull["number"]), TAGGED, PUBLISHED)
            notice(f"labelled release PR #{pull['number']} {PUBLISHED.name!r}")
        return int(pull["number"])
    notice("no tagged release PR matches the published versions: no label changed")
    return None
