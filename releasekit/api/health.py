"""Health checks, and the preflight gates that publish runs before it changes anything."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from releasekit.checks import CheckReport, run_checks
from releasekit.engine.plan import Plan, build_plan
from releasekit.engine.settings import PublishSettings, resolve
from releasekit.errors import ReleasekitError, UsageError
from releasekit.model.selection import Selection
from releasekit.model.workspace import Workspace
from releasekit.preflight.gates import NETWORK_GATES, PreflightReport, PreflightSettings, parse_gate_ids, run_preflight
from releasekit.support.state import StateLock
from releasekit.workflow.scope import release_selection


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
