"""What ``publish`` releases: the release tagged at HEAD, or the selection, minus every version
the index already has whole.

* At a commit ``release`` tagged (the merged release PR), the tags are the release manifest:
  publish releases exactly those packages at those versions, whatever ``-p``/``-g`` say,
  and nothing else (a group release also bumps dependents outside the group).
* A version that is *released* (:mod:`releasekit.workflow.released`) leaves the plan before anything
  is built: no rebuild, no comparison. If its sources changed since its tag, one note says
  there are unreleased changes; that is the next release's business, never an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from releasekit.backends.git import git_backend
from releasekit.backends.protocols import IndexBackend
from releasekit.backends.registry import index_backend
from releasekit.engine.plan import Plan, Skipped, build_plan, task_specs
from releasekit.engine.settings import PublishSettings
from releasekit.model.context import Notice, stderr_notice
from releasekit.model.selection import Selection
from releasekit.model.workspace import Workspace
from releasekit.workflow.release_manifest import tagged_release
from releasekit.workflow.released import IndexReading, read_index
from releasekit.workflow.tags import format_tag


@dataclass(frozen=True)
class Scope:
    plan: Plan  # what runs
    released: dict[str, str]  # versions left out because the index has them whole


def release_selection(
    ws: Workspace, selection: Selection, notice: Notice = stderr_notice
) -> tuple[Selection, dict[str, str]]:
    """The release tagged at HEAD as a selection, or ``selection`` when HEAD is no release."""
    release = tagged_release(ws, git_backend(ws.root))
    if not release:
        return selection, {}
    named = ", ".join(f"{n} {v}" for n, v in sorted(release.items()))
    narrowed = not selection.everything or selection.with_deps or selection.with_dependents
    ignored = " (-p/-g/--with-* do not narrow a tagged release)" if narrowed else ""
    notice(f"HEAD is tagged as the release of {named}: publishing exactly that{ignored}")
    return Selection(packages=tuple(sorted(release))), release


def without(plan: Plan, reasons: Mapping[str, str]) -> Plan:
    """``plan`` minus the packages in ``reasons`` (listed as skipped with their reason).

    What stays no longer waits for what left: a version already on the index is live.
    """
    if not reasons:
        return plan
    kept = [p for p in plan.packages if p.name not in reasons]
    levels = [tuple(n for n in level if n not in reasons) for level in plan.levels]
    levels = [level for level in levels if level]
    level_of = {n: i for i, level in enumerate(levels) for n in level}
    packages = tuple(
        dataclasses.replace(p, deps=tuple(d for d in p.deps if d not in reasons), level=level_of[p.name]) for p in kept
    )
    gone = tuple(Skipped(p.name, p.next_version, reasons[p.name]) for p in plan.packages if p.name in reasons)
    return dataclasses.replace(
        plan,
        packages=packages,
        skipped=plan.skipped + gone,
        levels=tuple(levels),
        critical_path=tuple(n for n in plan.critical_path if n not in reasons),
        tasks=task_specs(packages, plan.smoke_test, plan.staged),
    )


def unreleased_changes(ws: Workspace, released: Mapping[str, str]) -> list[str]:
    """Released packages whose committed sources changed since their version's tag."""
    git = git_backend(ws.root)
    if not released or not git.is_repo():
        return []
    top = git.toplevel().resolve()
    changed: list[str] = []
    for name, version in sorted(released.items()):
        tag = format_tag(ws.config, name, version)
        if git.rev_parse(f"refs/tags/{tag}") is None:
            continue
        pkg = ws.by_name[name]
        nested = [p.path for p in ws.packages if p.path != pkg.path and p.path.is_relative_to(pkg.path)]
        specs = [f":(top){_rel(pkg.path, top)}", *(f":(top,exclude){_rel(p, top)}" for p in nested)]
        if git.changed_since(tag, specs):
            changed.append(f"{name} (since {tag})")
    return changed


def _rel(path: Path, top: Path) -> str:
    rel = path.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel


def publish_scope(
    ws: Workspace,
    selection: Selection,
    settings: PublishSettings,
    *,
    smoke_test: bool | None = None,
    staged: bool | None = None,
    client: IndexBackend | None = None,
    notice: Notice = stderr_notice,
) -> Scope:
    """The plan ``publish`` runs, after asking the index what it already has."""
    chosen, _ = release_selection(ws, selection, notice)
    plan = build_plan(ws, chosen, smoke_test=smoke_test, staged=staged)
    reading: IndexReading = read_index(
        client or index_backend(settings.check_url, settings.json_api_url),
        [(p.name, p.next_version) for p in plan.packages],
        max_retries=settings.max_retries,
        base_delay=settings.retry_base_delay,
    )
    if reading.error:
        notice(f"could not read what {settings.check_url} has ({reading.error}); nothing is skipped")
    released = reading.names("released")
    reasons = {n: f"already released: {reading.found[n].listed} on the index (not rebuilt)" for n in released}
    if released:
        listed = ", ".join(f"{n} {v}" for n, v in sorted(released.items()))
        notice(f"already released, skipped without building: {listed}")
        changed = unreleased_changes(ws, released)
        if changed:
            notice(
                f"note: unreleased changes in {', '.join(changed)}: they go out with the next "
                "version (`releasekit prepare`)"
            )
    return Scope(without(plan, reasons), released)
