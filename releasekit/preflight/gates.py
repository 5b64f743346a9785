"""Preflight: the gates ``publish`` runs before it pins, builds or uploads anything.

Each gate answers pass, warn or fail with a reason. A failing gate stops the release before
a single file changes; ``--skip-preflight ID`` overrides one gate explicitly and the report
says so. Every external question goes through a backend: git, uv (``uv lock --check``, whose
exit code decides), and the registry client for the three gates that ask the index.
This module is the registry and the run; the gates live in :mod:`releasekit.preflight.local_gates`
(the workspace) and :mod:`releasekit.preflight.index_gates` (credentials and the index).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from releasekit.backends.protocols import IndexBackend, UvBackend
from releasekit.checks.findings import Rule, parse_ids
from releasekit.engine.credentials import resolve_credentials
from releasekit.engine.plan import Plan
from releasekit.engine.settings import PublishSettings
from releasekit.errors import ReleasekitError, UsageError
from releasekit.model.workspace import Workspace
from releasekit.preflight import index_gates as index
from releasekit.preflight import local_gates as local
from releasekit.preflight.context import GateContext, PreflightSettings
from releasekit.preflight.report import GateResult, PreflightError, PreflightReport

__all__ = [
    "GATES",
    "GATE_IDS",
    "NETWORK_GATES",
    "GateInfo",
    "GateResult",
    "PreflightError",
    "PreflightReport",
    "PreflightSettings",
    "parse_gate_ids",
    "run_preflight",
]


@dataclass(frozen=True)
class GateInfo(Rule):
    """A gate: its id and summary, the function that runs it, and whether it asks the index."""

    run: Callable[[GateContext], GateResult]
    network: bool = False
    #: False when no override can make publish work: the gate stands for a refusal publish
    #: itself makes (a dependency cycle leaves no publish order at all).
    skippable: bool = True


GATES: tuple[GateInfo, ...] = (
    GateInfo(
        "clean_worktree",
        "no uncommitted or untracked files under the workspace (state dir excluded)",
        local.clean_worktree,
    ),
    GateInfo("not_shallow", "the git clone has full history (tags and changelogs need it)", local.not_shallow),
    GateInfo("lock_current", "`uv lock --check` passes: uv.lock matches every pyproject.toml", local.lock_current),
    GateInfo(
        "no_cycles",
        "no cycle of dependency edges among the packages to release (extras never gate)",
        local.no_cycles,
        skippable=False,
    ),
    GateInfo("no_stale_dist", "no dist/ folder with old artifacts in the workspace or a package", local.no_stale_dist),
    GateInfo(
        "sdist_and_wheel",
        "each package declares a build backend, so uv builds an sdist and a wheel",
        local.sdist_and_wheel,
    ),
    GateInfo(
        "public_versions",
        "no version with a local segment (`1.0+local`) goes to PyPI or TestPyPI, which refuse them",
        local.public_versions,
    ),
    GateInfo("readme_renders", "each README renders for its content type, as PyPI requires", local.readme_renders),
    GateInfo("auth", "which credentials the upload will use: trusted publishing, token or password", index.auth_gate),
    GateInfo("index_reachable", "the index's check URL answers", index.index_reachable, network=True),
    GateInfo(
        "version_conflicts",
        "no half-published version holds other files than this build (released ones are skipped)",
        index.version_conflicts,
        network=True,
    ),
    GateInfo(
        "new_projects",
        "at most `checks.max_new_projects` brand-new projects (PyPI's daily limit)",
        index.new_projects,
        network=True,
    ),
)
GATE_IDS = tuple(g.id for g in GATES)
NETWORK_GATES = frozenset(g.id for g in GATES if g.network)
_UNSKIPPABLE = frozenset(g.id for g in GATES if not g.skippable)


def parse_gate_ids(values: Collection[str], *, from_user: bool = True) -> list[str]:
    """``--skip-preflight a --skip-preflight b,c`` -> [a, b, c]; unknown ids are bad input."""
    ids = parse_ids(values, GATE_IDS, kind="preflight gate", option="--skip-preflight", code="RK152", listing="gates")
    for gate_id in ids:
        if from_user and gate_id in _UNSKIPPABLE:
            raise UsageError(
                f"preflight gate {gate_id!r} cannot be skipped: a cycle of dependency edges leaves "
                "no order to publish in, with or without the gate",
                hint="break the cycle (`releasekit check` names every edge and file); extras never make a cycle",
                code="RK152",
            )
    return ids


def run_preflight(
    ws: Workspace,
    plan: Plan | None,
    settings: PreflightSettings | PublishSettings | None = None,
    *,
    skip: Collection[str] = (),
    skip_reason: Mapping[str, str] | None = None,
    uv: UvBackend | None = None,
    client: IndexBackend | None = None,
) -> PreflightReport:
    """Run every gate not in ``skip`` and return the report; raises nothing for a failed gate.

    ``plan`` is what publish will release (None when the graph has a cycle, so the other gates
    still report). ``skip`` holds gate ids (unknown ones are a usage error, exit 2); each one
    is listed as skipped, with ``skip_reason[id]`` or "skipped by --skip-preflight".
    ``settings`` may be publish's own :class:`~releasekit.engine.settings.PublishSettings`, so the
    gates look at exactly the index and credentials the upload will use.
    """
    if settings is None:
        settings = PreflightSettings.from_config(ws.config)
    elif isinstance(settings, PublishSettings):
        settings = PreflightSettings.from_publish(settings, ws.config)
    skipped = set(parse_gate_ids(skip, from_user=False))  # the CLI already refused unskippable ones
    ctx = GateContext(ws, plan, settings, uv, client)
    results: list[GateResult] = []
    reasons = dict(skip_reason or {})
    for gate in GATES:
        if gate.id in skipped:
            why = reasons.get(gate.id, f"skipped by --skip-preflight {gate.id}")
            results.append(GateResult(gate.id, "skipped", why))
            continue
        try:
            results.append(gate.run(ctx))
        except ReleasekitError as exc:  # git or uv missing or failing: the gate cannot pass
            results.append(GateResult(gate.id, "fail", exc.message, exc.hint))
        except OSError as exc:
            results.append(GateResult(gate.id, "fail", f"cannot read the workspace: {exc}"))
    if ctx.credentials is None:
        ctx.credentials = resolve_credentials(settings.target, settings.trusted_publishing, ctx.environ)
    return PreflightReport(tuple(results), ctx.credentials)
