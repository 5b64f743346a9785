"""The release workflow: prepare -> (merge) -> release -> publish -> notify.

Each step is idempotent: a rerun completes what a failed run left undone and otherwise changes
nothing. ``publish`` ends by calling :func:`label_release_pr`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from releasekit.backends.protocols import ForgeBackend
from releasekit.engine.settings import resolve
from releasekit.errors import UsageError
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.selection import Selection
from releasekit.model.workspace import Workspace
from releasekit.workflow.forge import github_from_env, mark_published
from releasekit.workflow.notify import IndexView, NotifyOptions, NotifyResult
from releasekit.workflow.notify import notify as _notify
from releasekit.workflow.prepare import PrepareOptions, PrepareResult
from releasekit.workflow.prepare import prepare as _prepare
from releasekit.workflow.release import ReleaseOptions, ReleaseResult
from releasekit.workflow.release import release as _release


def _github(ws: Workspace, max_retries: int | None, notice: Notice) -> ForgeBackend | None:
    if max_retries is not None and max_retries < 0:
        raise UsageError("--max-retries must be 0 or more", hint="e.g. --max-retries 3")
    return github_from_env(ws, max_retries=max_retries, notice=notice)


def prepare(
    ws: Workspace,
    selection: Selection | None = None,
    options: PrepareOptions | None = None,
    *,
    notice: Notice = stderr_notice,
) -> PrepareResult:
    """Open or update the release PR with the versions the commits since each last tag ask for."""
    opts = options or PrepareOptions()
    return _prepare(ws, selection, opts, github=_github(ws, opts.max_retries, notice), notice=notice)


def release(ws: Workspace, options: ReleaseOptions | None = None, *, notice: Notice = stderr_notice) -> ReleaseResult:
    """Tag the merged release PR's merge commit per package and create the GitHub releases."""
    opts = options or ReleaseOptions()
    return _release(ws, opts, github=_github(ws, opts.max_retries, notice), notice=notice)


def notify(ws: Workspace, options: NotifyOptions | None = None, *, notice: Notice = stderr_notice) -> NotifyResult:
    """Announce the live part of the latest release to the downstream repositories."""
    opts = options or NotifyOptions()
    settings = resolve(ws, target=opts.target, check_url=opts.check_url, max_retries=opts.max_retries)
    index = IndexView(settings.check_url, settings.max_retries, settings.retry_base_delay)
    return _notify(ws, opts, github=_github(ws, opts.max_retries, notice), index=index, notice=notice)


def label_release_pr(workspace: Workspace, versions: Mapping[str, str]) -> object:
    """On GitHub (a token in the environment): label the release PR of ``versions`` published."""
    if not any(os.environ.get(t) for t in ("RELEASEKIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")):
        return None
    return mark_published(workspace, versions)
