"""The library API: what the command line calls. A command adds its arguments and renders the result."""

from __future__ import annotations

# --- plan and publish (the engine) -----------------------------------------------------------------
import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from releasekit.localindex import local_index
from releasekit.observer import PublishObserver
from releasekit.plan import Plan, build_plan
from releasekit.prepared import Prepared
from releasekit.results import RunResult, released_rows
from releasekit.runcontrol import RunControl
from releasekit.runner import execute
from releasekit.scope import Scope, publish_scope
from releasekit.selection import EVERYTHING, Selection
from releasekit.settings import PublishSettings
from releasekit.state import StateLock, ensure_state_dir, repair_leftovers
from releasekit.summary import write_summary
from releasekit.versions import Bump
from releasekit.workspace import Workspace

#: Before anything is pinned or uploaded: raises (a releasekit error) to stop the release.
Gates = Callable[[Workspace, Plan, PublishSettings], None]
#: After a run released every package: told each one's version (e.g. to label the release PR).
OnReleased = Callable[[Workspace, Mapping[str, str]], object]


def plan(workspace: Workspace, selection: Selection = EVERYTHING, bump: Bump | None = None, *,
         smoke_test: bool | None = None, staged: bool | None = None) -> Plan:
    """The release plan of ``selection``; with ``bump``, every package in it bumped that way."""
    preview = build_plan(workspace, selection, smoke_test=smoke_test, staged=staged)
    if bump is None or bump.empty:
        return preview
    return build_plan(workspace, selection, {p.name: bump for p in preview.packages}, smoke_test=smoke_test,
                      staged=staged)


def run_gates(workspace: Workspace, plan: Plan, settings: PublishSettings) -> None:
    """The preflight gates, every one of them, silently: a failed gate raises."""
    from releasekit.preflight import run_preflight

    run_preflight(workspace, plan, settings).raise_if_failed()


def label_release_pr(workspace: Workspace, versions: Mapping[str, str]) -> object:
    """On GitHub (a token in the environment): label the release PR of ``versions`` published."""
    if not any(os.environ.get(t) for t in ("RELEASEKIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")):
        return None
    from releasekit.workflow import mark_published

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
    return publish_scope(workspace, selection, options.settings, smoke_test=options.smoke_test,
                         staged=options.staged)


def publish(workspace: Workspace, selection: Selection, options: PublishOptions, observer: PublishObserver,
            control: RunControl | None = None) -> RunResult:
    """Release ``selection``: every package not yet on the index, each as soon as its dependencies are live.

    Holds the workspace's lock, repairs what an earlier run left, runs the gates, then the plan
    (``control`` drains or pauses it). ``result.started`` is False when there was nothing to run.
    """
    from releasekit.ui.choose import session

    result: RunResult | None = None
    state = ensure_state_dir(workspace.state_dir)
    with StateLock(state, "publish"):
        repair_leftovers(state, holding_lock=True)
        with contextlib.ExitStack() as stack:
            settings = options.settings
            if options.rehearse:
                settings = stack.enter_context(_rehearsal(settings))
            scope = publish_preview(workspace, selection, dataclasses.replace(options, settings=settings))
            if scope.plan.packages:
                control = control or RunControl(observer)
                options.gates(workspace, scope.plan, settings)
                settings = stack.enter_context(settings.staging(scope.plan.staged))
                stack.enter_context(session(observer, control))  # the terminal is restored on every exit
                result = execute(Prepared(workspace, scope.plan, settings, scope.released), observer,
                                 start_method=options.start_method, control=control)
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

# --- end plan and publish --------------------------------------------------------------------------
