"""releasekit as a library: typed entry points that the CLI's commands call and then render."""

from __future__ import annotations

# --- the release workflow: prepare -> (merge) -> release -> publish -> notify -------------
# Each step is idempotent: a rerun completes what a failed run left undone and otherwise
# changes nothing. ``publish`` ends by calling releasekit.forge.mark_published.
from releasekit.backends.github import GitHub
from releasekit.context import Notice, stderr_notice
from releasekit.errors import UsageError
from releasekit.forge import github_from_env
from releasekit.notify import IndexView, NotifyOptions, NotifyResult
from releasekit.notify import notify as _notify
from releasekit.prepare import PrepareOptions, PrepareResult
from releasekit.prepare import prepare as _prepare
from releasekit.release import ReleaseOptions, ReleaseResult
from releasekit.release import release as _release
from releasekit.selection import Selection
from releasekit.settings import resolve
from releasekit.workspace import Workspace

__all__ = [  # the workflow's part of the API
    "NotifyOptions",
    "NotifyResult",
    "PrepareOptions",
    "PrepareResult",
    "ReleaseOptions",
    "ReleaseResult",
    "notify",
    "prepare",
    "release",
]


def _github(ws: Workspace, max_retries: int | None, notice: Notice) -> GitHub | None:
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
