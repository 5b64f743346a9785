"""The typed library API: what the commands call, and what a program driving releasekit calls.

Each function takes a loaded workspace, a selection and one options value, and returns a
result value; rendering and exit codes stay with the caller.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from releasekit.backends.protocols import ForgeBackend
from releasekit.checks import CheckReport, run_checks
from releasekit.engine import buildenv
from releasekit.engine.localindex import local_index
from releasekit.engine.observer import PublishObserver
from releasekit.engine.plan import Plan, build_plan
from releasekit.engine.prepared import Prepared
from releasekit.engine.results import RunResult, released_rows
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.runner import execute
from releasekit.engine.settings import PublishSettings, resolve
from releasekit.engine.summary import write_summary
from releasekit.errors import ReleasekitError, UsageError
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.selection import EVERYTHING, Selection
from releasekit.model.versions import Bump
from releasekit.model.workspace import Workspace
from releasekit.preflight.gates import NETWORK_GATES, PreflightReport, PreflightSettings, parse_gate_ids, run_preflight
from releasekit.support.state import StateLock, ensure_state_dir, repair_leftovers
from releasekit.ui.choose import session
from releasekit.workflow.forge import github_from_env, mark_published
from releasekit.workflow.notify import IndexView, NotifyOptions, NotifyResult
from releasekit.workflow.notify import notify as _notify
from releasekit.workflow.prepare import PrepareOptions, PrepareResult
from releasekit.workflow.prepare import prepare as _prepare
from releasekit.workflow.release import ReleaseOptions, ReleaseResult
from releasekit.workflow.release import release as _release
from releasekit.workflow.scope import Scope, publish_scope, release_selection

__all__ = [
    "CheckOptions",
    "CheckReport",
    "NotifyOptions",
    "NotifyResult",
    "PreflightOptions",
    "PreflightReport",
    "PrepareOptions",
    "PrepareResult",
    "PublishOptions",
    "ReleaseOptions",
    "ReleaseResult",
    "RunResult",
    "check",
    "label_release_pr",
    "notify",
    "plan",
    "preflight",
    "prepare",
    "publish",
    "publish_preview",
    "release",
    "run_gates",
]


# --- check and preflight ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOptions:
    #: Check ids to leave out, on top of the config's ``checks.skip`` (``a,b`` counts as two).
    skip: tuple[str, ...] = ()
    #: Repair what can be repaired (under the workspace lock), then check again.
    fix: bool = False


def check(workspace: Workspace, selection: Selection | None = None, options: CheckOptions | None = None) -> CheckReport:
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


def preflight(
    workspace: Workspace, selection: Selection | None = None, options: PreflightOptions | None = None
) -> PreflightReport:
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
# changes nothing. ``publish`` ends by calling releasekit.workflow.forge.mark_published.


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


# --- plan and publish (the engine) ------------------------------------------------------------

#: Before anything is pinned or uploaded: raises (a releasekit error) to stop the release.
Gates = Callable[[Workspace, Plan, PublishSettings], None]
#: After a run released every package: told each one's version (e.g. to label the release PR).
OnReleased = Callable[[Workspace, Mapping[str, str]], object]


def plan(
    workspace: Workspace,
    selection: Selection = EVERYTHING,
    bump: Bump | None = None,
    *,
    smoke_test: bool | None = None,
    staged: bool | None = None,
) -> Plan:
    """The release plan of ``selection``; with ``bump``, every package in it bumped that way."""
    preview = build_plan(workspace, selection, smoke_test=smoke_test, staged=staged)
    if bump is None or bump.empty:
        return preview
    return build_plan(
        workspace, selection, {p.name: bump for p in preview.packages}, smoke_test=smoke_test, staged=staged
    )


def run_gates(
    workspace: Workspace,
    plan: Plan,
    settings: PublishSettings,
    *,
    skip: Collection[str] = (),
    show: Callable[[PreflightReport], object] | None = None,
) -> None:
    """The preflight gates but ``skip``; ``show`` sees the report first; a failed gate raises."""
    report = run_preflight(workspace, plan, settings, skip=skip)
    if show is not None:
        show(report)
    report.raise_if_failed()


def label_release_pr(workspace: Workspace, versions: Mapping[str, str]) -> object:
    """On GitHub (a token in the environment): label the release PR of ``versions`` published."""
    if not any(os.environ.get(t) for t in ("RELEASEKIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")):
        return None
    return mark_published(workspace, versions)


@dataclass(frozen=True)
class PublishOptions:
    settings: PublishSettings  # settings.resolve(workspace, ...)
    smoke_test: bool | None = None  # None: the config's
    staged: bool | None = None  # None: the config's
    #: Run the whole pipeline against a throwaway pypiserver on 127.0.0.1, then tear it down.
    rehearse: bool = False
    start_method: str = "spawn"
    gates: Gates = run_gates
    on_released: OnReleased = label_release_pr


def publish_preview(workspace: Workspace, selection: Selection, options: PublishOptions) -> Scope:
    """What ``publish`` would release now (the index is asked what it already has)."""
    return publish_scope(workspace, selection, options.settings, smoke_test=options.smoke_test, staged=options.staged)


def publish(
    workspace: Workspace,
    selection: Selection,
    options: PublishOptions,
    observer: PublishObserver,
    control: RunControl | None = None,
) -> RunResult:
    """Release ``selection``: every package not yet on the index, each as soon as its dependencies are live.

    Holds the workspace's lock, repairs what an earlier run left, runs the gates, then the plan
    (``control`` drains or pauses it). ``result.started`` is False when there was nothing to run.
    """
    result: RunResult | None = None
    state = ensure_state_dir(workspace.state_dir)
    with StateLock(state, "publish"):
        repair_leftovers(state, holding_lock=True)
        buildenv.discard_abandoned(state)
        with contextlib.ExitStack() as stack:
            settings = options.settings
            if options.rehearse:
                settings = stack.enter_context(_rehearsal(settings))
            scope = publish_preview(workspace, selection, dataclasses.replace(options, settings=settings))
            settings = settings.fit_to(scope.plan)
            if scope.plan.packages:
                control = control or RunControl(observer)
                options.gates(workspace, scope.plan, settings)
                settings = stack.enter_context(settings.staging(scope.plan.staged))
                stack.enter_context(session(observer, control))  # the terminal is restored on every exit
                result = execute(
                    Prepared(workspace, scope.plan, settings, scope.released),
                    observer,
                    start_method=options.start_method,
                    control=control,
                )
    if result is None:
        result = RunResult(settings.run_id, released_rows(scope.released), False, 0.0, started=False)
        if scope.released:
            Path(settings.run_dir).mkdir(parents=True, exist_ok=True)
            write_summary(settings, result)
    if result.ok and result.packages and not options.rehearse:
        options.on_released(workspace, {p.name: p.version for p in result.packages})
    return result


@contextlib.contextmanager
def _rehearsal(settings: PublishSettings) -> Iterator[PublishSettings]:
    """``settings`` pointed at a throwaway pypiserver on 127.0.0.1 (uv's credentials swapped for its own)."""
    log = Path(settings.run_dir) / "logs" / "rehearsal-index.log"
    with local_index(threads=2 * settings.concurrency + 4, log=log, name="releasekit-rehearsal") as index:
        saved = {k: os.environ.get(k) for k in ("UV_PUBLISH_TOKEN", "UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD")}
        os.environ.pop("UV_PUBLISH_TOKEN", None)
        os.environ["UV_PUBLISH_USERNAME"] = index.username
        os.environ["UV_PUBLISH_PASSWORD"] = index.password
        try:
            yield dataclasses.replace(
                settings,
                target="custom",
                publish_url=index.url,
                check_url=index.simple_url,
                json_api_url="",
                trusted_publishing="never",
                auth=f"username/password of the throwaway index ({index.username})",
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
