"""Publish: the plan run by the engine, behind the workspace lock, the gates and the observer."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from releasekit.api.health import run_gates
from releasekit.api.releasing import label_release_pr
from releasekit.engine import buildenv
from releasekit.engine.localindex import local_index
from releasekit.engine.observer import PublishObserver
from releasekit.engine.plan import Plan
from releasekit.engine.prepared import Prepared
from releasekit.engine.results import RunResult, released_rows
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.runner import execute
from releasekit.engine.settings import PublishSettings
from releasekit.engine.summary import write_summary
from releasekit.model.selection import Selection
from releasekit.model.workspace import Workspace
from releasekit.support.state import StateLock, ensure_state_dir, repair_leftovers
from releasekit.ui.choose import session
from releasekit.workflow.scope import Scope, publish_scope

#: Before anything is pinned or uploaded: raises (a releasekit error) to stop the release.
Gates = Callable[[Workspace, Plan, PublishSettings], None]
#: After a run released every package: told each one's version (e.g. to label the release PR).
OnReleased = Callable[[Workspace, Mapping[str, str]], object]


@dataclass(frozen=True)
class PublishOptions:
    settings: PublishSettings  # settings.resolve(workspace, ...)
    smoke_test: bool | None = None  # None: the config's
    staged: bool | None = None  # None: the config's
    #: Run the whole pipeline against a throwaway pypiserver on 127.0.0.1, then tear it down.
    rehearse: bool = False
    start_method: str | None = None  # None: forkserver on Linux, spawn elsewhere (engine.workers)
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
