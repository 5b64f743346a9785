"""``notify``: tell downstream repositories about a release, announcing only what is live.

The latest tagged release PR names packages and versions; the index decides which of them
users can install (the released rule of :mod:`releasekit.workflow.released`). Only those are
announced, so a skipped or half-finished publish never sends a version nobody can install.
A marker comment on the PR records each repository told about the whole release, so a rerun
sends nothing again (``force`` resends); an announcement of part of a release is not
recorded, and the next run, once everything is live, announces the whole release.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from releasekit.backends.github import PUBLISHED, TAGGED
from releasekit.backends.protocols import ForgeBackend
from releasekit.backends.registry import index_backend
from releasekit.errors import WorkflowError
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.workspace import Workspace
from releasekit.workflow.config import check_config
from releasekit.workflow.forge import labelled, merged_pulls, require_github
from releasekit.workflow.release_manifest import Manifest
from releasekit.workflow.released import read_index
from releasekit.workflow.step_result import StepResult

_NOTIFIED = re.compile(r"<!-- releasekit:notified (?P<repos>[^>]*?) -->")


@dataclass(frozen=True)
class NotifyOptions:
    """Whom ``notify`` tells about which release (the ``notify`` command's flags)."""

    dry_run: bool = False
    force: bool = False  # tell repositories that were already told
    pr: int | None = None  # this release PR; None: the latest tagged one
    repositories: tuple[str, ...] = ()  # in addition to workflow.downstream_repositories
    target: str | None = None  # the index whose files say what is live; None: the config's
    check_url: str | None = None
    max_retries: int | None = None  # per GitHub and index request; None: the config's


@dataclass
class NotifyResult(StepResult):
    command: ClassVar[str] = "notify"

    status: str  # nothing | dry-run | sent | done
    pr: int | None = None
    packages: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexView:
    """Where notify looks for what is live, and how patiently."""

    check_url: str
    max_retries: int = 3
    base_delay: float = 1.0


def _latest_release(github: ForgeBackend, ws: Workspace, pr_number: int | None) -> dict[str, Any] | None:
    if pr_number is not None:
        return github.get_pull(pr_number)
    done = labelled(merged_pulls(github, ws.config.workflow), TAGGED, PUBLISHED)
    return done[-1] if done else None


def _live(manifest: Manifest, index: IndexView) -> tuple[dict[str, str], dict[str, str]]:
    """(on the index, not yet) among the manifest's versions."""
    reading = read_index(
        index_backend(index.check_url),
        [(e.name, e.version) for e in manifest.packages],
        max_retries=index.max_retries,
        base_delay=index.base_delay,
    )
    if reading.error:
        raise WorkflowError(
            f"cannot tell which versions are on {index.check_url}: {reading.error}",
            code="RK712",
            hint="notify announces only what users can install; rerun when the index answers "
            "(--target/--check-url choose the index)",
        )
    live = reading.names("released")
    return live, {n: v for n, v in manifest.versions.items() if n not in live}


def notify(
    ws: Workspace,
    options: NotifyOptions,
    *,
    github: ForgeBackend | None,
    index: IndexView,
    notice: Notice = stderr_notice,
) -> NotifyResult:
    """``repository_dispatch`` the live part of the latest release to each downstream repository.

    Delivery is at least once: a crash between the dispatch and the comment repeats that one
    dispatch.
    """
    check_config(ws)
    cfg = ws.config.workflow
    dry_run = options.dry_run
    targets = list(dict.fromkeys([*cfg.downstream_repositories, *options.repositories]))
    if not targets:
        notice("no downstream repositories configured (workflow.downstream_repositories)")
        return NotifyResult(status="nothing")
    github = require_github(github, "there is no release to announce")
    if not dry_run:
        github.require_token("send repository_dispatch")
    pull = _latest_release(github, ws, options.pr)
    if pull is None:
        notice("no released (tagged) release PR: nothing to announce")
        return NotifyResult(status="nothing")
    number = int(pull["number"])
    manifest = Manifest.parse(pull.get("body"), f"release PR #{number}")
    result = NotifyResult(status="dry-run" if dry_run else "done", pr=number)
    notified: set[str] = set()
    if not options.force:
        for comment in github.comments(number):
            for match in _NOTIFIED.finditer(str(comment.get("body") or "")):
                notified.update(match.group("repos").split())
    todo = [r for r in targets if r not in notified]
    for repo in targets:
        if repo in notified:
            result.skipped.append(repo)
            result.actions.append(f"{repo} was already notified of PR #{number}")
    if not todo:
        result.packages = manifest.versions
        return result
    live, pending = _live(manifest, index)
    result.packages, result.pending = live, pending
    if not live:
        notice(f"none of PR #{number}'s versions is on {index.check_url} yet: nothing to announce")
        result.status = "nothing"
        return result
    if pending:
        notice(
            "not on the index yet, so not announced: "
            + ", ".join(f"{n} {v}" for n, v in sorted(pending.items()))
            + " (a rerun announces the whole release once it is live)"
        )
    payload = {
        "source": github.repo,
        "pr": number,
        "sha": pull.get("merge_commit_sha"),
        "packages": live,
        "tags": [e.tag for e in manifest.packages if e.name in live],
    }
    result.payload = payload
    for repo in todo:
        if dry_run:
            result.actions.append(f"would send {cfg.dispatch_event_type!r} to {repo}: {json.dumps(payload)}")
            continue
        github.dispatch(repo, cfg.dispatch_event_type, payload)
        if not pending:
            github.comment(
                number,
                f"<!-- releasekit:notified {repo} -->\nreleasekit sent `{cfg.dispatch_event_type}` to {repo}.",
            )
        result.sent.append(repo)
        result.actions.append(f"sent {cfg.dispatch_event_type!r} to {repo}")
    if result.sent:
        result.status = "sent"
    return result
