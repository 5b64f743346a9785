"""Plan -> doit tasks. The only place that knows how stages map onto doit.

Each :class:`~releasekit.engine.plan.TaskSpec` becomes a subtask ``STAGE:PACKAGE`` of the group
task ``STAGE``, so ``doit publish`` runs every package, ``doit publish:pkg`` one package
(and what it needs), and doit's parallel runner starts each task the moment its own
dependencies are done. Within a group, packages that gate the longest chains come first,
which is how doit breaks ties between ready tasks.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from doit.globals import Globals
from doit.loader import generate_tasks
from doit.task import Task

from releasekit.engine import proving
from releasekit.engine.builds import load_record
from releasekit.engine.plan import PackagePlan, Plan
from releasekit.engine.settings import PublishSettings
from releasekit.engine.slimtask import slim
from releasekit.engine.stages import GATE, GATE_HELP, STAGE_HELP, STAGES, TABLE
from releasekit.engine.taskdata import PackageData, without_member_dirs
from releasekit.model.package import normalize
from releasekit.model.versionsource import pinned_build_env, version_source
from releasekit.model.workspace import Workspace


def _action(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


#: Each stage's action, as the stage table names it.
ACTIONS: dict[str, Callable[..., Any]] = {s.name: _action(s.action) for s in TABLE if s.action}


def package_data(pkg: PackagePlan, ws: Workspace | None = None) -> PackageData:
    """The plain-data description of a package that every action receives."""
    requires_python = None
    build_env: dict[str, str] = {}
    smoke: dict[str, Any] = {}
    build_system: dict[str, Any] = {}
    if ws is not None and pkg.name in ws.by_name:
        member = ws.by_name[pkg.name]
        requires_python = member.requires_python
        build_system = json.loads(json.dumps(member.build_system, default=str))  # plain data for the workers
        build_env = pinned_build_env(member.name, pkg.next_version, version_source(member))
        by_name = {normalize(n): o for n, o in ws.config.smoke_packages.items()}
        smoke = {**dataclasses.asdict(ws.config.smoke), **by_name.get(member.name, {}), **member.smoke}
    return {
        "name": pkg.name,
        "declared_name": pkg.declared_name,
        "version": pkg.next_version,
        "path": pkg.path,
        "pins": dict(pkg.pins),
        "deps": list(pkg.deps),
        "requires_python": requires_python,
        "build_env": build_env,
        "build_system": build_system,
        "smoke": {k: list(v) if isinstance(v, tuple) else v for k, v in smoke.items()},
    }


@dataclass(frozen=True)
class UploadIsCurrent:
    """Up-to-date check for ``upload:P``: the probe saw every local file on the index, same sha256.

    Runs in doit's main process after ``probe:P`` and ``build:P`` finished, reads only their
    in-memory results and the local build record (no network), and never raises: an
    exception here would hang doit's parallel runner. Its ``repr`` is what `doit info` shows.
    """

    name: str
    version: str
    state_dir: str

    def __call__(self, task: Any, values: Any) -> bool:
        return upload_is_current(task, values, self.name, self.version, self.state_dir)

    def __repr__(self) -> str:
        return (
            f"up to date when the index already lists every file of {self.name} {self.version} "
            f"with the sha256 of this build (probe:{self.name}, no upload needed)"
        )


def upload_is_current(task: Any, values: Any, name: str, version: str, state_dir: str) -> bool:
    """:class:`UploadIsCurrent` as a function (the probe's answer against the build record)."""
    try:
        probe = Globals.dep_manager.get_values(f"probe:{name}") if Globals.dep_manager else {}
        if not probe or not probe.get("ok"):
            return False
        record = load_record(state_dir, name, version)
        if record is None or not record.files:
            return False
        remote = probe.get("files", {})
        return all(remote.get(fn) == sha for fn, sha in record.files.items())
    except Exception:
        return False


def task_dicts(plan: Plan, settings: PublishSettings, ws: Workspace | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per stage, the doit subtask dicts in dispatch-priority order."""
    data = settings.as_dict()
    # Only the build needs every member's directory (to fingerprint its own sources); the
    # other stages get a lighter copy, since every task's arguments travel with its job.
    light = without_member_dirs(data)
    ordered = sorted(plan.packages, key=lambda p: (-p.priority, p.order))
    by_name = {p.name: p for p in plan.packages}
    specs = {t.name: t for t in plan.tasks}
    stages: dict[str, list[dict[str, Any]]] = {s: [] for s in STAGES if any(t.stage == s for t in plan.tasks)}
    for pkg in ordered:
        pdata = package_data(by_name[pkg.name], ws)
        for stage, group in stages.items():
            spec = specs[f"{stage}:{pkg.name}"]
            task: dict[str, Any] = {
                "name": pkg.name,
                "actions": [(ACTIONS[stage], [pdata, data if stage == "build" else light])],
                "task_dep": list(spec.task_dep),
                "doc": f"{stage} {pkg.name} {pkg.next_version}: {STAGE_HELP[stage]}",
                "meta": {"package": pkg.name, "stage": stage, "version": pkg.next_version},
                "verbosity": 0,
            }
            if stage == "upload":
                task["uptodate"] = [UploadIsCurrent(pkg.name, pkg.next_version, settings.state_dir)]
            group.append(task)
    return stages


def doit_tasks(
    plan: Plan, settings: PublishSettings, ws: Workspace | None = None, extra: list[Task] | None = None
) -> list[Task]:
    """doit Task objects for the plan: one group per stage plus its ``STAGE:PACKAGE`` subtasks."""
    tasks: list[Task] = []
    stages = task_dicts(plan, settings, ws)
    if not plan.packages:  # every version already released: `doit publish` is a no-op, not an error
        stages = {stage: [] for stage in STAGES}
    for stage, subtasks in stages.items():
        generated = generate_tasks(stage, (t for t in subtasks), f"{stage} every package: {STAGE_HELP[stage]}")
        tasks.extend(slim(t) for t in generated)
    gate = next((t for t in plan.tasks if t.name == GATE), None)
    if gate is not None:
        light = without_member_dirs(settings.as_dict())
        tasks.extend(
            generate_tasks(
                GATE,
                {
                    "actions": [(proving.gate, [light, [t.split(":", 1)[1] for t in gate.task_dep]])],
                    "task_dep": list(gate.task_dep),
                    "doc": f"gate: {GATE_HELP}",
                    "verbosity": 0,
                    "meta": {"package": "", "stage": GATE, "version": ""},
                },
            )
        )
    tasks.extend(extra or [])
    return tasks
