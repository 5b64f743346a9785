"""The typed library API: what the commands call, and what a program driving releasekit calls.

Each function takes a loaded workspace, a selection and one options value, and returns a
result value; rendering and exit codes stay with the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from releasekit.backends.github import GitHub
from releasekit.checks import CheckReport, run_checks
from releasekit.context import Notice, stderr_notice
from releasekit.errors import ReleasekitError, UsageError
from releasekit.forge import github_from_env
from releasekit.notify import IndexView, NotifyOptions, NotifyResult
from releasekit.notify import notify as _notify
from releasekit.plan import Plan, build_plan
from releasekit.preflight import NETWORK_GATES, PreflightReport, PreflightSettings, parse_gate_ids, run_preflight
from releasekit.prepare import PrepareOptions, PrepareResult
from releasekit.prepare import prepare as _prepare
from releasekit.release import ReleaseOptions, ReleaseResult
from releasekit.release import release as _release
from releasekit.scope import release_selection
from releasekit.selection import Selection
from releasekit.settings import resolve
from releasekit.state import StateLock
from releasekit.workspace import Workspace

__all__ = [
    "CheckOptions",
    "CheckReport",
    "NotifyOptions",
    "NotifyResult",
    "PreflightOptions",
    "PreflightReport",
    "PrepareOptions",
    "PrepareResult",
    "ReleaseOptions",
    "ReleaseResult",
    "check",
    "notify",
    "preflight",
    "prepare",
    "release",
]


# --- check and preflight ----------------------------------------------------------------------

@dataclass(frozen=True)
class CheckOptions:
    #: Check ids to leave out, on top of the config's ``checks.skip`` (``a,b`` counts as two).
    skip: tuple[str, ...] = ()
    #: Repair what can be repaired (under the workspace lock), then check again.
    fix: bool = False


def check(workspace: Workspace, selection: Selection | None = None,
          options: CheckOptions | None = None) -> CheckReport:
    """The health checks on the chosen members; an unknown check id is a usage error (RK151)."""
    options = options or CheckOptions()
    chosen = selection or Selection()
    if not options.fix:
        return run_checks(workspace, skip=options.skip, selection=chosen)
    # --fix deletes and creates files: never while a release runs on this workspace.
    with StateLock(workspace.state_dir, "check --fix"):
        return run_checks(workspace, skip=options.skip, fix=True, selection=chosen)


@dataclass(frozen=True)
class PreflightOptions:
    #: Gate ids to override (``a,b`` counts as two); an unskippable or unknown one is RK152.
    skip: tuple[str, ...] = ()
    #: Skip the gates that ask the index.
    offline: bool = False
    #: The index options of ``publish`` (None keeps the config's), so the gates see its index.
    target: str | None = None
    publish_url: str | None = None
    check_url: str | None = None
    json_api_url: str | None = None
    fallback_url: str | None = None
    trusted_publishing: str | None = None
    #: Where credentials are read from (default: this process's environment).
    environ: Mapping[str, str] | None = None


def preflight(workspace: Workspace, selection: Selection | None = None,
              options: PreflightOptions | None = None) -> PreflightReport:
    """The gates publish would run for ``selection``, with the index and credentials it would use.

    A plan publish would refuse (a cycle, an unreleasable selection) does not stop the gates:
    the report carries the refusal in ``refusal`` for the caller to raise after showing it.
    """
    options = options or PreflightOptions()
    skip = parse_gate_ids(options.skip)
    reasons = {gate: f"skipped by --skip-preflight {gate}" for gate in skip}
    if options.offline:
        for gate in sorted(NETWORK_GATES):
            reasons.setdefault(gate, "skipped by --offline (asks the index)")
    plan: Plan | None = None
    refusal: ReleasekitError | None = None
    try:
        chosen, _ = release_selection(workspace, selection or Selection())  # a tagged HEAD releases its tags
        plan = build_plan(workspace, chosen)
    except UsageError:
        raise
    except ReleasekitError as exc:
        refusal = exc
    publish_settings = resolve(
        workspace,
        target=options.target,
        publish_url=options.publish_url,
        check_url=options.check_url,
        json_api_url=options.json_api_url,
        fallback_url=options.fallback_url,
        trusted_publishing=options.trusted_publishing,
        environ=options.environ,
    )
    settings = PreflightSettings.from_publish(publish_settings, workspace.config, environ=options.environ)
    report = run_preflight(workspace, plan, settings, skip=set(reasons), skip_reason=reasons)
    return replace(report, refusal=refusal)


# --- the release workflow: prepare -> (merge) -> release -> publish -> notify --------------------
# Each step is idempotent: a rerun completes what a failed run left undone and otherwise
# changes nothing. ``publish`` ends by calling releasekit.forge.mark_published.


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
